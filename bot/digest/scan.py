"""The digest's window scan and its aggregate: pure over the pages it is handed.

``ListSmartJobs`` has no time filter, so the window is found by paging
``CreationTime:Desc`` and stopping at the first job older than its start. The
aggregation (:class:`DigestStats`) keeps a fixed amount of state however many
jobs stream past, and :func:`scan` is pure over an iterable of pages: the I/O
lives in the iterator the caller hands in (``IceClient.iter_pages``), so
breaking out of the loop is what stops further requests. Posting it is
:mod:`bot.digest.delivery`'s business.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._errors import IceError, RepeatedTokenError

if TYPE_CHECKING:
    from bot.ice._client import IceClient
    from bot.ice._models import SmartJob, SmartJobPage

log = logging.getLogger("bot.digest")

DEFAULT_WINDOW: Final = timedelta(hours=24)
DEFAULT_MAX_PAGES: Final = 50
PAGE_SIZE: Final = 100
CONCURRENCY: Final = 8
"""Pages in flight during a scan (``SCAN_CONCURRENCY``). ICE publishes no QPS for
ListSmartJobs (related media APIs allow ~100 QPS); the client halves its batches while ICE
throttles and grows them back by one per clean batch."""
NEWEST_FAILURES: Final = 5
MAX_BUCKETS: Final = 48
TIME_FOR_A_PAGE: Final = 12.0
"""Seconds kept in hand before another page: one ICE call at worst (its 8 s retry deadline),
then rendering, the Slack post and the idempotency record."""

# Bounded keys: hostile or drifting data (thousands of distinct new JobType strings)
# must not grow the state. Known values always get their own key.
MAX_EXTRA_TYPES: Final = 4
MAX_EXTRA_STATES: Final = 3
OTHER: Final = "Other"
NO_VALUE: Final = "(none)"
_KEY_CHARS: Final = 64
_TEXT_CHARS: Final = 200  # kept per failure; renderers cut further

_KNOWN_TYPES: Final = frozenset(t.value for t in JobType)
_KNOWN_STATES: Final = frozenset(s.value for s in JobState)
_FAILED: Final = JobState.FAILED.value


@dataclass(frozen=True, slots=True)
class FailedJob:
    """What the digest shows of one failure; strings are pre-cut so memory stays bounded."""

    job_id: str
    title: str | None
    job_type: str
    create_time: datetime | None
    region: str | None = None
    error_code: str | None = None
    """GetSmartHandleJob's code, when it was fetched for the digest (a few calls at most)."""


@dataclass(slots=True)
class DigestStats:
    """Streaming aggregate of one window: its size does not depend on the number of jobs.

    ``counts`` is keyed by the wire strings ``(JobType, JobState)`` (at most a fixed
    number of distinct keys, the rest folded into ``"Other"``). Jobs without a
    ``CreateTime`` are counted (they sit among in-window jobs in the newest-first
    order and may be failures worth seeing) but cannot be placed in an hourly
    bucket; ``undated`` says how many there were.
    """

    window_start: datetime
    window_end: datetime
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    failure_buckets: list[int] = field(default_factory=list)
    newest_failures: list[FailedJob] = field(default_factory=list)
    jobs: int = 0
    failed: int = 0
    undated: int = 0
    skipped_newer: int = 0
    pages: int = 0
    truncated: bool = False
    stopped_early: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        if self.window_start.tzinfo is None or self.window_end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if not self.failure_buckets:
            self.failure_buckets = [0] * bucket_count(self.window)

    @property
    def window(self) -> timedelta:
        return self.window_end - self.window_start

    @property
    def bucket_width(self) -> timedelta:
        return self.window / len(self.failure_buckets)

    def bucket_start(self, index: int) -> datetime:
        return self.window_start + self.bucket_width * index

    def add(self, job: SmartJob) -> None:
        """Count one in-window job (the caller has checked the window)."""
        job_type = self._type_key(job.job_type)
        state = self._state_key(job.job_state)
        self.counts[job_type, state] = self.counts.get((job_type, state), 0) + 1
        self.jobs += 1
        if job.create_time is None:
            self.undated += 1
        if state != _FAILED:
            return
        self.failed += 1
        if job.create_time is not None:
            self.failure_buckets[self._bucket(job.create_time)] += 1
        if len(self.newest_failures) < NEWEST_FAILURES:  # newest first: the first five seen
            self.newest_failures.append(
                FailedJob(
                    job_id=(job.job_id or "")[:_TEXT_CHARS],
                    title=job.title[:_TEXT_CHARS] if job.title is not None else None,
                    job_type=job_type,
                    create_time=job.create_time,
                )
            )

    # -- reading ---------------------------------------------------------------------------

    def job_types(self) -> list[str]:
        """Types seen, known ones in the API's order, then the others, then ``Other``."""
        seen = {t for t, _ in self.counts}
        known = [t.value for t in JobType if t.value in seen]
        extra = sorted(seen - _KNOWN_TYPES - {OTHER, NO_VALUE})
        tail = [t for t in (NO_VALUE, OTHER) if t in seen]
        return known + extra + tail

    def extra_states(self) -> list[str]:
        """States seen beyond the four documented ones, ``Other`` last."""
        seen = {s for _, s in self.counts} - _KNOWN_STATES
        return sorted(seen - {OTHER, NO_VALUE}) + [s for s in (NO_VALUE, OTHER) if s in seen]

    def count(self, job_type: str | None = None, state: str | None = None) -> int:
        """Jobs of a type and/or state; ``None`` means any."""
        return sum(
            n
            for (t, s), n in self.counts.items()
            if (job_type is None or t == job_type) and (state is None or s == state)
        )

    # -- bounded keys ----------------------------------------------------------------------

    def _type_key(self, value: str | None) -> str:
        if value in _KNOWN_TYPES:  # the common case, without looking at the other keys
            return str(value)
        return _bounded(value, _KNOWN_TYPES, {t for t, _ in self.counts}, MAX_EXTRA_TYPES)

    def _state_key(self, value: str | None) -> str:
        if value in _KNOWN_STATES:
            return str(value)
        return _bounded(value, _KNOWN_STATES, {s for _, s in self.counts}, MAX_EXTRA_STATES)

    def _bucket(self, when: datetime) -> int:
        index = int((when - self.window_start) / self.bucket_width)
        return min(max(index, 0), len(self.failure_buckets) - 1)


def _bounded(value: str | None, known: frozenset[str], seen: set[str], room: int) -> str:
    """An unknown value's own key while there is room for it, else ``Other``."""
    if value is None or not str(value).strip():
        return NO_VALUE
    key = str(value)[:_KEY_CHARS]
    if key in known or key in seen:
        return key
    extras = len(seen - known - {OTHER, NO_VALUE})
    return key if extras < room else OTHER


def bucket_count(window: timedelta) -> int:
    """One bucket per hour, at most ``MAX_BUCKETS`` (a week becomes 48 buckets of 3.5 h)."""
    return max(1, min(math.ceil(window / timedelta(hours=1)), MAX_BUCKETS))


def scan(
    pages: Iterable[SmartJobPage],
    *,
    window_start: datetime,
    window_end: datetime,
    max_pages: int,
    time_left: Callable[[], float] | None = None,
) -> DigestStats:
    """Aggregate newest-first pages over the half-open window ``[window_start, window_end)``.

    Half-open, so a job created exactly at a boundary belongs to one digest, never two.
    Stops consuming ``pages`` at the first job older than ``window_start`` (so the
    iterator makes no further request) or after ``max_pages`` pages; in the latter
    case, when the last page still had a ``NextToken``, ``truncated`` is set.
    Jobs at or after ``window_end`` are skipped (a schedule that fires late still
    reports the window it was meant for). With ``time_left`` (seconds, e.g. Lambda's
    remaining time), the scan stops before a page it may not have time for and says so
    in ``note``: a partial digest beats none. A ``RepeatedTokenError`` raised by the
    iterator ends the scan with a ``note``; other errors propagate.
    """
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    stats = DigestStats(window_start=window_start, window_end=window_end)
    iterator: Iterator[SmartJobPage] = iter(pages)
    try:
        return _scan(stats, iterator, max_pages, time_left)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:  # end a paging generator now rather than at garbage collection
            close()


def _scan(
    stats: DigestStats,
    iterator: Iterator[SmartJobPage],
    max_pages: int,
    time_left: Callable[[], float] | None,
) -> DigestStats:
    try:
        while True:
            if time_left is not None and stats.pages and time_left() < TIME_FOR_A_PAGE:
                stats.note = (
                    f"Counted the newest {stats.jobs:,} jobs only ({stats.pages:,} pages): "
                    "ICE was slow and time ran out before the rest of the window."
                )
                stats.stopped_early = True
                log.warning("digest scan stopped early: %s", stats.note)
                return stats
            page = next(iterator, None)
            if page is None:
                return stats
            stats.pages += 1
            if _consume(stats, page):
                return stats
            if stats.pages >= max_pages:
                stats.truncated = bool(page.next_token)
                return stats
    except RepeatedTokenError as error:
        stats.note = (
            f"ICE handed back a page token it had already given, so the scan stopped after "
            f"{stats.pages} pages; the counts may be incomplete"
            + (f" (RequestId {error.request_id})." if error.request_id else ".")
        )
        log.warning("digest scan stopped: %s", error.describe())
        return stats


def _consume(stats: DigestStats, page: SmartJobPage) -> bool:
    """Add a page's in-window jobs; True once a job older than the window was met."""
    for job in page.smart_job_list:
        created = job.create_time
        if created is not None:
            if created < stats.window_start:
                return True
            if created >= stats.window_end:
                stats.skipped_newer += 1
                continue
        stats.add(job)
    return False


def build_digest(
    client: IceClient,
    *,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime,
    max_pages: int = DEFAULT_MAX_PAGES,
    time_left: Callable[[], float] | None = None,
    concurrency: int = CONCURRENCY,
) -> DigestStats:
    """Scan ICE for the ``window`` ending at ``now``; ICE errors other than a repeated token raise.

    Pages are fetched ``concurrency`` at a time by PageNo (1: one after the other, following
    NextToken), stopping at the page whose last job is older than the window; the client
    shrinks its batches while ICE throttles and dedups JobIds across page boundaries.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start = now - window
    pages: Iterable[SmartJobPage]
    if concurrency > 1:
        pages = client.iter_pages_concurrently(
            sort_by=SortBy.NEWEST,
            page_size=PAGE_SIZE,
            concurrency=concurrency,
            stop=lambda page: _ends_before(page, start),
        )
    else:
        pages = client.iter_pages(sort_by=SortBy.NEWEST, max_results=PAGE_SIZE)
    return scan(pages, window_start=start, window_end=now, max_pages=max_pages, time_left=time_left)


def _ends_before(page: SmartJobPage, start: datetime) -> bool:
    """The page's last dated job is older than the window: nothing further can be in it."""
    dated = [job.create_time for job in page.smart_job_list if job.create_time is not None]
    return bool(dated) and dated[-1] < start


def combine(parts: Mapping[str, DigestStats]) -> DigestStats:
    """The regions' digests of one window as one: counts summed, the newest failures of all."""
    if not parts:
        raise ValueError("nothing to combine")
    first = next(iter(parts.values()))
    total = DigestStats(window_start=first.window_start, window_end=first.window_end)
    failures: list[FailedJob] = []
    for region, stats in parts.items():
        for key, n in stats.counts.items():
            total.counts[key] = total.counts.get(key, 0) + n
        total.failure_buckets = [
            a + b for a, b in zip(total.failure_buckets, stats.failure_buckets, strict=True)
        ]
        failures += [replace(f, region=f.region or region) for f in stats.newest_failures]
        total.jobs += stats.jobs
        total.failed += stats.failed
        total.undated += stats.undated
        total.skipped_newer += stats.skipped_newer
        total.pages += stats.pages
        total.truncated |= stats.truncated
        total.stopped_early |= stats.stopped_early
    notes = [f"{region}: {stats.note}" for region, stats in parts.items() if stats.note]
    total.note = " ".join(notes) or None
    failures.sort(
        key=lambda f: f.create_time.timestamp() if f.create_time else float("-inf"), reverse=True
    )
    total.newest_failures = failures[:NEWEST_FAILURES]
    return total


def build_digests(
    ice: Callable[[str], IceClient],
    regions: Sequence[str],
    *,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime,
    max_pages: int = DEFAULT_MAX_PAGES,
    time_left: Callable[[], float] | None = None,
    concurrency: int = CONCURRENCY,
) -> dict[str, DigestStats | IceError]:
    """Each region's digest of the window, scanned concurrently; a region's ICE error is its
    entry, so the others still count."""
    from concurrent.futures import ThreadPoolExecutor

    def one(region: str) -> DigestStats | IceError:
        try:
            return build_digest(
                ice(region),
                window=window,
                now=now,
                max_pages=max_pages,
                time_left=time_left,
                concurrency=concurrency,
            )
        except IceError as error:
            return error

    with ThreadPoolExecutor(max_workers=max(len(regions), 1), thread_name_prefix="digest") as pool:
        return dict(zip(regions, pool.map(one, regions), strict=True))
