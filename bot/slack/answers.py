"""What each request is answered with: a page, the digest, or the error that says why not.

Given the services handed in, each function fetches what it needs and renders it, and turns
*any* failure (ICE, a button that cannot be built, a renderer bug) into a friendly
:class:`~bot.slack.delivery.Answer`: a request is never left without one.
"""

from __future__ import annotations

import logging

from bot import button_value, filters
from bot.ice._errors import IceError
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


def page_answer(
    services: Services, where: button_value.Decoded, *, shared_by: str | None = None
) -> Answer:
    """One page of a query (first, next or again), with its buttons."""
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
            page = fetch_page(client, query, token, now=services.now(), number=number)
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
