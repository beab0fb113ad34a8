"""`smartjobs serve --socket`: the same Bolt app over Socket Mode, no public URL, no tunnel.

slack_sdk's built-in client asks ``apps.connections.open`` (at ``SLACK_API_URL``) for a
WebSocket URL with the app-level token (``SLACK_APP_TOKEN``, ``xapp-…``), connects, and waits
for Slack's ``hello``. Each envelope then goes through the app exactly as an HTTP request
does: acknowledged on the socket with what the ack listener said, lazy work on a bounded pool
of threads. Slack signs none of these requests (the app token authenticates the socket), so
no signing secret is needed. Ctrl-C closes the socket and waits for the answers under way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot.config import ConfigError, Settings
from bot.local.server import show_warnings
from bot.services import Services
from bot.slack.app import create_app
from bot.slack.delivery import SLACK_HINTS

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.socket_mode.builtin.connection import Connection
    from slack_sdk.socket_mode.client import BaseSocketModeClient
    from slack_sdk.web import SlackResponse

APP_TOKEN: Final = "SLACK_APP_TOKEN"  # noqa: S105 - the variable's name
APP_TOKEN_PREFIX: Final = "xapp-"  # noqa: S105 - what every app-level token starts with
HELLO_TIMEOUT: Final = 10.0
"""Seconds between the WebSocket opening and Slack's ``hello`` before giving up."""
_WHERE: Final = "Basic Information > App-Level Tokens, scope connections:write"
_SLUG: Final = re.compile(r"[a-z_]{1,60}")
"""What Slack's error codes look like; anything else is a proxy's or an outage's page."""
_NOT_SIGNED: Final = "socket-mode-requests-are-not-signed"
"""Stands in for the signing secret Bolt wants and Socket Mode never uses."""

TOKEN_REFUSALS: Final[dict[str, str]] = {
    "invalid_auth": f"copy the app-level token (xapp-…) of this app again ({_WHERE})",
    "not_authed": f"set it to the app-level token (xapp-…) of the app ({_WHERE})",
    "not_allowed_token_type": f"it must be an app-level token (xapp-…, {_WHERE}), "
    "not a bot or user token",
    "missing_scope": "give the app-level token the connections:write scope "
    "(Basic Information > App-Level Tokens), or make a new one with it",
    "token_revoked": f"the token was revoked: make a new app-level token ({_WHERE})",
    "account_inactive": "the app was deleted or deactivated: create it again from "
    "infra/slack-app-manifest.socket.yaml",
}
"""``apps.connections.open`` errors that mean the token is wrong (the user's to fix, exit 2)."""


class SocketModeUnavailable(Exception):
    """Slack could not be reached, or did not open the socket: a service failure (exit 1)."""


def app_token(value: str | None) -> str:
    """``SLACK_APP_TOKEN``, checked for its shape; the message never shows the token."""
    token = (value or "").strip()
    if not token:
        raise ConfigError(
            f"{APP_TOKEN} is not set: Socket Mode needs the app's app-level token "
            f"(xapp-…, {_WHERE})."
        )
    if not token.startswith(APP_TOKEN_PREFIX):
        kind = "the bot token" if token.startswith("xoxb-") else "not an app-level token"
        raise ConfigError(
            f"{APP_TOKEN} must be the app-level token, which starts with {APP_TOKEN_PREFIX} "
            f"({_WHERE}); this one is {kind}."
        )
    return token


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """The usual settings, but the signing secret may be left out: nothing here checks one."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("SLACK_SIGNING_SECRET"):
        env["SLACK_SIGNING_SECRET"] = _NOT_SIGNED
    return Settings.from_env(env)


def refusal(code: str, status: int = 200) -> ConfigError | SocketModeUnavailable:
    """Slack's refusal of ``apps.connections.open`` as the one line the terminal shows:
    a token problem is the user's to fix; anything else is Slack's (its body never shown)."""
    fix = TOKEN_REFUSALS.get(code)
    if fix:
        return ConfigError(f"Slack refused {APP_TOKEN} ({code}): {fix}.")
    said = f"HTTP {status}" if status >= 400 or not _SLUG.fullmatch(code) else code
    return SocketModeUnavailable(
        f"Slack did not open a Socket Mode connection ({said}): try again in a minute "
        "(https://slack-status.com), or see https://api.slack.com/methods/apps.connections.open"
    )


class AppTokenClient(WebClient):
    """The Web API client that opens connections: the app token rides in the
    ``Authorization`` header only. slack_sdk's own call also puts it in the form body, and
    its debug log prints that body."""

    def apps_connections_open(self, *, app_token: str, **kwargs: Any) -> SlackResponse:
        return self.api_call(
            "apps.connections.open",
            http_verb="POST",
            headers={"Authorization": f"Bearer {app_token}"},
            params=kwargs,
        )


@dataclass
class SocketSession:
    """A connected app: the Socket Mode handler, its lazy pool, and what Slack said hello with."""

    handler: SocketModeHandler
    lazy: ThreadPoolExecutor
    hello: threading.Event = field(default_factory=threading.Event)
    app_id: str | None = None
    failure: str | None = None
    """The last connection error the client reported (its type and message)."""

    def heard(self, client: BaseSocketModeClient, message: dict[str, Any], raw: Any) -> None:
        if message.get("type") == "hello":
            info = message.get("connection_info")
            app_id = info.get("app_id") if isinstance(info, dict) else None
            self.app_id = app_id if isinstance(app_id, str) else None
            connection = self.handler.client.current_session
            if connection is not None:
                close_wakes_reader(connection)
            self.hello.set()

    def failed(self, error: Exception) -> None:
        self.failure = f"{type(error).__name__}: {error}"

    def close(self) -> None:
        """Close the socket and the client's threads, then let the answers under way finish."""
        self.handler.client.close()
        self.lazy.shutdown(wait=True)


def close_wakes_reader(connection: Connection) -> None:
    """Make closing this connection end its reader's blocking read first.

    The client's reader waits up to 3 s in ``recv`` holding the lock ``close`` needs. Closing
    happens on Ctrl-C and when Slack asks for a refresh: the new connection is only read
    once the old one is closed, so without this its first envelopes wait those 3 s.
    """
    close = connection.close

    def shut_then_close() -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        close()

    connection.close = shut_then_close  # type: ignore[method-assign]


def connect(
    services: Services,
    token: str,
    *,
    hello_timeout: float = HELLO_TIMEOUT,
    workers: int = 32,
) -> SocketSession:
    """Open the socket and wait for ``hello``; raises ``ConfigError`` for a token Slack refuses,
    :class:`SocketModeUnavailable` when Slack cannot be reached."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError, SlackClientError

    api_url = services.settings.slack_api_url
    lazy = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lazy")
    app = create_app(services, process_before_response=False, listener_executor=lazy)
    # Its failures become our one line, or the client's own line when a reconnect fails;
    # its log stays as quiet as the terminal was when serving began (-v shows its retries).
    opener_log = logging.getLogger("bot.socket.web")
    opener_log.setLevel(logging.getLogger("bot").getEffectiveLevel())
    opener = AppTokenClient(base_url=api_url, logger=opener_log)
    # No reconnecting until Slack said hello: a first connection that fails is reported,
    # not retried behind our back while we close.
    handler = SocketModeHandler(app, token, web_client=opener, auto_reconnect_enabled=False)
    session = SocketSession(handler, lazy)
    client = handler.client
    client.message_listeners.append(session.heard)
    client.on_error_listeners.append(session.failed)
    try:
        client.connect()
        if not client.is_connected():
            raise SocketModeUnavailable(
                "could not open Slack's Socket Mode WebSocket "
                f"({session.failure or 'the handshake was refused'}): "
                "check the network path to Slack"
            )
        if not session.hello.wait(hello_timeout):
            raise SocketModeUnavailable(
                f"Slack's Socket Mode WebSocket opened but sent no hello within "
                f"{hello_timeout:g} s: try again, or check the network path to Slack"
            )
        client.default_auto_reconnect_enabled = client.auto_reconnect_enabled = True
    except SlackApiError as error:
        session.close()
        code = error.response.get("error")
        raise refusal(str(code or ""), error.response.status_code) from None
    except (SlackClientError, OSError, ValueError) as error:  # unreachable, or not Slack's JSON
        session.close()
        host = urlsplit(api_url).netloc.rpartition("@")[2]  # never a user:password@ part
        raise SocketModeUnavailable(
            f"Slack's Web API ({host}) did not answer apps.connections.open "
            f"({type(error).__name__}): {SLACK_HINTS['unreachable']}"
        ) from None
    except BaseException:
        session.close()
        raise
    return session


def run(session: SocketSession, stop: threading.Event | None = None) -> None:
    """Serve until Ctrl-C (or until ``stop`` is set), then close everything."""
    show_warnings()
    app = f" as app {session.app_id}" if session.app_id else ""
    print(f"smartjobs: connected to Slack over Socket Mode{app} (Ctrl-C stops)", flush=True)
    try:
        (stop or threading.Event()).wait()
    finally:
        session.close()
        print("smartjobs: disconnected from Slack", flush=True)
