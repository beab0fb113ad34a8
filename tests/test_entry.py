"""The Slack entry under hostile traffic: the Lambda adapter (through ``lambda_handler``) and
``smartjobs serve`` answer only 200, 400, 401, 404 or 413, never raise, never log a traceback
or a rejected body, and verify the signature before anything parses the body."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.local import LambdaContext, SlackStub, function_url_event, sign_slack, slash_command_body
from bot.local.demo import LocalDeployment, demo_environment, local_deployment
from bot.local.server import ThreadingWSGIServer, make
from bot.services import Services
from bot.slack import inbound

pytestmark = pytest.mark.usefixtures("bot_logs")
ALLOWED = {200, 400, 401, 404, 413}


@pytest.fixture(scope="module")
def local() -> Iterator[LocalDeployment]:
    with local_deployment(count=20) as deployment:
        yield deployment


def raw_event(body: bytes, headers: dict[str, str], *, b64: bool = True) -> dict[str, Any]:
    event = function_url_event("", headers)
    event["body"] = base64.b64encode(body).decode() if b64 else body.decode("latin-1")
    event["isBase64Encoded"] = b64
    return event


def signed(local: LocalDeployment, body: bytes, **headers: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "x-slack-request-timestamp": ts,
        "x-slack-signature": inbound.signature(local.secret, ts, body),
        **headers,
    }


def deliver(local: LocalDeployment, event: dict[str, Any]) -> dict[str, Any]:
    local.lam.pending.clear()
    return local.handler(event, LambdaContext())


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


UNSIGNED_BODIES = [
    b"payload={not json",
    b"payload=[]",
    b"\xff\xfe\x00garbage",
    b'{"type": "block_actions", ',
    b"payload=" + b"[" * 100_000,
    b"",
]


@pytest.mark.parametrize("body", UNSIGNED_BODIES, ids=range(len(UNSIGNED_BODIES)))
def test_unsigned_hostile_bodies_get_401_without_a_traceback(
    local: LocalDeployment, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        answer = deliver(
            local, raw_event(body, {"content-type": "application/x-www-form-urlencoded"})
        )
    assert answer["statusCode"] == 401
    assert len(answer["body"]) < 40
    assert not tracebacks(caplog)
    refusals = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refusals) == 1 and "unsigned" in refusals[0].getMessage()
    assert local.lam.invoked == 0 or not local.lam.pending


@pytest.mark.parametrize("timestamp", ["abc", "-1", "1e9", "١٢٣٤", "9" * 40, ""])
def test_a_malformed_timestamp_is_401(
    local: LocalDeployment, timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = slash_command_body("failed", response_url=local.slack.response_url()).encode()
    headers = {"x-slack-request-timestamp": timestamp, "x-slack-signature": "v0=" + "a" * 64}
    answer = deliver(local, raw_event(body, headers))
    assert answer["statusCode"] == 401
    assert not tracebacks(caplog)


SIGNED_BAD_SHAPES = {
    "payload not JSON": (b"payload={not json", "application/x-www-form-urlencoded"),
    "payload a list": (b"payload=[]", "application/x-www-form-urlencoded"),
    "not UTF-8": (b"text=\xff\xfe", "application/x-www-form-urlencoded"),
    "JSON that does not parse": (b'{"type": ', "application/json"),
    "JSON not an object": (b"[1, 2]", "application/json"),
    "deeply nested payload": (b"payload=" + b"%5B" * 50_000, "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("case", SIGNED_BAD_SHAPES)
def test_signed_but_malformed_bodies_get_400(
    local: LocalDeployment, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, kind = SIGNED_BAD_SHAPES[case]
    with caplog.at_level(logging.INFO):
        answer = deliver(local, raw_event(body, signed(local, body, **{"content-type": kind})))
    assert answer["statusCode"] == 400, answer
    assert not tracebacks(caplog)
    assert local.ice.calls == 0


def test_a_huge_body_is_413_and_its_body_is_never_logged(
    local: LocalDeployment, caplog: pytest.LogCaptureFixture
) -> None:
    response_url = local.slack.response_url()
    body = slash_command_body("x" * (11 << 20), response_url=response_url).encode()
    with caplog.at_level(logging.DEBUG):
        answer = deliver(local, raw_event(body, {"x-slack-signature": "v0=0"}))
    assert answer["statusCode"] == 413
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert len(logged) < 2000, "one bounded line, not the body"
    assert response_url.rsplit("/", 1)[1] not in logged


def test_a_bad_signature_never_logs_the_body(
    local: LocalDeployment, caplog: pytest.LogCaptureFixture
) -> None:
    response_url = local.slack.response_url()
    body = slash_command_body("failed", response_url=response_url).encode()
    headers = {**signed(local, body), "x-slack-signature": "v0=" + "0" * 64}
    with caplog.at_level(logging.DEBUG):
        answer = deliver(local, raw_event(body, headers))
    assert answer["statusCode"] == 401
    (line,) = [r.getMessage() for r in caplog.records if "refused a request" in r.getMessage()]
    assert "bad signature" in line and "203.0.113.10" in line
    assert response_url.rsplit("/", 1)[1] not in caplog.text


def test_invalid_base64_is_400(local: LocalDeployment) -> None:
    event = raw_event(b"", {})
    event["body"] = "not base64 at all!!"
    assert deliver(local, event)["statusCode"] == 400


def test_a_command_whose_text_is_the_word_payload_is_still_a_command(
    local: LocalDeployment,
) -> None:
    """Bolt's own parser reads any body containing "payload" as an interactive payload."""
    url = local.slack.response_url()
    body = slash_command_body("payload", response_url=url).encode()
    answer = deliver(local, raw_event(body, signed(local, body)))
    assert answer["statusCode"] == 200
    assert 'Unknown word \\"payload\\"' in answer["body"], "answered as the typo it is"


def test_lazy_headers_from_outside_are_ignored(local: LocalDeployment) -> None:
    """Only our own self-invoke can start a lazy run; a request posing as one is just acked."""
    url = local.slack.response_url()
    body = slash_command_body("failed", response_url=url).encode()
    headers = signed(
        local,
        body,
        **{"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "run_list"},
    )
    answer = deliver(local, raw_event(body, headers))
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["blocks"], "answered in its ack, as any command is"
    assert local.slack.to(url) == [], "not run as a lazy listener posting to the response_url"


_HEADER_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(["0", "v0=", "1700000000"]))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    headers=st.dictionaries(
        st.sampled_from(
            ["x-slack-signature", "x-slack-request-timestamp", "content-type", "X-Slack-Signature"]
        ),
        _HEADER_VALUES,
    ),
    sign=st.booleans(),
    b64=st.booleans(),
)
def test_property_the_entry_answers_only_known_statuses(
    local: LocalDeployment, body: bytes, headers: dict[str, str], sign: bool, b64: bool
) -> None:
    if sign:
        headers = {**headers, **signed(local, body)}
    if not b64 and any(byte >= 0x80 for byte in body):
        b64 = True
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        answer = deliver(local, raw_event(body, headers, b64=b64))
    finally:
        root.removeHandler(handler)
    assert answer["statusCode"] in ALLOWED
    assert not [r for r in records if r.exc_info or "Traceback" in r.getMessage()]


# -- smartjobs serve ------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[ThreadingWSGIServer, str, str]]:
    with SlackStub() as slack:
        env = demo_environment(slack.api_url, "http://127.0.0.1:9")
        services = Services(settings=Settings.from_env(env))
        server = make("127.0.0.1", 0, services, read_timeout=1.0, max_concurrent=1)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server, f"127.0.0.1:{server.server_port}", env["SLACK_SIGNING_SECRET"]
        finally:
            server.shutdown()
            server.server_close()
            services.close()


def raw_http(address: str, request: bytes) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("length", "status"), [("abc", b"400"), ("-5", b"400"), ("9" * 30, b"400"), ("5000000", b"413")]
)
def test_serve_refuses_a_bad_content_length_before_reading(
    served: tuple[ThreadingWSGIServer, str, str], length: str, status: bytes
) -> None:
    _, address, _ = served
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    answer = raw_http(address, head.encode() + b"short")
    assert answer.split(b" ", 2)[1] == status, answer[:200]


def test_serve_drops_a_stalled_client_and_bounds_concurrent_requests(
    served: tuple[ThreadingWSGIServer, str, str],
) -> None:
    """With one slot, a client that stalls mid-body holds it until the read timeout drops it;
    only then is the next request served."""
    _, address, secret = served
    host, port = address.split(":")
    stalled = socket.create_connection((host, int(port)), timeout=10)
    stalled.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
    body = urlencode({"command": "/smartjobs", "text": "help"})
    outcome: dict[str, Any] = {}

    def second() -> None:
        headers = {"content-type": "application/x-www-form-urlencoded", **sign_slack(secret, body)}
        response = httpx.post(
            f"http://{address}/slack/events", content=body, headers=headers, timeout=10
        )
        stalled.setblocking(False)
        try:
            outcome["stalled got"] = stalled.recv(65536)
        except BlockingIOError:
            outcome["stalled got"] = None
        outcome["second"] = response

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=15)
    stalled.close()
    assert outcome["second"].status_code == 200
    assert "smartjobs" in json.loads(outcome["second"].text)["text"]
    assert outcome["stalled got"] and outcome["stalled got"].startswith(b"HTTP/1.0 408"), (
        "the stalled client was dropped before the next request got the only slot"
    )
