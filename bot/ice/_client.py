"""The ICE client (``ListSmartJobs``, ``GetSmartHandleJob``): httpx, ACS3-signed, retrying
within a deadline; every action signed, retried, classified and observed the same way."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from bot._transport import transport_for
from bot.ice._credentials import CredentialsProvider, StaticCredentials, credentials_from_env
from bot.ice._enums import (
    ACTION,
    API_VERSION,
    GET_JOB_ACTION,
    WIRE_TIME,
    JobState,
    JobType,
    SortBy,
)
from bot.ice._errors import (
    IceError,
    IceProtocolError,
    IceServiceError,
    IceTransportError,
    RepeatedTokenError,
    classify,
)
from bot.ice._models import ListSmartJobsRequest, SmartJobPage
from bot.ice._reader import read_page
from bot.ice._regions import DEFAULT_REGION, endpoint_for
from bot.ice._signing import sign

if TYPE_CHECKING:
    from bot.ice._job_details import SmartHandleJob

log = logging.getLogger("bot.ice")

_READ = httpx.ByteStream(b"")  # what a response's stream becomes once its body is read
USER_AGENT = "smartjobs/0.1 (+httpx)"
MIN_ATTEMPT = 0.5
"""Seconds the last attempt within the retry deadline still gets."""
STALE_STS_HINT = (
    "ALIBABA_CLOUD_SECURITY_TOKEN is a fixed STS token and it has expired: put a fresh one in "
    "its place (or in the SECRETS_ARN secret), or set ALIBABA_CLOUD_ROLE_ARN so the token "
    "renews itself."
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by attempts and an overall deadline."""

    max_attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 2.0
    deadline: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One HTTP attempt, handed to observers (logs, metrics).

    ``degraded`` (values read as something sensible instead) and ``unreadable`` (list
    entries that were not objects) describe the page a successful attempt returned.
    """

    action: str
    attempt: int
    elapsed: float
    status: int | None
    code: str | None
    request_id: str | None
    degraded: int = 0
    unreadable: int = 0


Observer = Callable[[CallRecord], None]

_Result = TypeVar("_Result")
Reader = Callable[[dict[str, Any]], tuple[_Result, str | None, int, int]]
"""A success body -> (the typed answer, its RequestId, degraded values, unreadable entries)."""


class IceClient:
    """Typed access to ``ListSmartJobs`` and ``GetSmartHandleJob``; one pooled
    ``httpx.Client`` per instance, safe to share between threads."""

    def __init__(
        self,
        *,
        credentials: CredentialsProvider,
        region: str = DEFAULT_REGION,
        endpoint: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        observers: tuple[Observer, ...] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.region = region
        self.endpoint = (endpoint or endpoint_for(region)).rstrip("/")
        self._host = urlsplit(self.endpoint).netloc
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._observers = observers
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self._http = httpx.Client(
            transport=transport or transport_for(self.endpoint),
            timeout=timeout or httpx.Timeout(10.0, connect=5.0),
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, region: str | None = None, **kwargs: Any
    ) -> IceClient:
        """``ICE_REGION`` / ``ICE_ENDPOINT`` and the Alibaba credential variables."""
        env = os.environ if environ is None else environ
        kwargs.setdefault("credentials", credentials_from_env(env))
        return cls(
            region=region or env.get("ICE_REGION") or DEFAULT_REGION,
            endpoint=env.get("ICE_ENDPOINT") or None,
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"IceClient(endpoint={self.endpoint!r})"

    def __enter__(self) -> IceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the API ---------------------------------------------------------------------------

    def list_smart_jobs(
        self,
        *,
        job_type: JobType | str | None = None,
        job_state: JobState | str | None = None,
        sort_by: SortBy | str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        page_no: int | None = None,
        page_size: int | None = None,
        deadline: float | None = None,
    ) -> SmartJobPage:
        """One page. Bad arguments raise :class:`~bot.ice.IceRequestError` (a ``ValueError``)
        before any request.

        ``deadline``: seconds this call may take, retries included, when less than the retry
        policy's (an answer that must be ready before Slack's ack); running out is an
        :class:`~bot.ice.IceTransportError` ``Timeout``.
        """
        request = ListSmartJobsRequest(
            job_type=job_type,  # type: ignore[arg-type]  # a str is checked and converted
            job_state=job_state,  # type: ignore[arg-type]
            sort_by=sort_by,  # type: ignore[arg-type]
            max_results=max_results,
            next_token=next_token,
            page_no=page_no,
            page_size=page_size,
        )
        return self._call(ACTION, request.to_params(), _read_list, deadline)

    def get_smart_handle_job(self, job_id: str, *, deadline: float | None = None) -> SmartHandleJob:
        """One job's details: state, ``ErrorCode``/``ErrorMessage`` when it failed, its result
        and info. An odd ``job_id`` raises :class:`~bot.ice.IceRequestError` before any
        request; a job ICE does not know (or older than a year) raises
        :class:`~bot.ice.IceJobNotFoundError`. ``deadline`` as for :meth:`list_smart_jobs`."""
        from bot.ice._job_details import GetSmartHandleJobRequest  # its models load on first use

        request = GetSmartHandleJobRequest(job_id)
        return self._call(GET_JOB_ACTION, request.to_params(), _read_job, deadline)

    def iter_pages(
        self,
        *,
        job_type: JobType | str | None = None,
        job_state: JobState | str | None = None,
        sort_by: SortBy | str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[SmartJobPage]:
        """Every page from ``next_token`` (or the first) to the last, following ``NextToken``.

        With ``page_size`` it pages by PageNo instead, until a short or empty page.
        """
        if page_size is not None:
            yield from self._iter_numbered(job_type, job_state, sort_by, page_size)
            return
        seen: set[str] = set()
        token = next_token
        while True:
            page = self.list_smart_jobs(
                job_type=job_type,
                job_state=job_state,
                sort_by=sort_by,
                max_results=max_results,
                next_token=token,
            )
            yield page
            token = page.next_token
            if not token:
                return
            if token in seen:
                raise RepeatedTokenError(
                    "RepeatedNextToken",
                    "ICE returned a NextToken it had already given; paging stopped.",
                    request_id=page.request_id,
                    hint="This is a service fault: try again later.",
                )
            seen.add(token)

    def iter_pages_concurrently(
        self,
        *,
        job_type: JobType | str | None = None,
        job_state: JobState | str | None = None,
        sort_by: SortBy | str | None = None,
        page_size: int = 100,
        concurrency: int = 4,
        stop: Callable[[SmartJobPage], bool] | None = None,
    ) -> Iterator[SmartJobPage]:
        """Every page by PageNo, ``concurrency`` requests at a time, yielded in order, until
        the last page or the first one ``stop`` is true for (that one is yielded too); a JobId
        is yielded once; ICE's throttling shrinks the batches (see :mod:`bot.ice._concurrent`).

        Arguments are checked now, before any request; observers are called from the pool's
        threads.
        """
        from bot.ice._concurrent import check_concurrency, concurrent_pages

        width = check_concurrency(concurrency)
        checked = ListSmartJobsRequest(
            job_type=job_type,  # type: ignore[arg-type]  # a str is checked and converted
            job_state=job_state,  # type: ignore[arg-type]
            sort_by=sort_by,  # type: ignore[arg-type]
            page_size=page_size,
        )

        def fetch(page_no: int, attempt: int, remaining: float) -> SmartJobPage:
            params = dataclasses.replace(checked, page_no=page_no).to_params()
            return self._attempt(ACTION, params, _read_list, attempt, max(remaining, MIN_ATTEMPT))

        return concurrent_pages(
            fetch,
            page_size=page_size,
            concurrency=width,
            stop=stop,
            retry=self._retry,
            rng=self._rng,
            sleep=self._sleep,
        )

    def _iter_numbered(
        self,
        job_type: JobType | str | None,
        job_state: JobState | str | None,
        sort_by: SortBy | str | None,
        page_size: int,
    ) -> Iterator[SmartJobPage]:
        page_no = 1
        while True:
            page = self.list_smart_jobs(
                job_type=job_type,
                job_state=job_state,
                sort_by=sort_by,
                page_no=page_no,
                page_size=page_size,
            )
            yield page
            if len(page.smart_job_list) < page_size:
                return
            if page.total_count is not None and page_no * page_size >= page.total_count:
                return
            page_no += 1

    # -- transport and retries -------------------------------------------------------------

    def _call(
        self,
        action: str,
        params: dict[str, str],
        read: Reader[_Result],
        deadline: float | None = None,
    ) -> _Result:
        started = time.monotonic()
        limit = self._retry.deadline if deadline is None else min(deadline, self._retry.deadline)
        floor = MIN_ATTEMPT if deadline is None else 0.01
        attempt = 0
        while True:
            remaining = limit - (time.monotonic() - started)
            try:
                return self._attempt(action, params, read, attempt, max(remaining, floor))
            except IceError as error:
                attempt += 1
                error.attempts = attempt
                if not error.retryable or attempt >= self._retry.max_attempts:
                    raise
                pause = self._retry.delay(attempt - 1, self._rng)
                if time.monotonic() - started + pause >= limit:
                    raise
                log.warning(
                    "ICE %s failed (%s, RequestId %s); retry %d in %.2fs",
                    action,
                    error.code,
                    error.request_id,
                    attempt,
                    pause,
                )
                self._sleep(pause)

    def _attempt(
        self,
        action: str,
        params: dict[str, str],
        read: Reader[_Result],
        attempt: int,
        remaining: float,
    ) -> _Result:
        creds = self._credentials.get_credentials()  # per attempt: rotating STS keys
        signed = sign(
            method="GET",
            endpoint=self.endpoint,
            host=self._host,
            action=action,
            version=API_VERSION,
            params=params,
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
            security_token=creds.security_token,
            date=self._clock().strftime(WIRE_TIME),
            nonce=uuid.uuid4().hex,  # fresh per attempt: a replayed nonce is refused
        )
        timeout = self._http.timeout
        if remaining < (timeout.read or remaining):
            timeout = httpx.Timeout(remaining, connect=min(timeout.connect or 5.0, remaining))
        begun = time.monotonic()
        try:
            response = self._http.get(signed.url, headers=signed.headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            self._observe(action, attempt, begun, None, "Timeout", None)
            raise IceTransportError(
                "Timeout",
                f"ICE did not answer in time ({type(exc).__name__}).",
                hint="ICE is slow or unreachable: try again in a minute.",
            ) from None
        except httpx.TransportError as exc:
            self._observe(action, attempt, begun, None, "ConnectionError", None)
            raise IceTransportError(
                "ConnectionError",
                f"Could not reach ICE at {self._host} ({type(exc).__name__}).",
                hint="Check ICE_REGION / ICE_ENDPOINT and the network.",
            ) from None
        try:
            return self._read(response, action, read, attempt, begun)
        finally:
            # httpx's response stream points back at its response: a cycle that only the
            # garbage collector frees (30 objects a call), whose full passes over a Lambda's
            # ~80k objects cost more than the rest of the call. The body is read by now.
            response.stream = _READ

    def _read(
        self,
        response: httpx.Response,
        action: str,
        read: Reader[_Result],
        attempt: int,
        begun: float,
    ) -> _Result:
        """A JSON object without an error ``Code`` is the answer, read tolerantly; else an
        error, classified for ``action``."""
        status = response.status_code
        body = _json_object(response.content)
        code = _str_or_none(body.get("Code")) if body is not None else None
        if body is not None and code is not None:
            request_id = _str_or_none(body.get("RequestId"))
            self._observe(action, attempt, begun, status, code, request_id)
            error = classify(
                code,
                str(body.get("Message", "")),
                status=status,
                request_id=request_id,
                action=action,
            )
            if code.lower() == "invalidsecuritytoken.expired" and self._fixed_token():
                error.hint = STALE_STS_HINT
            raise error
        if body is not None and status == 200:
            answer, request_id, degraded, unreadable = read(body)
            self._observe(action, attempt, begun, status, None, request_id, degraded, unreadable)
            return answer
        kind = response.headers.get("content-type", "unknown content").split(";")[0]
        self._observe(action, attempt, begun, status, f"HTTP{status}", None)
        error_type = IceServiceError if status >= 500 or status == 429 else IceProtocolError
        raise error_type(
            f"HTTP{status}",
            f"ICE answered HTTP {status} with {kind}, not the API's JSON.",
            status=status,
            hint="A proxy or the service is failing: try again in a minute.",
        )

    def _fixed_token(self) -> bool:
        """A static STS token (``ALIBABA_CLOUD_SECURITY_TOKEN``) that nothing will refresh."""
        return isinstance(self._credentials, StaticCredentials) and bool(
            self._credentials.credentials.security_token
        )

    def _observe(
        self,
        action: str,
        attempt: int,
        begun: float,
        status: int | None,
        code: str | None,
        rid: str | None,
        degraded: int = 0,
        unreadable: int = 0,
    ) -> None:
        record = CallRecord(
            action, attempt, time.monotonic() - begun, status, code, rid, degraded, unreadable
        )
        for observer in self._observers:
            observer(record)


def _read_list(body: dict[str, Any]) -> tuple[SmartJobPage, str | None, int, int]:
    page = read_page(body)
    degraded = sum(page.degraded.values())
    if degraded or page.unreadable:
        _warn_degraded(page)
    return page, page.request_id, degraded, page.unreadable


def _read_job(body: dict[str, Any]) -> tuple[SmartHandleJob, str | None, int, int]:
    from bot.ice._job_details import read_smart_handle_job

    job = read_smart_handle_job(body)
    if job.degraded:
        log.warning(
            "ICE %s answer read tolerantly (RequestId %s): degraded: %s",
            GET_JOB_ACTION,
            job.request_id,
            ", ".join(job.degraded),  # wire names only: never a value (values are user data)
        )
    return job, job.request_id, len(job.degraded), 0


def _warn_degraded(page: SmartJobPage) -> None:
    """One line per page: which fields, how often; never a value (values are user data)."""
    fields = ", ".join(f"{name}={count}" for name, count in sorted(page.degraded.items()))
    log.warning(
        "ICE %s page read tolerantly (RequestId %s): %d unreadable entries; degraded: %s",
        ACTION,
        page.request_id,
        page.unreadable,
        fields or "none",
    )


def _int_or_digits(digits: str) -> int | str:
    """JSON integers too long for ``int()`` (over 4300 digits) stay text, not a failure."""
    try:
        return int(digits)
    except ValueError:
        return digits


def _json_object(content: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, else None. Parsed straight from the bytes; only a body
    that fails is parsed again, keeping integers longer than ``int()`` allows as text."""
    try:
        value = json.loads(content)
    except ValueError:
        try:
            value = json.loads(content, parse_int=_int_or_digits)
        except (ValueError, RecursionError):
            return None
    except RecursionError:
        return None
    return value if isinstance(value, dict) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
