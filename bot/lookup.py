"""What a query finds in ICE: one page, trimmed to its ``since:`` window.

The client is handed in (one per region, from :class:`bot.services.Services`), so this is the
only place that knows how a :class:`~bot.query.Query` becomes ``ListSmartJobs`` parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from bot.ice._enums import SortBy
from bot.ice._errors import IceError, RepeatedTokenError
from bot.query import Query

WINDOW_PAGE: Final = 100
"""ICE page size of a window scan: few requests per page of the window."""
WINDOW_REQUESTS: Final = 10
"""ICE requests one page of a window scan may make; the next click goes on from there."""

Resume = tuple[int, int]
"""Where a window scan goes on: ICE's page number and how many of its jobs were seen."""

if TYPE_CHECKING:  # httpx loads on the lazy path only, never for an ack
    from bot.ice import IceClient, SmartJob, SmartJobPage


def fetch_page(
    client: IceClient,
    query: Query,
    token: str | None,
    *,
    now: datetime,
    number: int = 1,
    deadline: float | None = None,
) -> SmartJobPage:
    """One page for a query; ``since:`` trims the page and ends paging past the window.

    Page ``number`` without a ``token`` (past the first) is fetched by ``PageNo``: that is how
    a button that could not carry its NextToken still leads to the next page.
    """
    if token is None and number > 1:
        page = client.list_smart_jobs(
            job_type=query.job_type,
            job_state=query.state,
            sort_by=query.sort,
            page_no=number,
            page_size=query.limit,
            deadline=deadline,
        )
    else:
        page = client.list_smart_jobs(
            job_type=query.job_type,
            job_state=query.state,
            sort_by=query.sort,
            max_results=query.limit,
            next_token=token,
            deadline=deadline,
        )
    if token and page.next_token == token:
        # "Next page" would show this same page forever.
        raise RepeatedTokenError(
            "RepeatedNextToken",
            "ICE answered the next page with the token it was asked for; paging stopped.",
            request_id=page.request_id,
            hint="This is a service fault: run the command again later.",
        )
    if query.since is None:
        return page
    start = now - query.since
    kept = [j for j in page.smart_job_list if j.create_time is None or j.create_time >= start]
    if len(kept) == len(page.smart_job_list):
        return page.replace(total_count=None)
    return page.replace(smart_job_list=kept, next_token=None, total_count=None)


def has_next(page: SmartJobPage, query: Query, *, by_number: bool) -> bool:
    """Whether a Next page button belongs on ``page``.

    A token says so; a page read by number has no token and says so by being full.
    """
    if page.next_token:
        return True
    return by_number and len(page.smart_job_list) >= query.limit


def fetch_window_page(
    client: IceClient, query: Query, *, ice_page: int = 1, skip: int = 0
) -> tuple[SmartJobPage, Resume | None]:
    """One page of jobs created in ``[query.until - query.since, query.until)``.

    ListSmartJobs has no time filter and lists newest first, so jobs newer than the window
    are passed over (a digest's window, clicked hours later, starts deep in the list). Reads
    ICE by ``PageNo`` from ``ice_page``, skipping its first ``skip`` jobs; returns the page
    and where the next one resumes (None at the window's start or the list's end).
    """
    found = _candidates(client, query, (ice_page, skip))
    return _page_of(found, [job for job, _ in found.jobs]), found.after


@dataclass(frozen=True)
class _Found:
    """Up to ``query.limit`` jobs from one region, each with where it sits in ICE's list."""

    jobs: list[tuple[SmartJob, Resume]]
    after: Resume | None
    """Where the list goes on once every job here is shown (None: nothing further)."""
    first: SmartJobPage | None


def _candidates(
    client: IceClient, query: Query, at: Resume, deadline: float | None = None
) -> _Found:
    """Read one region from ``at``: PageNo pages, the window's bounds when ``until`` is set
    (pages of :data:`WINDOW_PAGE`), else pages of ``query.limit``."""
    window = query.until is not None and query.since is not None
    size = WINDOW_PAGE if window else query.limit
    start = query.until - query.since if query.until and query.since else None
    end = query.until
    kept: list[tuple[SmartJob, Resume]] = []
    first: SmartJobPage | None = None
    number, skip = at
    for _ in range(WINDOW_REQUESTS):
        page = client.list_smart_jobs(
            job_type=query.job_type,
            job_state=query.state,
            sort_by=query.sort,
            page_no=number,
            page_size=size,
            deadline=deadline,
        )
        first = first or page
        jobs = page.smart_job_list
        for index in range(skip, len(jobs)):
            created = jobs[index].create_time
            if end is not None and created is not None and created >= end:
                continue
            if start is not None and created is not None and created < start:
                return _Found(kept, None, first)
            kept.append((jobs[index], (number, index)))
            if len(kept) == query.limit:
                more = index + 1 < len(jobs) or len(jobs) == size
                after = (number, index + 1) if index + 1 < len(jobs) else (number + 1, 0)
                return _Found(kept, after if more else None, first)
        if len(jobs) < size:
            return _Found(kept, None, first)
        number, skip = number + 1, 0
    return _Found(kept, (number, 0), first)


def _page_of(found: _Found, jobs: list[SmartJob]) -> SmartJobPage:
    from bot.ice import SmartJobPage

    base = found.first or SmartJobPage.from_wire({})
    return base.replace(smart_job_list=jobs, next_token=None, total_count=None)


@dataclass(frozen=True)
class Merged:
    """One page across regions, newest first, and where each region goes on."""

    jobs: list[tuple[str, SmartJob]]
    cursors: dict[str, Resume]
    """The regions with more to show, and where; a failed region keeps its place."""
    failed: dict[str, IceError]
    request_ids: dict[str, str]


def fetch_regions(
    ice: Callable[[str], IceClient],
    query: Query,
    cursors: Mapping[str, Resume],
    *,
    deadline: float | None = None,
) -> Merged:
    """``region:all``: each region read concurrently from its cursor, merged newest first.

    Every region offers up to ``query.limit`` jobs, so the merged page is exact however the
    regions interleave; the jobs not shown stay where their region's cursor points.
    """
    from concurrent.futures import ThreadPoolExecutor

    def read(region: str) -> _Found | IceError:
        try:
            return _candidates(ice(region), query, cursors[region], deadline)
        except IceError as error:
            return error

    regions = list(cursors)
    with ThreadPoolExecutor(max_workers=max(len(regions), 1), thread_name_prefix="region") as pool:
        results = dict(zip(regions, pool.map(read, regions), strict=True))
    failed = {r: result for r, result in results.items() if isinstance(result, IceError)}
    found = {r: result for r, result in results.items() if isinstance(result, _Found)}
    if failed and not found:
        raise next(iter(failed.values()))
    offered = [(job, region, at) for region, f in found.items() for job, at in f.jobs]
    newest_first = query.sort is not SortBy.OLDEST
    offered.sort(key=lambda item: _when(item[0], newest_first), reverse=newest_first)
    shown = offered[: query.limit]
    next_cursors = {region: cursors[region] for region in failed}
    for region, f in found.items():
        unshown = [at for job, r, at in offered[query.limit :] if r == region]
        resume = unshown[0] if unshown else f.after
        if resume is not None:
            next_cursors[region] = resume
    request_ids = {
        r: f.first.request_id for r, f in found.items() if f.first and f.first.request_id
    }
    return Merged([(region, job) for job, region, _ in shown], next_cursors, failed, request_ids)


def _when(job: SmartJob, newest_first: bool) -> float:
    """A sort key: a job without a readable time goes last either way."""
    created = job.create_time
    if created is None:
        return float("-inf") if newest_first else float("inf")
    try:
        return created.timestamp()
    except (OverflowError, ValueError, OSError):
        return float("-inf") if newest_first else float("inf")


ERROR_CODE_CALLS: Final = 5
"""GetSmartHandleJob calls a digest or an alert may make for its listed failures."""


def error_codes(
    ice: Callable[[str], IceClient],
    failures: Sequence[tuple[str, str]],
    *,
    deadline: float = 5.0,
) -> dict[str, str]:
    """``ErrorCode`` of each listed failure (job id, region), fetched concurrently: at most
    :data:`ERROR_CODE_CALLS` calls, each within ``deadline``. A job ICE will not describe
    (refused, throttled, gone) simply has no code: the list is shown either way."""
    from concurrent.futures import ThreadPoolExecutor

    wanted = list(dict.fromkeys(failures))[:ERROR_CODE_CALLS]

    def one(item: tuple[str, str]) -> tuple[str, str | None]:
        job_id, region = item
        try:
            details = ice(region).get_smart_handle_job(job_id, deadline=deadline)
        except (IceError, ValueError):
            return job_id, None
        return job_id, details.error_code

    if not wanted:
        return {}
    with ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="errors") as pool:
        found = list(pool.map(one, wanted))
    return {job_id: code for job_id, code in found if code}
