"""What each request is answered with: a page, the digest, or the error that says why not.

Given the services handed in, each function fetches what it needs and renders it, and turns
*any* failure (ICE, a button that cannot be built, a renderer bug) into a friendly
:class:`~bot.slack.delivery.Answer`: a request is never left without one.

:func:`page_answer_by` is the same page when it can be ready by a moment (Slack's ack
budget): ICE gets what is left as its deadline, and running out means "not in time", never
an error, so the caller hands the request to the lazy run instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from bot import button_value, filters
from bot.filters import ALL_REGIONS
from bot.ice._errors import IceError, IceTransportError
from bot.lookup import fetch_page, fetch_regions, fetch_window_page, has_next
from bot.policy import regions_of
from bot.query import Query
from bot.render import (
    PageView,
    ice_error_message,
    render_digest,
    render_page,
    unexpected_error_message,
)
from bot.services import Services
from bot.slack.delivery import Answer
from bot.telemetry import IceFailed, PageServed

if TYPE_CHECKING:
    from bot.ice import SmartJob, SmartJobPage

log = logging.getLogger("bot.slack")

ANSWER_BY: Final = "smartjobs_answer_by"
"""Context key the HTTP entry sets: when (epoch seconds) an answer must be ready to go inline."""
ANSWERED: Final = "smartjobs_answered"
"""Context key an ack sets when it answered: the entry then starts no lazy run."""
INLINE_MIN: Final = 0.3
"""Seconds an ICE call needs at the least to be worth trying before the ack."""
RENDER_TIME: Final = 0.1
"""Seconds kept for rendering and for the answer to reach Slack after ICE answered."""


class _TooSlow(Exception):
    """ICE did not answer within an inline deadline: the lazy run answers instead."""


def page_answer(
    services: Services, where: button_value.Decoded, *, shared_by: str | None = None
) -> Answer:
    """One page of a query (first, next or again), with its buttons."""
    return _page(services, where, shared_by, None)


def page_answer_by(
    services: Services,
    where: button_value.Decoded,
    answer_by: float,
    *,
    clock: Callable[[], float] = time.time,
) -> Answer | None:
    """The page if it is ready by ``answer_by`` (epoch seconds), else None.

    A window scan (``until``) takes several ICE calls: always left to the lazy run.
    """
    if where.query.until is not None or answer_by - clock() < INLINE_MIN + RENDER_TIME:
        return None
    services.ice(where.query.region or services.settings.ice_region)  # a cold start builds it
    left = answer_by - clock() - RENDER_TIME
    if left < INLINE_MIN:
        return None
    try:
        return _page(services, where, None, left)
    except _TooSlow:
        return None


@dataclass(frozen=True)
class _Fetched:
    """A page as found, and the values its buttons carry."""

    page: SmartJobPage
    next_value: str | None
    refresh_value: str
    region: str
    job_regions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _page(
    services: Services,
    where: button_value.Decoded,
    shared_by: str | None,
    deadline: float | None,
) -> Answer:
    query = where.query
    try:
        found = _fetch(services, where, deadline)
        view = PageView(
            query=query,
            page=found.page,
            region=found.region,
            now=services.now(),
            page_number=where.page,
            next_value=found.next_value,
            refresh_value=found.refresh_value,
            shared_by=shared_by,
            job_regions=found.job_regions,
            notes=found.notes,
            back_value=back_value(where, found.refresh_value),
            error_codes=services.known_errors(j.job_id for j in found.page.smart_job_list),
        )
        message = render_page(view)
    except IceTransportError as error:
        if deadline is not None and error.code == "Timeout":
            raise _TooSlow from None
        return _failure(services, error, query)
    except Exception as error:
        return _failure(services, error, query)
    services.emit(PageServed(len(found.page.smart_job_list), found.page.request_id))
    log.info("page served", extra={"ice_request_id": found.page.request_id})
    return Answer(message)


BACK_ROOM: Final = 240
"""Characters a way back may take: it rides in a block id (255) beside a short prefix."""


def back_value(where: button_value.Decoded, refresh_value: str) -> str | None:
    """The page as a short button value: its Refresh value, or the same page by number."""
    if len(refresh_value) <= BACK_ROOM:
        return refresh_value
    try:
        numbered = button_value.encode(where.query, None, where.page, cursors=where.cursors)
    except button_value.ButtonValueError:
        return None
    return numbered if len(numbered) <= BACK_ROOM else None


def details_answer(
    services: Services,
    job_id: str,
    region: str | None,
    back: button_value.Decoded | None,
) -> Answer:
    """One job's details; when ICE will not give them, what the list knew and why not.

    ICE calls: one GetSmartHandleJob (per region tried, for ``/smartjobs job`` across
    ICE_REGIONS); one ListSmartJobs more only when the details could not be had and the
    job came from a list.
    """
    from bot.ice import IceJobNotFoundError
    from bot.render import ice_error_headline
    from bot.render._details import DetailsView, render_details

    regions = (region,) if region else _regions_to_try(services, back)
    details = None
    problem: str | None = None
    shown_region = regions[0]
    for shown_region in regions:
        try:
            details = services.ice(shown_region).get_smart_handle_job(job_id)
            break
        except IceJobNotFoundError as error:
            problem = f"{ice_error_headline(error)} ({error.code}). {error.hint}"
            continue
        except IceError as error:
            services.emit(IceFailed(error.code, error.request_id))
            problem = f"{ice_error_headline(error)} ({error.code}). {error.hint}"
            break
    else:
        shown_region = regions[0]
    if details is not None:
        problem = None
        if details.error_code:
            services.remember_errors({job_id: details.error_code})
    job = None if details is not None else _from_list(services, back, job_id)
    view = DetailsView(
        job_id=job_id,
        region=shown_region,
        now=services.now(),
        job=job,
        details=details,
        problem=problem,
        back_value=button_value.again(back) if back else None,
    )
    return Answer(render_details(view), ok=details is not None or job is not None)


def _regions_to_try(services: Services, back: button_value.Decoded | None) -> tuple[str, ...]:
    if back is not None and back.query.region not in (None, ALL_REGIONS):
        return (str(back.query.region),)
    return regions_of(Query(region=ALL_REGIONS), services.settings)


def _from_list(
    services: Services, back: button_value.Decoded | None, job_id: str
) -> SmartJob | None:
    """The job as the page it was listed on shows it (one ListSmartJobs), if it came from one."""
    if back is None:
        return None
    try:
        found = _fetch(services, back, None)
    except Exception:  # what the list knew is a nicety; the problem line already says why
        log.warning("the page behind a Details click could not be read again", exc_info=True)
        return None
    return next((j for j in found.page.smart_job_list if j.job_id == job_id), None)


def _fetch(services: Services, where: button_value.Decoded, deadline: float | None) -> _Fetched:
    query, token, number = where.query, where.token, where.page
    if query.region == ALL_REGIONS:
        return _fetch_regions(services, where, deadline)
    region = query.region or services.settings.ice_region
    client = services.ice(region)
    if query.until is not None:
        page, resume = fetch_window_page(client, query, ice_page=where.ice_page, skip=where.skip)
        return _Fetched(
            page,
            button_value.encode(query, None, number + 1, ice_page=resume[0], skip=resume[1])
            if resume
            else None,
            button_value.encode(query, None, number, ice_page=where.ice_page, skip=where.skip),
            region,
        )
    page = fetch_page(client, query, token, now=services.now(), number=number, deadline=deadline)
    return _Fetched(
        page,
        button_value.encode(query, page.next_token, number + 1)
        if has_next(page, query, by_number=where.by_number)
        else None,
        button_value.encode(query, token, number),
        region,
    )


def _fetch_regions(
    services: Services, where: button_value.Decoded, deadline: float | None
) -> _Fetched:
    """``region:all``: every region at once, merged; a region that fails is named."""
    from bot.ice import SmartJobPage
    from bot.render import ice_error_headline

    query, number = where.query, where.page
    regions = regions_of(query, services.settings)
    cursors = dict(where.cursors) if where.cursors is not None else dict.fromkeys(regions, (1, 0))
    merged = fetch_regions(services.ice, query, cursors, deadline=deadline)
    for error in merged.failed.values():
        services.emit(IceFailed(error.code, error.request_id))
    notes = tuple(
        f"{region}: {ice_error_headline(error)} ({error.code}); its jobs are not in this page, "
        "Refresh tries again"
        for region, error in merged.failed.items()
    )
    page = SmartJobPage.from_wire({"RequestId": ",".join(merged.request_ids.values())})
    page = page.replace(smart_job_list=[job for _, job in merged.jobs])
    return _Fetched(
        page,
        button_value.encode(query, None, number + 1, cursors=merged.cursors)
        if merged.cursors and len(merged.jobs) >= query.limit
        else None,
        button_value.encode(query, None, number, cursors=where.cursors),
        ", ".join(regions),
        tuple(region for region, _ in merged.jobs),
        notes,
    )


def digest_answer(services: Services, query: Query) -> Answer:
    """``/smartjobs digest [since:…] [region:…]``: the channel's digest, privately; every
    region of ``ICE_REGIONS`` unless one is named."""
    from bot.digest.scan import DEFAULT_WINDOW, DigestStats, build_digests, combine
    from bot.render import render_digest_failure

    window = query.since or DEFAULT_WINDOW
    named = query.region if query.region != ALL_REGIONS else None
    regions = (
        (named,) if named else regions_of(replace(query, region=ALL_REGIONS), services.settings)
    )
    now = services.now()
    try:
        by_region = build_digests(
            services.ice,
            regions,
            window=window,
            now=now,
            concurrency=services.settings.scan_concurrency,
        )
        counted = {r: part for r, part in by_region.items() if isinstance(part, DigestStats)}
        if not counted:
            error = next(part for part in by_region.values() if isinstance(part, IceError))
            services.emit(IceFailed(error.code, error.request_id))
            return Answer(
                render_digest_failure(error, region=", ".join(regions), window=window), ok=False
            )
        show_failed = button_value.show_failed(
            window, named or (ALL_REGIONS if len(regions) > 1 else None), until=now
        )
        from bot.digest.delivery import with_error_codes

        stats = with_error_codes(combine(counted), services.ice, regions[0])
        services.remember_errors(
            {f.job_id: f.error_code for f in stats.newest_failures if f.error_code}
        )
        message = render_digest(
            stats,
            region=", ".join(regions),
            show_failed_value=show_failed,
            by_region=by_region if len(regions) > 1 else None,
        )
    except Exception as error:
        return _failure(services, error, query)
    return Answer(message)


def _failure(services: Services, error: Exception, query: Query) -> Answer:
    if isinstance(error, IceError):
        services.emit(IceFailed(error.code, error.request_id))
        log.warning("ICE error %s (RequestId %s)", error.code, error.request_id)
        return Answer(ice_error_message(error), ok=False)
    log.exception("unexpected failure answering %s", filters.format_query(query))
    return Answer(unexpected_error_message(), ok=False)
