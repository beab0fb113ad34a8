"""Slack's Socket Mode in miniature, stdlib only: ``apps.connections.open`` and a WebSocket.

Behind a :class:`~bot.local.slack_stub.SlackStub`'s Web API it answers
``apps.connections.open`` (app-level token in the ``Authorization`` header, or in the form as
slack_sdk also sends it) with a ``ws://127.0.0.1:<port>/link/?ticket=…`` URL, each ticket
good for one connection. On that URL it speaks the RFC 6455 a Socket Mode client needs: the
handshake, text frames, ping/pong and close; it says ``hello``, and on request sends a
``slash_commands`` or ``interactive`` envelope shaped as Slack sends them
(:mod:`bot.local.events`), or a ``disconnect``. Every acknowledgement is recorded with its
``envelope_id``, its payload and the seconds since its envelope went out. The answers
themselves go where Slack's go: to the SlackStub's response_urls.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from bot.local.events import block_actions_payload, slash_command_payload
from bot.local.slack_stub import SlackPost, SlackStub

DEMO_APP_TOKEN: Final = "xapp-1-A0DEMO-1-smartjobs-demo-app-token"  # noqa: S105 - public demo value
DEMO_APP_ID: Final = "A0DEMO"
OPEN_METHOD: Final = "apps.connections.open"
LINK_PATH: Final = "/link/"
_ACCEPT_GUID: Final = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
"""RFC 6455 section 1.3: appended to the client's key to prove the server read it."""
MAX_FRAME: Final = 1 << 20
"""A client frame larger than this closes the connection (1009): an ack is a few hundred bytes."""

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class ProtocolError(Exception):
    """The client broke RFC 6455; ``code`` is the close code the stand-in answers with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


# -- RFC 6455, pure ----------------------------------------------------------------------------


def accept_key(client_key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1((client_key + _ACCEPT_GUID).encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame, as a server sends it."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def read_frame(read: Callable[[int], bytes]) -> tuple[int, bytes] | None:
    """The next frame from a client as (opcode, unmasked payload); None at end of stream.

    Clients must mask every frame and this stand-in takes no fragments; either, or an
    oversized frame, raises :class:`ProtocolError`.
    """
    head = read(2)
    if len(head) < 2:
        return None
    first, second = head
    opcode, size = first & 0x0F, second & 0x7F
    if not first & 0x80 or opcode == 0x0:
        raise ProtocolError(1003, "fragmented frames are not supported here")
    if first & 0x70:
        raise ProtocolError(1002, "reserved bits set without an extension")
    if not second & 0x80:
        raise ProtocolError(1002, "client frames must be masked")
    if size in (126, 127):
        extended = read(2 if size == 126 else 8)
        (size,) = struct.unpack("!H" if len(extended) == 2 else "!Q", extended)
    if size > MAX_FRAME:
        raise ProtocolError(1009, "frame too large")
    mask = read(4)
    data = read(size)
    if len(mask) < 4 or len(data) < size:
        return None
    return opcode, bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))


# -- the stand-in --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """What the client sent back for one envelope, and how long after it went out."""

    envelope_id: str
    payload: dict[str, Any] | None
    seconds: float


class _Link:
    """One accepted WebSocket: frames out under a lock (the reader thread answers pings)."""

    def __init__(self, sock: socket.socket, reader: io.BufferedIOBase) -> None:
        self.sock, self.reader = sock, reader
        self._send = threading.Lock()
        self.open = True

    def send(self, opcode: int, payload: bytes) -> None:
        with self._send:
            self.sock.sendall(encode_frame(opcode, payload))

    def read_exactly(self, size: int) -> bytes:
        return self.reader.read(size) if size else b""

    def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(OSError):
            self.send(CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        self.cut()

    def cut(self) -> None:
        """End the connection at once (wakes the reader thread)."""
        self.open = False
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


@dataclass
class SocketModeStub:
    """``with SlackStub() as slack, SocketModeStub(slack) as sm:`` then point ``SLACK_API_URL``
    at ``slack.api_url`` and ``SLACK_APP_TOKEN`` at ``sm.app_token``.

    ``hellos``: hellos sent (one per connection); ``opened``: ``apps.connections.open``
    calls answered with a URL; ``closed``: connections that ended. A wrong token is refused
    as Slack does (``invalid_auth``, or ``not_allowed_token_type`` for a bot or user
    token); ``slack.api_errors["apps.connections.open"]`` refuses every call.
    """

    slack: SlackStub
    app_token: str = DEMO_APP_TOKEN
    app_id: str = DEMO_APP_ID
    hellos: int = 0
    opened: int = 0
    closed: int = 0
    acks: list[Acknowledgement] = field(default_factory=list)
    _tickets: set[str] = field(default_factory=set, repr=False)
    _sent: dict[str, float] = field(default_factory=dict, repr=False)
    _links: list[_Link] = field(default_factory=list, repr=False)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _url: str = field(default="", repr=False)

    # -- lifecycle

    def start(self) -> SocketModeStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                refusal = stub._refuse_upgrade(self.path, self.headers)
                if refusal:
                    self.send_error(*refusal)
                    return
                self.send_response(101, "Switching Protocols")
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header(
                    "Sec-WebSocket-Accept", accept_key(self.headers["sec-websocket-key"])
                )
                self.end_headers()
                self.close_connection = True
                stub._serve(_Link(self.connection, self.rfile))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._url = f"ws://{host!s}:{port}"
        self.slack.api_handlers[OPEN_METHOD] = self._open
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.slack.api_handlers.pop(OPEN_METHOD, None)
        with self._cond:
            links = list(self._links)
        for link in links:
            link.close(1001, "going away")  # as Slack closes a connection it ends
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SocketModeStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a test sends

    def slash_command(self, text: str, *, response_url: str, **ids: str) -> str:
        """A ``/smartjobs`` envelope; its envelope_id."""
        payload = slash_command_payload(text, response_url=response_url, **ids)
        return self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    def block_actions(self, action_id: str, value: str, *, response_url: str, **ids: str) -> str:
        """A button click's ``interactive`` envelope; its envelope_id."""
        payload = block_actions_payload(action_id, value, response_url=response_url, **ids)
        return self.send_envelope("interactive", payload, accepts_response_payload=False)

    def send_envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool
    ) -> str:
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        link = self._current()
        with self._cond:
            self._sent[envelope_id] = time.monotonic()
        link.send(TEXT, json.dumps(envelope).encode())
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to move to a new connection, as Slack does every few hours."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-1"}}
        self._current().send(TEXT, json.dumps(message).encode())

    # -- what a test waits for

    def wait_hello(self, count: int = 1, timeout: float = 10.0) -> None:
        self._wait(lambda: self.hellos >= count, timeout, f"{count} hello(s)")

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Acknowledgement:
        self._wait(lambda: bool(self.acks_for(envelope_id)), timeout, f"ack of {envelope_id}")
        return self.acks_for(envelope_id)[0]

    def wait_closed(self, count: int = 1, timeout: float = 10.0) -> None:
        self._wait(lambda: self.closed >= count, timeout, f"{count} closed connection(s)")

    def acks_for(self, envelope_id: str) -> list[Acknowledgement]:
        with self._cond:
            return [ack for ack in self.acks if ack.envelope_id == envelope_id]

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(done, timeout):
                raise TimeoutError(f"Socket Mode stand-in: no {what} within {timeout} s")

    def _current(self) -> _Link:
        with self._cond:
            links = [link for link in self._links if link.open]
        if not links:
            raise RuntimeError("no client is connected to the Socket Mode stand-in")
        return links[-1]

    # -- Slack's side

    def _open(self, post: SlackPost) -> dict[str, Any]:
        """``apps.connections.open``: a one-time URL for the app token, or Slack's refusal."""
        given = post.headers.get("authorization", "").removeprefix("Bearer ").strip()
        token = given or str(post.body.get("token", ""))
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token.startswith(("xoxb-", "xoxp-")):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
            self.opened += 1
        return {"ok": True, "url": f"{self._url}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"}

    def _refuse_upgrade(self, path: str, headers: Message) -> tuple[int, str] | None:
        """Why a GET may not become this WebSocket (status, reason), or None when it may."""
        parts = urlsplit(path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._cond:
            known = ticket in self._tickets
            self._tickets.discard(ticket)
        if parts.path != LINK_PATH or not known:
            return 401, "unknown or used ticket: call apps.connections.open for a new URL"
        connection = {token.strip().lower() for token in headers.get("connection", "").split(",")}
        if headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in connection:
            return 400, "not a WebSocket upgrade"
        if headers.get("sec-websocket-version") != "13" or not headers.get("sec-websocket-key"):
            return 400, "Sec-WebSocket-Version 13 and a Sec-WebSocket-Key are required"
        return None

    def _serve(self, link: _Link) -> None:
        """One connection, on its handler thread: hello, then the client's frames until it ends."""
        with self._cond:
            self._links.append(link)
        try:
            hello = {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-1", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
            link.send(TEXT, json.dumps(hello).encode())
            with self._cond:
                self.hellos += 1
                self._cond.notify_all()
            while link.open:
                frame = read_frame(link.read_exactly)
                if frame is None:
                    break
                opcode, data = frame
                if opcode == TEXT:
                    self._acknowledged(data)
                elif opcode == PING:
                    link.send(PONG, data)
                elif opcode == CLOSE:
                    link.close(1000, "")
                elif opcode != PONG:
                    raise ProtocolError(1003, f"unexpected opcode {opcode}")
        except ProtocolError as error:
            link.close(error.code, str(error))
        except OSError:
            pass  # the client went away, or stop() cut the connection
        finally:
            link.cut()
            with self._cond:
                self._links.remove(link)
                self.closed += 1
                self._cond.notify_all()

    def _acknowledged(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            raise ProtocolError(1007, "a text frame that is not JSON") from None
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not isinstance(envelope_id, str):
            raise ProtocolError(1008, "a message without an envelope_id")
        payload = message.get("payload")
        with self._cond:
            sent = self._sent.get(envelope_id)
            if sent is None:
                raise ProtocolError(1008, f"ack of an envelope never sent: {envelope_id}")
            ack = Acknowledgement(
                envelope_id,
                payload if isinstance(payload, dict) else None,
                time.monotonic() - sent,
            )
            self.acks.append(ack)
            self._cond.notify_all()
