"""A lean httpx transport: HTTP/1.1 keep-alive over the standard library's ``http.client``.

The ICE client's and the AWS calls' (``bot/aws``) last hop. On the ack path it also spares
a cold start importing httpcore and h11 (about 27 ms) for the self-invoke.

``IceClient`` still speaks httpx (``httpx.Client``, ``httpx.Request``/``Response``, its
errors, proxies from the environment, ``MockTransport`` in tests); only the last hop
changes. httpcore and h11 validate and re-encode every header and event in Python, which
cost about 0.1 ms per ``ListSmartJobs`` call, a sixth of the client's CPU: enough to
lose to the official SDK (requests + urllib3, themselves on ``http.client``).

Only what one small signed GET needs: a pool of idle connections per origin, the
timeouts httpx hands over, one silent reconnect when a kept-alive connection turns out
to be closed (safe: ListSmartJobs is a read), and httpx's exception types. Proxies are
httpx's business: when the environment names one for the endpoint, :func:`transport_for`
leaves the choice to httpx (which ignores ``*_PROXY`` once handed a transport).
"""

from __future__ import annotations

import http.client
import ssl
import threading
import urllib.request
from typing import Final
from urllib.parse import urlsplit

import httpx

MAX_IDLE_PER_ORIGIN: Final = 10
MAX_CONNECTIONS: Final = 20
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
"""What a kept-alive connection the server has closed meanwhile fails with, before any answer."""

Origin = tuple[str, str, int]
Connection = http.client.HTTPConnection


def transport_for(endpoint: str) -> LeanTransport | None:
    """The lean transport, or None (httpx's own, proxy-aware) when ``HTTP(S)_PROXY`` or
    ``ALL_PROXY`` routes ``endpoint`` through a proxy and ``NO_PROXY`` does not exempt it."""
    parts = urlsplit(endpoint)
    proxies = urllib.request.getproxies()
    proxied = parts.scheme in proxies or "all" in proxies
    if proxied and not urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return LeanTransport()


class LeanTransport(httpx.BaseTransport):
    """Keep-alive HTTP/1.1 for :class:`httpx.Client`; thread-safe, at most ``max_connections``
    requests in flight (more wait up to the pool timeout)."""

    def __init__(
        self,
        *,
        max_connections: int = MAX_CONNECTIONS,
        max_idle_per_origin: int = MAX_IDLE_PER_ORIGIN,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._idle: dict[Origin, list[Connection]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._max_idle = max_idle_per_origin
        self._ssl = ssl_context

    def __repr__(self) -> str:
        return "LeanTransport()"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        if not self._slots.acquire(timeout=timeouts.get("pool")):
            raise httpx.PoolTimeout("no connection free in time", request=request)
        try:
            return self._exchange(request, timeouts)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()

    # -- one request -----------------------------------------------------------------------

    def _exchange(
        self, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        target = url.raw_path.decode("ascii")  # path and query exactly as built (and signed)
        body = request.read() or None
        conn = self._checkout(origin)
        if conn is not None:
            try:
                return self._send(conn, origin, request, target, body, timeouts)
            except _StaleConnection:
                pass  # the server closed it while idle: once more on a fresh one
        conn = self._connect(origin, request, timeouts)
        try:
            return self._send(conn, origin, request, target, body, timeouts)
        except _StaleConnection as stale:
            raise httpx.RemoteProtocolError(
                "the server closed the connection without answering", request=request
            ) from stale.__cause__

    def _send(
        self,
        conn: Connection,
        origin: Origin,
        request: httpx.Request,
        target: str,
        body: bytes | None,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        try:
            if conn.sock is not None:
                conn.sock.settimeout(timeouts.get("read"))
            conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                conn.putheader(name, value)
            conn.endheaders(body)
            answer = conn.getresponse()
            content = answer.read()
        except _STALE as exc:
            conn.close()
            raise _StaleConnection from exc
        except TimeoutError as exc:
            conn.close()
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except http.client.HTTPException as exc:
            conn.close()
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except ValueError as exc:  # http.client refused a header of ours
            conn.close()
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        except OSError as exc:
            conn.close()
            raise httpx.ReadError(str(exc), request=request) from exc
        if answer.will_close:
            conn.close()
        else:
            self._checkin(origin, conn)
        return httpx.Response(
            answer.status,
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.getheaders()],
            content=content,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1" if answer.version == 11 else b"HTTP/1.0",
                "reason_phrase": answer.reason.encode("ascii", "replace"),
            },
        )

    # -- the pool --------------------------------------------------------------------------

    def _connect(
        self, origin: Origin, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> Connection:
        scheme, host, port = origin
        timeout = timeouts.get("connect")
        conn: Connection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls())
        elif scheme == "http":
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        else:
            raise httpx.UnsupportedProtocol(f"no transport for {scheme!r} URLs", request=request)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:  # refused, unreachable, name not resolved, TLS refused
            conn.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        return conn

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()  # the same trust store httpx would use
        return self._ssl

    def _checkout(self, origin: Origin) -> Connection | None:
        with self._lock:
            idle = self._idle.get(origin)
            return idle.pop() if idle else None

    def _checkin(self, origin: Origin, conn: Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()


class _StaleConnection(Exception):
    """A reused connection failed before any answer arrived."""
