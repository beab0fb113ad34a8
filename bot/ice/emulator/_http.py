"""The emulator as a server: sockets, threads and the order a request is answered in.

Everything a request's answer depends on is in the pure modules beside this one
(:mod:`._verify`, :mod:`._paging`, :mod:`._faults`); only :class:`_Handler` and
:class:`Emulator` touch sockets and threads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, cast
from urllib.parse import urlsplit

from bot.ice._enums import GET_JOB_ACTION
from bot.ice._regions import DEFAULT_REGION, endpoint_for
from bot.ice.emulator import _details
from bot.ice.emulator._dataset import generate_jobs, newest_first
from bot.ice.emulator._errors import ApiError, error_body, new_request_id
from bot.ice.emulator._faults import Answer, Faults, Hang, fault_answer
from bot.ice.emulator._live import Change, Live, World
from bot.ice.emulator._paging import TokenCodec, list_page, parse_listing
from bot.ice.emulator._untidy import untidy as untidy_jobs
from bot.ice.emulator._untidy import untidy_details
from bot.ice.emulator._verify import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    Incoming,
    Verifier,
    parse_params,
)

log = logging.getLogger(__name__)

MAX_BODY: Final = 1 << 20
IDLE_TIMEOUT: Final = 60.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut idle keep-alive connections, so a pooled client cannot talk to a stopped server."""
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("emulator connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed ACK

    def version_string(self) -> str:
        return "Tengine"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo own stderr."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return None
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            return None
        return self.rfile.read(int(length)) if int(length) else b""

    def _serve(self) -> None:
        emulator = cast(_Server, self.server).emulator
        request_id = new_request_id()
        body = self._read_body()
        emulator._count_call(self.headers.get("x-acs-action", ""))
        if body is None:
            self.close_connection = True
            self._send_json(
                400,
                error_body(
                    ApiError("InvalidParameter", "Unreadable body."),
                    request_id=request_id,
                    host_id=emulator.host_id,
                ),
            )
            return
        incoming = Incoming(
            method=self.command,
            target=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            status, payload = emulator._answer(incoming, request_id)
        except Hang:
            self.close_connection = True
            return
        except Exception as exc:  # an emulator bug must surface as a loud 500, not a hang
            log.exception("emulator failed on %s", self.path)
            error = ApiError("InternalError", f"Emulator bug: {type(exc).__name__}: {exc}")
            status, payload = (
                500,
                error_body(error, request_id=request_id, host_id=emulator.host_id),
            )
        if isinstance(payload, str):
            self._send(status, payload.encode(), "text/html", request_id)
        else:
            self._send_json(status, payload, request_id)

    def _send_json(self, status: int, payload: dict[str, Any], request_id: str = "") -> None:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        try:
            raw = text.encode()
        except UnicodeEncodeError:  # an unpaired surrogate in the data: JSON can escape it
            raw = json.dumps(payload, separators=(",", ":")).encode()
        self._send(status, raw, "application/json;charset=utf-8", request_id)

    def _send(self, status: int, raw: bytes, content_type: str, request_id: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        if request_id:
            self.send_header("x-acs-request-id", request_id)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(raw)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Emulator:
    """ICE ``ListSmartJobs`` and ``GetSmartHandleJob`` of one region on ``127.0.0.1``: bound
    at construction, served after ``start()``.

    ``host_header``, when set, is the host signatures are checked against (and the
    ``HostId`` of errors) instead of the request's own ``Host``: for clients that
    sign the public endpoint's host while connecting here. ``lenient_tokens`` reads
    a NextToken the emulator never issued as the first page instead of refusing it,
    for replaying requests recorded against another server. ``total_count`` adds
    ``TotalCount`` to pages (the service omits it by default); ``untidy`` replaces that
    share of the jobs with the odd values of :mod:`._untidy`, seeded by ``seed`` (their
    details get one odd value more).

    ``clock`` is the world's time (the dataset's "now", a job's age, live mode); signatures
    are always checked against the real time. ``live`` (True, or a :class:`Live`) makes the
    world move: jobs arrive, running jobs finish or fail (:mod:`._live`), applied before each
    answer and by :meth:`advance`. In live mode the world owns :attr:`jobs`.
    """

    def __init__(
        self,
        *,
        jobs: list[dict[str, Any]] | None = None,
        count: int = 500,
        seed: int = 7,
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        security_tokens: Mapping[str, str] | None = None,
        max_skew: timedelta | None = timedelta(minutes=15),
        faults: Faults | None = None,
        host_header: str | None = None,
        lenient_tokens: bool = False,
        total_count: bool = False,
        untidy: float = 0.0,
        region: str = DEFAULT_REGION,
        live: bool | Live = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.region = region
        self.seed = seed
        self._clock = clock or _utc_now
        self._offset = timedelta(0)
        start = self.now()
        source = (
            jobs
            if jobs is not None
            else generate_jobs(count=count, seed=seed, now=start, region=region)
        )
        tidy = newest_first(source)
        self.jobs: list[Any] = untidy_jobs(tidy, rate=untidy, seed=seed)
        self._untidy_ids = frozenset(
            key
            for before, after in zip(tidy, self.jobs, strict=True)
            if after is not before
            and isinstance(after, dict)
            and (key := _details.job_key(after.get("JobId")))
        )
        self._world = (
            World(
                self.jobs,
                seed=seed,
                start=start,
                live=live if isinstance(live, Live) else None,
                region=region,
            )
            if live
            else None
        )
        self.total_count = total_count
        self.faults = faults or Faults()
        self.verifier = Verifier(
            credentials=dict(credentials or {DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET}),
            security_tokens=dict(security_tokens or {}),
            max_skew=max_skew,
            host_header=host_header,
        )
        self.host_id = host_header or urlsplit(endpoint_for(region)).netloc
        self.tokens = TokenCodec(f"smartjobs-emulator:{seed}".encode(), lenient=lenient_tokens)
        self._lock = threading.Lock()
        self._calls = 0
        self._calls_by_action: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._server = _Server(("127.0.0.1", port), self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def calls(self) -> int:
        """Requests received, whatever the action and the answer."""
        with self._lock:
            return self._calls

    def calls_for(self, action: str) -> int:
        """Requests received that named ``action`` in ``x-acs-action``, whatever the answer."""
        with self._lock:
            return self._calls_by_action[action]

    def _count_call(self, action: str) -> None:
        with self._lock:
            self._calls += 1
            self._calls_by_action[action] += 1

    # -- the world's time (live mode) ------------------------------------------------------

    def now(self) -> datetime:
        """The world's time: the clock, plus whatever :meth:`advance` added."""
        return self._clock() + self._offset

    @property
    def live(self) -> bool:
        return self._world is not None

    def advance(self, by: timedelta = timedelta(0)) -> list[Change]:
        """Move the world's time on by ``by`` and apply every change due by then, returned
        in order (``advance()`` alone applies what is due by now). Live mode only."""
        world = self._live_world()
        with self._lock:
            self._offset += by
            return self._apply(world)

    def fail(self, job_id: str, code: str | None = None, message: str | None = None) -> Change:
        """Fail the job now, whatever its state; GetSmartHandleJob then answers ``code`` and
        ``message`` (by default, the job's own seeded failure). Live mode only."""
        world = self._live_world()
        with self._lock:
            self._apply(world)
            failure = (code, message or "The job failed.") if code else None
            change = world.fail(job_id, failure)
            self.jobs = world.jobs
            return change

    def upcoming(self) -> list[tuple[datetime, str, str]]:
        """The changes planned so far, soonest first: (when, job id, new state); arrivals are
        drawn one at a time, so they are not listed. Live mode only."""
        world = self._live_world()
        with self._lock:
            return world.pending()

    def _live_world(self) -> World:
        if self._world is None:
            raise RuntimeError("not a live emulator: construct it with live=True")
        return self._world

    def _apply(self, world: World) -> list[Change]:
        """Under the lock: the world brought to now, its jobs served from here on."""
        changes = world.advance_to(self.now())
        if changes:
            self.jobs = world.jobs
        return changes

    def start(self) -> Emulator:
        if self._thread is not None:
            raise RuntimeError("the emulator is already started")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ice-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut keep-alive connections and hung requests, release the port."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Emulator(url={self.url!r}, jobs={len(self.jobs)})"

    # -- one request ---------------------------------------------------------

    def _answer(self, request: Incoming, request_id: str) -> Answer:
        """Faults first, then verification, then the page."""
        faults = self.faults
        if faults.latency > 0:
            self._stopping.wait(faults.latency)
        with self._lock:
            fault = faults.draw()
            if self._world is not None:
                self._apply(self._world)
        host_id = self.verifier.host_header or request.headers.get("host") or self.host_id
        try:
            if fault is not None:
                return fault_answer(
                    fault, hang=faults.hang, request_id=request_id, stopping=self._stopping
                )
            params = parse_params(request.raw_query)
            self.verifier.verify(request, params, datetime.now(UTC))
            if request.headers["x-acs-action"] == GET_JOB_ACTION:
                return 200, {"RequestId": request_id, **self._details(params)}
            listing = parse_listing(params, self.tokens)
        except ApiError as error:
            return error.status, error_body(error, request_id=request_id, host_id=host_id)
        page = list_page(self.jobs, listing, self.tokens, total_count=self.total_count)
        return 200, {"RequestId": request_id, **page}

    def _details(self, params: Mapping[str, str]) -> dict[str, Any]:
        """GetSmartHandleJob's body for the job asked for, or :class:`ApiError`."""
        body = _details.answer(
            self.jobs,
            params,
            now=self.now(),
            seed=self.seed,
            region=self.region,
            failures=self._world.failures if self._world is not None else None,
        )
        job_id = params["JobId"]
        if job_id in self._untidy_ids:
            body = untidy_details(body, seed=self.seed, job_id=job_id)
        return body
