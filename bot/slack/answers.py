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
from typing import Final

from bot import button_value, filters
from bot.ice._errors import IceError, IceTransportError
from bot.lookup import fetch_page, fetch_window_page, has_next
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


def _page(
    services: Services,
    where: button_value.Decoded,
    shared_by: str | None,
    deadline: float | None,
) -> Answer:
    query, token, number = where.query, where.token, where.page
    region = query.region or services.settings.ice_region
    try:
        client = services.ice(region)
        if query.until is not None:
            page, resume = fetch_window_page(
                client, query, ice_page=where.ice_page, skip=where.skip
            )
            next_value = (
                button_value.encode(query, None, number + 1, ice_page=resume[0], skip=resume[1])
                if resume
                else None
            )
            refresh_value = button_value.encode(
                query, None, number, ice_page=where.ice_page, skip=where.skip
            )
        else:
            page = fetch_page(
                client, query, token, now=services.now(), number=number, deadline=deadline
            )
            next_value = (
                button_value.encode(query, page.next_token, number + 1)
                if has_next(page, query, by_number=where.by_number)
                else None
            )
            refresh_value = button_value.encode(query, token, number)
        view = PageView(
            query=query,
            page=page,
            region=region,
            now=services.now(),
            page_number=number,
            next_value=next_value,
            refresh_value=refresh_value,
            shared_by=shared_by,
        )
        message = render_page(view)
    except IceTransportError as error:
        if deadline is not None and error.code == "Timeout":
            raise _TooSlow from None
        return _failure(services, error, query)
    except Exception as error:
        return _failure(services, error, query)
    services.emit(PageServed(len(page.smart_job_list), page.request_id))
    log.info("page served", extra={"ice_request_id": page.request_id})
    return Answer(message)


def digest_answer(services: Services, query: Query) -> Answer:
    """``/smartjobs digest [since:…]``: the same digest the channel gets, privately."""
    from bot.digest.scan import DEFAULT_WINDOW, build_digest

    window = query.since or DEFAULT_WINDOW
    region = query.region or services.settings.ice_region
    now = services.now()
    try:
        stats = build_digest(services.ice(region), window=window, now=now)
        show_failed = button_value.show_failed(window, query.region, until=now)
        message = render_digest(stats, region=region, show_failed_value=show_failed)
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
