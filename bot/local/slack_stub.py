"""A local HTTP server standing in for Slack: the Web API (``SLACK_API_URL``) and response_urls."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

OBSERVERS: list[Callable[[SlackPost], None]] = []
"""Called with every post any stub receives (tests check all outgoing messages this way)."""


@dataclass(frozen=True)
class SlackPost:
    """One request Slack received: a response_url post or a Web API call."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    received: float = field(default_factory=time.perf_counter, compare=False)
    """``time.perf_counter()`` when it arrived: benchmarks measure answer latency with it."""

    @property
    def is_response_url(self) -> bool:
        return self.path.startswith("/response/")

    @property
    def method(self) -> str:
        """The Web API method (``chat.postMessage``), empty for response_url posts."""
        return self.path.removeprefix("/api/") if self.path.startswith("/api/") else ""


@dataclass
class SlackStub:
    """``with SlackStub() as slack:`` then ``slack.api_url`` and ``slack.response_url()``.

    ``response_status`` and ``response_body`` make response_urls answer an HTTP error
    (Slack says ``404 expired_url`` for an old one); ``response_delay`` holds each
    response_url answer that many seconds (``stop()`` cuts it short); ``api_errors``
    makes a Web API method answer ``{"ok": false, "error": …}`` every time, and
    ``api_replies`` queues one-off answers per method (used up in order, then the
    usual one); a queued ``{"status": 503}`` answers that HTTP status with an HTML page.
    ``api_handlers`` answer a method the stub does not know by itself (the Socket Mode
    stand-in answers ``apps.connections.open`` this way), after the two above. Clearing
    ``hold`` keeps Web API calls waiting (after they are recorded) until it is set again.
    Messages get ``ts`` values ``1.000100``, ``2.000200``… in the order they arrive.
    """

    response_status: int = 200
    response_body: str = "ok"
    response_delay: float = 0.0
    api_errors: dict[str, str] = field(default_factory=dict)
    api_replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    api_handlers: dict[str, Callable[[SlackPost], dict[str, Any]]] = field(default_factory=dict)
    hold: threading.Event = field(default_factory=threading.Event, repr=False)
    posts: list[SlackPost] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _messages: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self.hold.set()

    _url: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        """Where it listens (after ``stop()``, where it listened: a dead address for tests)."""
        assert self._url, "start() first"
        return self._url

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        return f"{self.url}/response/{uuid.uuid4().hex}"

    def start(self) -> SlackStub:
        stub = self
        self._stopping.clear()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                body = _decode(raw, self.headers.get("content-type", ""))
                post = SlackPost(self.path, body, {k.lower(): v for k, v in self.headers.items()})
                with stub._cond:
                    stub.posts.append(post)
                    stub._cond.notify_all()
                for observer in list(OBSERVERS):
                    observer(post)
                if post.is_response_url:
                    if stub.response_delay > 0:
                        stub._stopping.wait(stub.response_delay)
                    self._answer(stub.response_status, stub.response_body, "text/html")
                    return
                stub.hold.wait()  # stop() sets it too
                answer = stub._api_answer(post)
                if "status" in answer:
                    self._answer(answer["status"], "<html>Slack is down</html>", "text/html")
                    return
                self._answer(200, json.dumps(answer), "application/json")

            def _answer(self, status: int, text: str, kind: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        host, port = self._server.server_address[:2]
        self._url = f"http://{host!s}:{port}"
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def _api_answer(self, post: SlackPost) -> dict[str, Any]:
        with self._cond:
            queued = self.api_replies.get(post.method)
            if queued:
                return queued.pop(0)
            error = self.api_errors.get(post.method)
            if error:
                return {"ok": False, "error": error}
            handler = self.api_handlers.get(post.method)
            if handler is None:
                if post.method in ("chat.postMessage", "chat.update"):
                    self._messages += 1
                    n = self._messages
                    ts = post.body.get("ts") or f"{n}.{n * 100:06d}"
                    return {"ok": True, "channel": post.body.get("channel"), "ts": ts}
                return {"ok": True}
        return handler(post)  # outside the lock: a handler has its own

    def stop(self) -> None:
        self._stopping.set()
        self.hold.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[SlackPost]:
        """Block until ``count`` posts arrived (threads answer asynchronously)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.posts) >= count, timeout):
                raise TimeoutError(f"Slack received {len(self.posts)} posts, expected {count}")
            return list(self.posts)

    def to(self, response_url: str) -> list[SlackPost]:
        """The posts one response_url received."""
        path = response_url.split("://", 1)[-1].partition("/")[2]
        with self._cond:
            return [p for p in self.posts if p.path == "/" + path]

    def wait_to(self, response_url: str, count: int = 1, timeout: float = 10.0) -> list[SlackPost]:
        """Block until one response_url received ``count`` posts."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.to(response_url)) >= count, timeout):
                raise TimeoutError(f"the response_url received no {count} post(s) in {timeout} s")
            return self.to(response_url)

    def calls(self, method: str) -> list[SlackPost]:
        with self._cond:
            return [p for p in self.posts if p.method == method]


def _decode(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        value = json.loads(raw or "{}")
        return value if isinstance(value, dict) else {"_": value}
    return dict(parse_qsl(raw))
