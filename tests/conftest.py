"""Suite-wide settings: hypothesis profiles (short in `make test`, long in `make fuzz`), and
secret hygiene: no test secret may reach a log line or an outgoing Slack message."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.secrets import SECRETS

settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile(
    "fuzz",
    max_examples=100_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# -- secret hygiene ------------------------------------------------------------------------------


class SecretLeak(AssertionError):
    """A known test secret appeared in a log line or an outgoing Slack message."""


_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


@dataclass
class SecretWatch:
    """What one test logged and sent to Slack, as text, and the check over it."""

    secrets: dict[str, str]
    texts: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, where: str, text: str) -> None:
        with self._lock:
            self.texts.append((where, text))

    def add_record(self, record: logging.LogRecord) -> None:
        """Message, arguments, exception, stack and ``extra`` fields of one log record."""
        parts = [str(record.msg)]
        try:
            parts.append(record.getMessage())
        except Exception:  # a bad format string: its arguments still count
            parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        parts.extend(f"{k}={v!r}" for k, v in vars(record).items() if k not in _RECORD_FIELDS)
        self.add(f"log {record.name} {record.levelname}", "\n".join(parts))

    def leaks(self) -> list[str]:
        with self._lock:
            texts = list(self.texts)
        return [
            f"{name} in {where}: {text[:300]!r}"
            for where, text in texts
            for name, value in self.secrets.items()
            if value in text
        ]

    def check(self) -> None:
        found = self.leaks()
        if found:
            raise SecretLeak("test secrets leaked:\n" + "\n".join(found))

    def forget(self) -> None:
        with self._lock:
            self.texts.clear()


_current: list[SecretWatch] = []


def _watching(where: str, text: str) -> None:
    if _current:
        _current[0].add(where, text)


def _body_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


@pytest.fixture(scope="session", autouse=True)
def _secret_spies() -> Iterator[None]:
    """Hooks, once per session: every log record and handler output, every Slack message.

    Records are taken in ``Logger.callHandlers``, so loggers that do not propagate
    (Powertools sets ``propagate = False`` on ``bot``) are seen too; handler output is
    taken in ``Handler.format``, which covers Powertools' JSON lines with their
    appended keys. Slack: every post a :class:`bot.local.SlackStub` receives (bodies;
    the bot token legitimately rides in the ``authorization`` header), every Web API
    call and response_url post made through slack_sdk, and every Bolt answer (the ack).
    """
    from slack_bolt import App
    from slack_sdk import WebClient
    from slack_sdk.webhook import WebhookClient

    from bot.local import slack_stub

    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        patches.append((owner, name, original))
        setattr(owner, name, make(original))

    def call_handlers(original: Any) -> Any:
        def spy(self: logging.Logger, record: logging.LogRecord) -> None:
            if _current:
                _current[0].add_record(record)
            original(self, record)

        return spy

    def handler_format(original: Any) -> Any:
        def spy(self: logging.Handler, record: logging.LogRecord) -> str:
            text: str = original(self, record)
            if not type(self).__module__.startswith("_pytest"):  # caplog: the record is seen
                _watching(f"log output of {type(self).__name__}", text)
            return text

        return spy

    def api_call(original: Any) -> Any:
        def spy(self: WebClient, api_method: str, *args: Any, **kwargs: Any) -> Any:
            for key in ("json", "data", "params"):
                _watching(f"Slack Web API {api_method} {key}", _body_text(kwargs.get(key)))
            return original(self, api_method, *args, **kwargs)

        return spy

    def send_dict(original: Any) -> Any:
        def spy(self: WebhookClient, body: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            _watching("Slack response_url post", _body_text(body))
            return original(self, body, *args, **kwargs)

        return spy

    def dispatch(original: Any) -> Any:
        def spy(self: App, req: Any) -> Any:
            response = original(self, req)
            _watching(f"Bolt answer HTTP {response.status}", _body_text(response.body))
            return response

        return spy

    def stub_post(post: slack_stub.SlackPost) -> None:
        _watching(f"Slack stub received {post.path}", _body_text(post.body))

    patch(logging.Logger, "callHandlers", call_handlers)
    patch(logging.Handler, "format", handler_format)
    patch(WebClient, "api_call", api_call)
    patch(WebhookClient, "send_dict", send_dict)
    patch(App, "dispatch", dispatch)
    slack_stub.OBSERVERS.append(stub_post)
    try:
        yield
    finally:
        slack_stub.OBSERVERS.remove(stub_post)
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)


@pytest.fixture(autouse=True)
def secret_watch() -> Iterator[SecretWatch]:
    """Fails the test when a known secret was logged (any logger, any level) or sent to Slack.

    Every level is recorded: the root logger and each logger with its own level are
    lowered to level 1 for the test, and those loggers' handlers raised to the old level,
    so what is printed does not change, only what is looked at.
    """
    watch = SecretWatch(dict(SECRETS))
    lowered: list[tuple[logging.Logger, int]] = []
    raised: list[tuple[logging.Handler, int]] = []
    loggers = [logging.root] + [
        item
        for item in logging.root.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    for logger in loggers:
        if logger.level == 1 or (logger.level == logging.NOTSET and logger is not logging.root):
            continue
        lowered.append((logger, logger.level))
        for handler in logger.handlers:
            if handler.level < logger.level and not type(handler).__module__.startswith("_pytest"):
                raised.append((handler, handler.level))
                handler.setLevel(logger.level)
        logger.setLevel(1)
    _current[:] = [watch]
    try:
        yield watch
    finally:
        _current.clear()
        for handler, level in raised:
            handler.setLevel(level)
        for logger, level in lowered:
            logger.setLevel(level)
    watch.check()


@pytest.fixture
def bot_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let caplog see the product's logs: Powertools (handler/app.py) stops ``bot``
    propagating to the root, where caplog listens."""
    import handler.app  # noqa: F401  (configures the loggers once, before we undo that here)

    monkeypatch.setattr(logging.getLogger("bot"), "propagate", True)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's AWS emulation as a real HTTP server (Secrets Manager for the signed reads)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


AWS_TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


@pytest.fixture
def dynamodb_table(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh table shaped like the template's (key ``id``, TTL ``expiration``) on moto's
    server, reached over HTTP by our signed calls and by boto3 (Powertools) alike."""
    import uuid

    import boto3

    for name, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_server)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    name = f"smartjobs-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=moto_server)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    from handler import _schedule

    monkeypatch.setattr(_schedule, "_persistence", None)
    yield name
    client.delete_table(TableName=name)
