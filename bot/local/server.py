"""`smartjobs serve`: the same Bolt app over plain HTTP, lazy work in threads.

Slack's requests (commands and interactivity) arrive at ``POST /slack/events``; put a tunnel
in front to use it from a real workspace (or use ``--socket``, no tunnel needed). Like the
Lambda entry, every request is checked by :mod:`bot.slack.inbound` before Bolt sees it; on
top of that, this server refuses a bad ``Content-Length`` before reading, drops a client that
stalls mid-body, and serves a bounded number of requests at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from typing import Any, Final
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.services import Services
from bot.slack import inbound
from bot.slack.app import create_app

log = logging.getLogger("bot.server")

PATH: Final = "/slack/events"
READ_TIMEOUT: Final = 10.0
"""Seconds a client may take between bytes before its connection is dropped."""
MAX_CONCURRENT: Final = 64

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.slots.acquire()  # at most max_concurrent handler threads; the rest wait in line
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def _handler(read_timeout: float) -> type[WSGIRequestHandler]:
    class QuietHandler(WSGIRequestHandler):
        timeout = read_timeout  # the socket's: a stalled client raises instead of holding on

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return QuietHandler


def _plain(start_response: StartResponse, status: str, text: str) -> Iterable[bytes]:
    data = (text + "\n").encode()
    start_response(
        status,
        [("content-type", "text/plain"), ("content-length", str(len(data)))],
    )
    return [data]


_STATUS = {400: "400 Bad Request", 401: "401 Unauthorized", 413: "413 Payload Too Large"}


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def build_wsgi(
    services: Services, *, workers: int = 32, clock: Callable[[], float] = time.time
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app; lazy listeners run on a bounded pool, not one thread per request."""
    app = create_app(
        services,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lazy"),
    )
    secret = services.settings.slack_signing_secret

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return _plain(start_response, "404 Not Found", f"POST Slack's requests to {PATH}")
        source = str(environ.get("REMOTE_ADDR", "unknown"))
        length = str(environ.get("CONTENT_LENGTH") or "0").strip()
        if not (length.isascii() and length.isdigit() and len(length) <= 12):
            log.warning("refused a request: bad Content-Length (from %s)", source)
            return _plain(start_response, "400 Bad Request", "bad Content-Length")
        size = int(length)
        if size > inbound.MAX_BODY:
            log.warning("refused a request: body too large (%d bytes, from %s)", size, source)
            return _plain(start_response, "413 Payload Too Large", "body too large")
        try:
            body = environ["wsgi.input"].read(size) if size else b""
        except OSError:  # the socket's read timeout: a client that stalled mid-body
            log.warning("dropped a request: the client stalled mid-body (from %s)", source)
            return _plain(start_response, "408 Request Timeout", "request body timed out")
        if len(body) != size:
            return _plain(start_response, "400 Bad Request", "body shorter than Content-Length")
        verified = inbound.check(body, _headers(environ), secret, now=clock())
        if isinstance(verified, inbound.Rejection):
            log.warning(
                "refused a request: %s (HTTP %d, %d bytes, from %s)",
                verified.reason,
                verified.status,
                size,
                source,
            )
            return _plain(start_response, _STATUS[verified.status], verified.reason)
        response = app.dispatch(inbound.bolt_request(verified))
        data = response.body.encode() if isinstance(response.body, str) else response.body
        headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(f"{response.status} {_reason(response.status)}", headers)
        return [data]

    return wsgi


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def make(
    host: str,
    port: int,
    services: Services,
    *,
    read_timeout: float = READ_TIMEOUT,
    max_concurrent: int = MAX_CONCURRENT,
) -> ThreadingWSGIServer:
    server = make_server(
        host,
        port,
        build_wsgi(services),
        server_class=ThreadingWSGIServer,
        handler_class=_handler(read_timeout),
    )
    server.slots = threading.BoundedSemaphore(max_concurrent)
    return server


def show_warnings() -> None:
    """While serving, refusals and failures show on stderr (the CLI is quiet otherwise)."""
    bot = logging.getLogger("bot")
    bot.setLevel(min(bot.getEffectiveLevel(), logging.WARNING))


def run(server: ThreadingWSGIServer, host: str) -> None:
    """Serve until Ctrl-C (the ``smartjobs serve`` command)."""
    show_warnings()
    print(f"smartjobs: listening on http://{host}:{server.server_port}{PATH} (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
