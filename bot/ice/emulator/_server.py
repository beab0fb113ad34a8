"""A local ICE ``ListSmartJobs`` endpoint: real V3 signature checks, paging, injectable faults.

Verification reuses :mod:`bot.ice._signing`, the same canonicalisation the
client signs with, so a request this server accepts is one the real service
would accept (the tests prove it with requests recorded from the official SDK).
Request parsing, verification and paging are plain functions over plain values;
only :class:`_Handler` and :class:`Emulator` touch sockets and threads.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import random
import socket
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, cast
from urllib.parse import parse_qsl, urlsplit

from bot.ice import _signing
from bot.ice._enums import ACTION, API_VERSION, JobState, JobType, SortBy
from bot.ice.emulator._dataset import WIRE_TIME, generate_jobs, newest_first

log = logging.getLogger(__name__)

DEMO_ACCESS_KEY_ID: Final = "smartjobs-demo-id"
DEMO_ACCESS_KEY_SECRET: Final = "smartjobs-demo-secret"  # noqa: S105  (documented, local only)

DEFAULT_HOST_ID: Final = "ice.cn-shanghai.aliyuncs.com"
NONCE_MEMORY: Final = 100_000
MAX_BODY: Final = 1 << 20
IDLE_TIMEOUT: Final = 60.0

# Special script entries (anything else in ``Faults.script`` is an error Code).
TIMEOUT, HTML, MALFORMED = "timeout", "html", "malformed"

# Code -> (HTTP status, the service's message). Statuses are the ones Alibaba Cloud
# POP gateways use; ``Throttling*`` really is 400 there, not 429/503.
ERRORS: Final[dict[str, tuple[int, str]]] = {
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "MissingParameter": (400, "A required parameter is not supplied."),
    "InvalidParameter": (400, "The specified parameter is not valid."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidAccessKeyId.Inactive": (400, "Specified access key is disabled."),
    "SignatureDoesNotMatch": (400, "Specified signature does not match our calculation."),
    "InvalidSecurityToken.Malformed": (400, "Specified SecurityToken is malformed."),
    "InvalidSecurityToken.Expired": (400, "Specified SecurityToken is expired."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidAction.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "Forbidden.RAM": (403, "User not authorized to operate on the specified resource."),
    "NoPermission": (403, "You are not authorized to perform this operation."),
    "Throttling": (400, "Request was denied due to request throttling."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "InternalError": (
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
    ),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
}

HTML_502: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n"
    "</body>\r\n</html>\r\n"
)

INT_PARAMS: Final[dict[str, tuple[int, int | None]]] = {
    "MaxResults": (1, 100),
    "PageSize": (1, 100),
    "PageNo": (1, None),
}
ENUM_PARAMS: Final[dict[str, frozenset[str]]] = {
    "JobType": frozenset(JobType),
    "JobState": frozenset(JobState),
    "SortBy": frozenset(SortBy),
}


class ApiError(Exception):
    """A refusal the service would send: ``Code`` plus a message; status from :data:`ERRORS`."""

    def __init__(self, code: str, message: str | None = None) -> None:
        status, default = ERRORS.get(code, (400, "The request was refused."))
        self.code = code
        self.status = status
        self.message = message or default
        super().__init__(f"{code}: {self.message}")


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def error_body(error: ApiError, *, request_id: str, host_id: str) -> dict[str, str]:
    recommend = (
        f"https://api.aliyun.com/troubleshoot?q={error.code}&product=ICE&requestId={request_id}"
    )
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
        "Recommend": recommend,
    }


# --------------------------------------------------------------------------- faults


@dataclass
class Faults:
    """Injected failures, answered before verification (a faulted request does not use its nonce).

    ``script`` entries are popped one per request, in order, then normal service
    resumes; append to it on a live emulator to script the next requests. An entry
    is an error ``Code`` (status from :data:`ERRORS`, 400 when unknown), or
    ``"timeout"`` (hold the connection ``hang`` seconds, then close it unanswered;
    ``stop()`` cuts the wait short), ``"html"`` (a gateway's HTML 502 page) or
    ``"malformed"`` (200 with truncated JSON). Random faults draw from their own
    RNG seeded by ``seed``: ``Throttling.User`` at ``throttle_rate``, else
    ``InternalError``/``ServiceUnavailable`` at ``error_rate``.
    """

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency: float = 0.0
    seed: int = 0
    script: list[str] = field(default_factory=list)
    hang: float = 30.0
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311  (fault injection, not crypto)

    def draw(self) -> str | None:
        """The fault for the next request, or None; callers hold the emulator's lock."""
        if self.script:
            return self.script.pop(0)
        if self.throttle_rate <= 0 and self.error_rate <= 0:
            return None
        roll = self._rng.random()
        if roll < self.throttle_rate:
            return "Throttling.User"
        if roll < self.throttle_rate + self.error_rate:
            return self._rng.choice(["InternalError", "ServiceUnavailable"])
        return None


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class Incoming:
    """One HTTP request as the verifier sees it (header names lower-cased)."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query


def parse_params(raw_query: str) -> dict[str, str]:
    """Decode the URL query (``+`` is a space, as the official SDK sends it); no duplicates."""
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ApiError("InvalidParameter", "The query string is not valid UTF-8.") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise ApiError("InvalidParameter", f"The parameter {key} is given more than once.")
        params[key] = value
    return params


class NonceBook:
    """Nonces already used, per AccessKey; bounded, oldest forgotten first."""

    def __init__(self, capacity: int = NONCE_MEMORY) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def use(self, access_key_id: str, nonce: str) -> bool:
        """Record the nonce; False when it was already used."""
        key = (access_key_id, nonce)
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


@dataclass
class Verifier:
    """Checks an ACS3-HMAC-SHA256 request the way the ICE gateway does."""

    credentials: Mapping[str, str]
    security_tokens: Mapping[str, str]
    max_skew: timedelta | None
    host_header: str | None = None
    nonces: NonceBook = field(default_factory=NonceBook)

    def verify(self, request: Incoming, params: Mapping[str, str], now: datetime) -> str:
        """The AccessKey id of a genuine request; raises :class:`ApiError` otherwise."""
        if request.path != "/":
            raise ApiError("InvalidAction.NotFound")
        auth = self._authorization(request, params)
        headers = request.headers
        for name in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
            if not headers.get(name):
                raise ApiError(
                    "MissingParameter", f"The input parameter {name!r} is mandatory but missing."
                )
        if headers["x-acs-action"] != ACTION:
            raise ApiError(
                "InvalidAction.NotFound",
                f"Specified api {headers['x-acs-action']!r} is not found for version "
                f"{API_VERSION}.",
            )
        if headers["x-acs-version"] != API_VERSION:
            raise ApiError(
                "InvalidVersion",
                f"Specified parameter Version {headers['x-acs-version']!r} is not valid.",
            )
        self._check_signed_names(auth, headers)
        self._check_date(headers["x-acs-date"], now)
        secret = self.credentials.get(auth.access_key_id)
        if secret is None:
            raise ApiError("InvalidAccessKeyId.NotFound")
        self._check_signature(auth, request, params, secret)
        self._check_token(auth.access_key_id, headers.get("x-acs-security-token"))
        if not self.nonces.use(auth.access_key_id, headers["x-acs-signature-nonce"]):
            raise ApiError("SignatureNonceUsed")
        return auth.access_key_id

    def _authorization(
        self, request: Incoming, params: Mapping[str, str]
    ) -> _signing.ParsedAuthorization:
        value = request.headers.get("authorization")
        if value is None:
            if "Signature" in params and "SignatureVersion" in params:
                raise ApiError(
                    "IncompleteSignature",
                    "Signature version 1.0 (HMAC-SHA1 in the query) is not accepted by this "
                    "emulator: sign with ACS3-HMAC-SHA256.",
                )
            raise ApiError("IncompleteSignature", "The Authorization header is missing.")
        auth = _signing.parse_authorization(value)
        if auth is None or not auth.access_key_id or not auth.signature:
            raise ApiError(
                "IncompleteSignature",
                "The Authorization header is not 'ACS3-HMAC-SHA256 Credential=..., "
                "SignedHeaders=..., Signature=...'.",
            )
        return auth

    @staticmethod
    def _check_signed_names(auth: _signing.ParsedAuthorization, headers: Mapping[str, str]) -> None:
        """``host`` and every ``x-acs-*`` header must be signed; every signed one present."""
        signed = set(auth.signed_names)
        must = {"host", "x-acs-content-sha256"} | {n for n in headers if n.startswith("x-acs-")}
        unsigned = sorted(must - signed)
        if unsigned:
            raise ApiError("IncompleteSignature", f"The header {unsigned[0]!r} must be signed.")
        for name in auth.signed_names:
            if name != name.lower() or (name not in headers and name != "host"):
                raise ApiError(
                    "IncompleteSignature",
                    f"SignedHeaders lists {name!r}, which the request does not carry.",
                )

    def _check_date(self, value: str, now: datetime) -> None:
        try:
            moment = datetime.strptime(value, WIRE_TIME).replace(tzinfo=UTC)
        except ValueError:
            raise ApiError(
                "InvalidTimeStamp.Expired",
                f"Specified x-acs-date {value!r} is not in the format YYYY-MM-DDTHH:MM:SSZ.",
            ) from None
        if self.max_skew is not None and abs(now - moment) > self.max_skew:
            raise ApiError(
                "InvalidTimeStamp.Expired",
                f"Specified time stamp or date value is expired: x-acs-date {value} is more "
                f"than {int(self.max_skew.total_seconds())} s away from the server time "
                f"{now.strftime(WIRE_TIME)}.",
            )

    def _check_signature(
        self,
        auth: _signing.ParsedAuthorization,
        request: Incoming,
        params: Mapping[str, str],
        secret: str,
    ) -> None:
        body_hash = hashlib.sha256(request.body).hexdigest()
        if request.headers.get("x-acs-content-sha256") != body_hash:
            raise ApiError(
                "SignatureDoesNotMatch",
                "The x-acs-content-sha256 header does not match the SHA-256 of the request body.",
            )
        headers = dict(request.headers)
        headers["host"] = self.host_header or request.headers.get("host", "")
        creq = _signing.canonical_request(
            method=request.method,
            path=request.path,
            query=_signing.canonical_query(params),
            headers=headers,
            signed_names=auth.signed_names,
            payload_hash=body_hash,
        )
        to_sign = _signing.string_to_sign(creq)
        expected = _signing.signature(secret, to_sign)
        if not hmac.compare_digest(expected, auth.signature.lower()):
            raise ApiError(
                "SignatureDoesNotMatch",
                "Specified signature does not match our calculation. "
                f"server string to sign is:{to_sign}",
            )

    def _check_token(self, access_key_id: str, token: str | None) -> None:
        """One code for every token problem: Malformed (missing, wrong, or not an STS key)."""
        expected = self.security_tokens.get(access_key_id)
        if expected is None and token is None:
            return
        if expected is None:
            raise ApiError(
                "InvalidSecurityToken.Malformed",
                "A SecurityToken was sent with an AccessKey that is not an STS key.",
            )
        if token is None:
            raise ApiError(
                "InvalidSecurityToken.Malformed",
                "This STS AccessKey needs the x-acs-security-token header.",
            )
        if not hmac.compare_digest(expected.encode(), token.encode()):
            raise ApiError("InvalidSecurityToken.Malformed")


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class Listing:
    """A validated ``ListSmartJobs`` query."""

    job_type: str | None
    job_state: str | None
    sort_by: str
    size: int
    offset: int

    @property
    def fingerprint(self) -> str:
        """What a NextToken is bound to: the filter and the order, not the page size."""
        key = f"{self.job_type or ''}|{self.job_state or ''}|{self.sort_by}"
        return hashlib.sha256(key.encode()).hexdigest()[:12]


class TokenCodec:
    """Opaque NextTokens: base64url(offset + fingerprint) and an HMAC, so forgeries are caught."""

    def __init__(self, key: bytes, *, lenient: bool = False) -> None:
        self._key = key
        self._lenient = lenient

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:20]

    def encode(self, offset: int, fingerprint: str) -> str:
        payload = base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode()
        payload = payload.rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def decode(self, token: str, fingerprint: str) -> int:
        """The offset a token points at; ``lenient`` reads a token it never issued as 0."""
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(self._mac(payload), mac):
            if self._lenient:
                return 0
            raise ApiError("InvalidParameter", "The specified parameter NextToken is not valid.")
        padded = payload + "=" * (-len(payload) % 4)
        offset, _, bound_to = base64.urlsafe_b64decode(padded).decode().partition(":")
        if bound_to != fingerprint:
            raise ApiError(
                "InvalidParameter",
                "The specified parameter NextToken does not match this query: it was issued "
                "for other JobType, JobState or SortBy values.",
            )
        return int(offset)


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name, "")
    if value == "":
        return None
    low, high = INT_PARAMS[name]
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    number = int(value) if value.isascii() and value.isdigit() else None
    if number is None or number < low or (high is not None and number > high):
        raise ApiError(
            "InvalidParameter",
            f"The specified parameter {name} is not valid: expected an integer {bounds}, "
            f"got {value[:40]!r}.",
        )
    return number


def _enum_param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "")
    if value == "":
        return None
    allowed = ENUM_PARAMS[name]
    if value not in allowed:
        raise ApiError(
            "InvalidParameter",
            f"The specified parameter {name} is not valid: {value[:40]!r} is not one of "
            f"{', '.join(sorted(allowed))}.",
        )
    return value


def parse_listing(params: Mapping[str, str], tokens: TokenCodec) -> Listing:
    """Validate the documented parameters; unknown ones are ignored, as the service does.

    Page size is ``MaxResults``, else ``PageSize``, else 10. A ``NextToken`` wins
    over ``PageNo``; an empty value counts as absent.
    """
    max_results = _int_param(params, "MaxResults")
    page_size = _int_param(params, "PageSize")
    page_no = _int_param(params, "PageNo")
    job_type = _enum_param(params, "JobType")
    job_state = _enum_param(params, "JobState")
    sort_by = _enum_param(params, "SortBy") or SortBy.NEWEST.value
    size = max_results or page_size or 10
    draft = Listing(job_type, job_state, sort_by, size, 0)
    token = params.get("NextToken", "")
    offset = tokens.decode(token, draft.fingerprint) if token else ((page_no or 1) - 1) * size
    return Listing(job_type, job_state, sort_by, size, offset)


def list_page(jobs: list[dict[str, Any]], listing: Listing, tokens: TokenCodec) -> dict[str, Any]:
    """The success body without ``RequestId``: one page of the filtered, ordered jobs."""
    matching = [
        job
        for job in jobs
        if (listing.job_type is None or job.get("JobType") == listing.job_type)
        and (listing.job_state is None or job.get("JobState") == listing.job_state)
    ]
    if listing.sort_by == SortBy.OLDEST:
        matching.reverse()
    end = listing.offset + listing.size
    page = matching[listing.offset : end]
    next_token = tokens.encode(end, listing.fingerprint) if end < len(matching) else ""
    return {
        "SmartJobList": page,
        "NextToken": next_token,
        "MaxResults": str(listing.size),
        "TotalCount": str(len(matching)),
    }


# --------------------------------------------------------------------------- HTTP


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
        emulator._count_call()
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
        except _Hang:
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
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
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


class _Hang(Exception):
    """The ``timeout`` fault: close the connection without an answer."""


Answer = tuple[int, dict[str, Any] | str]


class Emulator:
    """ICE ``ListSmartJobs`` on ``127.0.0.1``: bound at construction, served after ``start()``.

    ``host_header``, when set, is the host signatures are checked against (and the
    ``HostId`` of errors) instead of the request's own ``Host``: for clients that
    sign the public endpoint's host while connecting here. ``lenient_tokens`` reads
    a NextToken the emulator never issued as the first page instead of refusing it,
    for replaying requests recorded against another server.
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
    ) -> None:
        source = jobs if jobs is not None else generate_jobs(count=count, seed=seed)
        self.jobs: list[dict[str, Any]] = newest_first(source)
        self.faults = faults or Faults()
        self.verifier = Verifier(
            credentials=dict(credentials or {DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET}),
            security_tokens=dict(security_tokens or {}),
            max_skew=max_skew,
            host_header=host_header,
        )
        self.host_id = host_header or DEFAULT_HOST_ID
        self.tokens = TokenCodec(f"smartjobs-emulator:{seed}".encode(), lenient=lenient_tokens)
        self._lock = threading.Lock()
        self._calls = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._server = _Server(("127.0.0.1", port), self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def calls(self) -> int:
        """``ListSmartJobs`` requests received, whatever the answer."""
        with self._lock:
            return self._calls

    def _count_call(self) -> None:
        with self._lock:
            self._calls += 1

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
        host_id = self.verifier.host_header or request.headers.get("host") or self.host_id
        try:
            if fault is not None:
                return self._fault(fault, faults.hang, request_id)
            params = parse_params(request.raw_query)
            self.verifier.verify(request, params, datetime.now(UTC))
            listing = parse_listing(params, self.tokens)
        except ApiError as error:
            return error.status, error_body(error, request_id=request_id, host_id=host_id)
        return 200, {"RequestId": request_id, **list_page(self.jobs, listing, self.tokens)}

    def _fault(self, fault: str, hang: float, request_id: str) -> Answer:
        if fault == TIMEOUT:
            self._stopping.wait(hang)
            raise _Hang
        if fault == HTML:
            return 502, HTML_502
        if fault == MALFORMED:
            return 200, f'{{"RequestId":"{request_id}","SmartJobList":[{{"JobId":'
        raise ApiError(fault)


# --------------------------------------------------------------------------- CLI


def _cli_credentials() -> tuple[dict[str, str], dict[str, str], bool]:
    """The ``ALIBABA_CLOUD_*`` pair when set (token too), else the documented demo pair."""
    key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if key_id and secret:
        token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN")
        return {key_id: secret}, ({key_id: token} if token else {}), False
    return {DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET}, {}, True


def serve(*, port: int, count: int, seed: int, faults: Faults | None = None) -> None:
    """Run the emulator in the foreground until Ctrl-C (the ``smartjobs emulator`` command)."""
    credentials, tokens, demo = _cli_credentials()
    emulator = Emulator(
        count=count,
        seed=seed,
        port=port,
        credentials=credentials,
        security_tokens=tokens,
        faults=faults,
    )
    if demo:
        hint = (
            f"ALIBABA_CLOUD_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID} "
            f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={DEMO_ACCESS_KEY_SECRET}"
        )
    else:
        hint = f"AccessKey {next(iter(credentials))} from ALIBABA_CLOUD_ACCESS_KEY_ID"
    print(
        f"ICE emulator: {len(emulator.jobs)} jobs (seed {seed}) at {emulator.url} | "
        f"use ICE_ENDPOINT={emulator.url} {hint} | Ctrl-C stops",
        flush=True,
    )
    with emulator:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("ICE emulator stopped.", flush=True)
