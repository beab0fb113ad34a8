"""`smartjobs serve`: the same Bolt app over plain HTTP, lazy work in threads.

Slack's requests (commands and interactivity) arrive at ``POST /slack/events``; put a tunnel
in front to use it from a real workspace.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.config import Settings
from bot.services import Services
from bot.slack.app import create_app

log = logging.getLogger("bot.server")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def build_wsgi(services: Services, *, workers: int = 32) -> Any:
    """The WSGI app; lazy listeners run on a bounded pool, not one thread per request."""
    app = create_app(
        services,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lazy"),
    )
    handler = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/slack/events":
            start_response("404 Not Found", [("content-type", "text/plain")])
            return [b"POST Slack's requests to /slack/events\n"]
        return handler(environ, start_response)

    return wsgi


def make(host: str, port: int, services: Services) -> ThreadingWSGIServer:
    server = make_server(
        host,
        port,
        build_wsgi(services),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    assert isinstance(server, ThreadingWSGIServer)
    return server


def serve(*, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    server = make(host, port, Services(settings=settings))
    print(f"smartjobs: listening on http://{host}:{server.server_port}/slack/events (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
