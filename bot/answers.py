"""What the bot answers, and how an answer reaches Slack: the listeners' shared vocabulary.

Parsing with the deployment's policy, one page from ICE, the digest message, the messages
for every kind of failure, and the one way an answer is posted to a response_url.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import Respond
from slack_sdk.webhook import WebhookClient

from bot import button_value, filters
from bot.config import Settings
from bot.ice import IceError, RepeatedTokenError
from bot.ice._enums import JobState, SortBy
from bot.query import Query
from bot.render import render_error
from bot.services import Services

if TYPE_CHECKING:  # httpx and pydantic load on the lazy path only, never for an ack
    from bot.ice import IceClient, SmartJobPage

log = logging.getLogger("bot.slack")

Message = dict[str, Any]

RESPONSE_URL_TIMEOUT = 10.0
"""Seconds one response_url post may take; Bolt's own ``respond`` waits 30 s and retries."""


def ephemeral(message: Message) -> Message:
    return {"response_type": "ephemeral", **message}


def filter_error_message(error: filters.FilterError) -> Message:
    return render_error("That command didn't parse", str(error), usage=error.usage)


def is_allowed(settings: Settings, team: str | None, channel: str | None, user: str | None) -> bool:
    """Every list that is set must contain the request's id; unset lists allow everyone."""
    checks = (
        (settings.allowed_team_ids, team),
        (settings.allowed_channel_ids, channel),
        (settings.allowed_user_ids, user),
    )
    return all(not allowed or (value in allowed) for allowed, value in checks)


def check_query(query: Query, settings: Settings | None = None) -> Query:
    """What every entry point (command, button, terminal) holds a query to.

    A ``since:`` window is found by scanning newest first (``fetch_page``), so it cannot be
    listed oldest first; with ``settings``, ``region:`` is held to ``ALLOWED_REGIONS``.
    """
    if query.since is not None and query.sort is SortBy.OLDEST:
        raise filters.FilterError(
            '"oldest" and "since:" do not combine: a window is scanned newest first.',
            word="oldest",
        )
    allowed = settings.allowed_regions if settings else frozenset()
    if query.region and allowed and query.region not in allowed:
        raise filters.FilterError(
            f'The region is not allowed here: "{query.region}" '
            f"(allowed: {', '.join(sorted(allowed))}).",
            word=query.region,
        )
    return query


def parse_allowed(text: str, settings: Settings) -> Query:
    return check_query(filters.parse(text), settings)


def send_response(respond: Respond, **message: Any) -> bool:
    """Post one answer to the request's response_url; log why when it did not arrive.

    Never raises and never retries: a post whose answer was lost may still have been
    shown, and a second try would show it twice. Returns True when Slack took it.
    """
    url = respond.response_url
    if not url:
        log.error("answer not delivered: the request carried no response_url")
        return False
    host = url.split("://", 1)[-1].split("/", 1)[0]  # the path is a capability: not logged
    client = WebhookClient(
        url=url,
        timeout=RESPONSE_URL_TIMEOUT,  # type: ignore[arg-type]  # slack_sdk annotates int
        proxy=respond.proxy,
        ssl=respond.ssl,
        retry_handlers=[],
    )
    body = {key: value for key, value in message.items() if value is not None}
    try:
        response = client.send_dict(body)
    except Exception as error:  # urllib raises timeouts and refusals as OSError and friends
        log.error(
            "answer not delivered: Slack's response_url (%s) did not answer (%s%s); "
            "not retried, so the user may see nothing: check the network path to Slack",
            host,
            type(error).__name__,
            " - timed out" if isinstance(error, TimeoutError) else "",
        )
        return False
    if response.status_code != 200:
        said = " ".join(str(response.body or "").split())[:80] or "(no body)"
        log.error(
            "answer not delivered: Slack's response_url answered HTTP %s %s%s",
            response.status_code,
            said,
            "; it has expired or was used 5 times (they last 30 minutes)"
            if response.status_code == 404 or "expired" in said or "used_url" in said
            else "; not retried",
        )
        return False
    return True


def fetch_page(
    client: IceClient, query: Query, token: str | None, *, now: datetime
) -> SmartJobPage:
    """One page for a query; ``since:`` trims the page and ends paging past the window."""
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


def show_failed_value(window: timedelta, region: str | None) -> str:
    """The digest's "Show failed jobs" button: the private list `/smartjobs failed` gives."""
    return button_value.encode(Query(state=JobState.FAILED, since=window, region=region))


def digest_message(services: Services, query: Query) -> Message:
    """``/smartjobs digest [since:…]``: the same digest the channel gets, privately."""
    from bot.digest import DEFAULT_WINDOW, build_digest
    from bot.render import render_digest

    window = query.since or DEFAULT_WINDOW
    region = query.region or services.settings.ice_region
    stats = build_digest(services.ice(region), window=window, now=services.now())
    return render_digest(
        stats, region=region, show_failed_value=show_failed_value(window, query.region)
    )


def ice_error_headline(error: IceError) -> str:
    """What happened, in a phone notification's few words; the detail line says why."""
    from bot.ice import (
        CredentialsError,
        IceAuthError,
        IceParameterError,
        IceProtocolError,
        IceThrottledError,
        IceTransportError,
    )

    headlines: tuple[tuple[type[IceError], str], ...] = (
        (CredentialsError, "No Alibaba Cloud credentials"),
        (IceAuthError, "ICE refused the credentials"),
        (IceParameterError, "ICE rejected the request"),
        (IceThrottledError, "ICE is throttling requests"),
        (IceTransportError, "ICE didn't answer"),
        (IceProtocolError, "ICE sent an unexpected answer"),
    )
    return next(
        (text for kind, text in headlines if isinstance(error, kind)), "ICE returned an error"
    )


def ice_error_message(error: IceError) -> Message:
    return render_error(
        ice_error_headline(error),
        f"`{error.code}`: {error.message}",
        hint=error.hint,
        request_id=error.request_id,
    )


def unexpected_error_message() -> Message:
    return render_error(
        "Something went wrong",
        "smartjobs hit an unexpected error; it has been logged.",
        hint="Try again; if it persists, tell the app's operator.",
    )
