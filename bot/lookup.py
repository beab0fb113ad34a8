"""What a query finds in ICE: one page, trimmed to its ``since:`` window.

The client is handed in (one per region, from :class:`bot.services.Services`), so this is the
only place that knows how a :class:`~bot.query.Query` becomes ``ListSmartJobs`` parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.ice._errors import RepeatedTokenError
from bot.query import Query

if TYPE_CHECKING:  # httpx loads on the lazy path only, never for an ack
    from bot.ice import IceClient, SmartJobPage


def fetch_page(
    client: IceClient, query: Query, token: str | None, *, now: datetime, number: int = 1
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
        )
    else:
        page = client.list_smart_jobs(
            job_type=query.job_type,
            job_state=query.state,
            sort_by=query.sort,
            max_results=query.limit,
            next_token=token,
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
