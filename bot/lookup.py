"""What a query finds in ICE: one page, trimmed to its ``since:`` window.

The client is handed in (one per region, from :class:`bot.services.Services`), so this is the
only place that knows how a :class:`~bot.query.Query` becomes ``ListSmartJobs`` parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from bot.ice._enums import SortBy
from bot.ice._errors import RepeatedTokenError
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
    if query.until is None or query.since is None:
        raise ValueError("a window scan needs since and until")
    start, end = query.until - query.since, query.until
    kept: list[SmartJob] = []
    first: SmartJobPage | None = None
    number = ice_page
    for _ in range(WINDOW_REQUESTS):
        page = client.list_smart_jobs(
            job_type=query.job_type,
            job_state=query.state,
            sort_by=SortBy.NEWEST,
            page_no=number,
            page_size=WINDOW_PAGE,
        )
        first = first or page
        jobs = page.smart_job_list
        for index in range(skip, len(jobs)):
            created = jobs[index].create_time
            if created is not None and created >= end:
                continue
            if created is not None and created < start:
                return _window_page(first, kept), None
            kept.append(jobs[index])
            if len(kept) == query.limit:
                more = index + 1 < len(jobs) or len(jobs) == WINDOW_PAGE
                resume = (number, index + 1) if index + 1 < len(jobs) else (number + 1, 0)
                return _window_page(first, kept), resume if more else None
        if len(jobs) < WINDOW_PAGE:
            return _window_page(first, kept), None
        number, skip = number + 1, 0
    assert first is not None
    return _window_page(first, kept), (number, 0)


def _window_page(first: SmartJobPage, kept: list[SmartJob]) -> SmartJobPage:
    return first.replace(smart_job_list=kept, next_token=None, total_count=None)
