"""The Bolt app: `/smartjobs`, its buttons, and access control. Knows nothing of Lambda.

Ack path: verify, check access, parse (pure), ack. Everything slow (ICE, credentials,
response_url posts) happens in lazy listeners, which Lambda runs in a second invocation.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot import button_value, filters
from bot.config import Settings
from bot.ice import IceError, RepeatedTokenError
from bot.ice._enums import JobState, SortBy
from bot.query import Query
from bot.render import (
    ACTION_NEXT,
    ACTION_REFRESH,
    ACTION_SHARE,
    PageView,
    render_error,
    render_help,
    render_notice,
    render_page,
)

if TYPE_CHECKING:  # httpx and pydantic load on the lazy path only, never for an ack
    from bot.ice import CallRecord, IceClient, SmartJobPage

log = logging.getLogger("bot.slack")

COMMAND = "/smartjobs"
ACTION_SHOW_FAILED = "show_failed"
Message = dict[str, Any]

RESPONSE_URL_TIMEOUT = 10.0
"""Seconds one response_url post may take; Bolt's own ``respond`` waits 30 s and retries."""


@dataclass
class Services:
    """The I/O the app needs, handed in: tests and the demo swap in local servers."""

    settings: Settings
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ice_factory: Callable[[Settings, str], IceClient] | None = None
    """Builds the client for a region; default: ``IceClient.from_env`` with telemetry."""
    on_event: Callable[[str, dict[str, Any]], None] = lambda name, fields: None
    """Telemetry hook: ``("command", {...})``, ``("page", {...})``, ``("ice_error", {...})``."""
    _clients: dict[str, IceClient] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ice(self, region: str) -> IceClient:
        """One pooled client per region, built on first use (lazy path only)."""
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                from bot.ice import IceClient

                client = self._clients[region] = (
                    self.ice_factory(self.settings, region)
                    if self.ice_factory
                    else IceClient.from_env(
                        self.settings.ice_env(region), observers=(self._observe,)
                    )
                )
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _observe(self, record: CallRecord) -> None:
        self.on_event(
            "ice_call",
            {"ms": record.elapsed * 1000, "code": record.code, "request_id": record.request_id},
        )


# -- pure helpers ------------------------------------------------------------------------


def _ephemeral(message: Message) -> Message:
    return {"response_type": "ephemeral", **message}


def _filter_error(error: filters.FilterError) -> Message:
    return render_error("That command didn't parse", str(error), usage=error.usage)


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


def is_allowed(settings: Settings, team: str | None, channel: str | None, user: str | None) -> bool:
    """Every list that is set must contain the request's id; unset lists allow everyone."""
    checks = (
        (settings.allowed_team_ids, team),
        (settings.allowed_channel_ids, channel),
        (settings.allowed_user_ids, user),
    )
    return all(not allowed or (value in allowed) for allowed, value in checks)


# -- the app -----------------------------------------------------------------------------


def create_app(
    services: Services,
    *,
    process_before_response: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    settings = services.settings

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # The token comes from configuration: no auth.test round trip on a cold start.
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=settings.slack_bot_token
        )

    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_expected_bolt_warnings)
    app = App(
        signing_secret=settings.slack_signing_secret,
        authorize=authorize,
        client=WebClient(base_url=settings.slack_api_url),
        process_before_response=process_before_response,
        logger=bolt_log,
        listener_executor=listener_executor,
    )

    @app.middleware
    def access_control(
        body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        actions = body.get("actions") or [{}]
        services.on_event(
            "request",
            {
                "team": context.team_id,
                "channel": context.channel_id,
                "user": context.user_id,
                "command": body.get("command") or actions[0].get("action_id"),
            },
        )
        if is_allowed(settings, context.team_id, context.channel_id, context.user_id):
            return next()
        log.warning(
            "refused",
            extra={"team": context.team_id, "channel": context.channel_id, "user": context.user_id},
        )
        services.on_event("refused", {"team": context.team_id})
        refusal = render_notice(
            ":no_entry: You are not allowed to use smartjobs here. "
            "Ask the app's operator to add you (ALLOWED_*_IDS)."
        )
        if body.get("type") == "block_actions" and context.respond is not None:
            send_response(
                context.respond, replace_original=False, response_type="ephemeral", **refusal
            )
            return BoltResponse(status=200, body="")
        return BoltResponse(
            status=200,
            body=json.dumps(_ephemeral(refusal)),
            headers={"content-type": "application/json"},
        )

    # /smartjobs ---------------------------------------------------------------------------

    def needs_lookup(command: dict[str, Any]) -> bool:
        """Matcher, pure: only a query that parses needs ICE (and a lazy invocation)."""
        try:
            return parse_allowed(command.get("text", ""), settings).action != "help"
        except filters.FilterError:
            return False

    def ack_lookup(ack: Ack, command: dict[str, Any]) -> None:
        query = parse_allowed(command.get("text", ""), settings)
        if query.action == "digest":
            region = query.region or settings.ice_region
            ack(**_ephemeral(render_notice(f":hourglass: Building the digest for {region}…")))
            return
        # A slash command's own reply cannot be replaced later (bolt-python#1268), so the
        # list arrives as the one answer, a moment after this silent ack.
        ack()

    def answer_in_ack(ack: Ack, command: dict[str, Any]) -> None:
        """Help and typos are answered in the ack itself: no lazy work, no ICE."""
        services.on_event("command", {"action": "help_or_error"})
        try:
            parse_allowed(command.get("text", ""), settings)
        except filters.FilterError as error:
            ack(**_ephemeral(_filter_error(error)))
            return
        ack(**_ephemeral(render_help(filters.HELP_TEXT)))

    def run_lookup(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        query = parse_allowed(command.get("text", ""), settings)
        services.on_event("command", {"action": query.action, "team": context.team_id})
        if query.action == "digest":
            _respond_digest(query, respond)
            return
        _respond_page(button_value.Decoded(query, None, 1), respond, replace=False)

    app.command(COMMAND, matchers=[needs_lookup])(ack=ack_lookup, lazy=[run_lookup])
    app.command(COMMAND)(answer_in_ack)

    # buttons ------------------------------------------------------------------------------

    def ack_only(ack: Ack) -> None:
        ack()

    def page_from_button(body: dict[str, Any], respond: Respond) -> button_value.Decoded | None:
        action = (body.get("actions") or [{}])[0]
        try:
            decoded = button_value.decode(str(action.get("value", "")))
            query = decoded.query
            if (
                query.region
                and settings.allowed_regions
                and query.region not in settings.allowed_regions
            ):
                raise button_value.ButtonValueError("That region is not allowed here.")
        except button_value.ButtonValueError as error:
            send_response(
                respond,
                replace_original=False,
                response_type="ephemeral",
                **render_error(
                    "That button no longer works", str(error), hint="Run the command again."
                ),
            )
            return None
        return decoded

    def next_or_refresh(body: dict[str, Any], respond: Respond) -> None:
        decoded = page_from_button(body, respond)
        if decoded:
            _respond_page(decoded, respond, replace=True)

    def share(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        decoded = page_from_button(body, respond)
        if not decoded:
            return
        channel = (body.get("channel") or {}).get("id")
        user = (body.get("user") or {}).get("id")
        message = _page_message(decoded, respond, shared_by=user)
        if message is None or not channel:
            return
        try:
            client.chat_postMessage(channel=channel, **message)
        except SlackApiError as error:
            code = error.response.get("error", "unknown_error")
            log.warning("share to %s refused: Slack said %s", channel, code)
            send_response(
                respond,
                replace_original=False,
                response_type="ephemeral",
                **render_error(
                    "Couldn't share to the channel",
                    f"Slack said `{code}`.",
                    hint="Invite the bot with `/invite @smartjobs`, then share again.",
                ),
            )
        except (SlackClientError, OSError) as error:
            log.error(
                "share to %s failed: Slack's Web API did not answer (%s). Fix: check "
                "SLACK_API_URL and the network",
                channel,
                type(error).__name__,
            )
            send_response(
                respond,
                replace_original=False,
                response_type="ephemeral",
                **render_error(
                    "Couldn't share to the channel",
                    f"Slack's Web API did not answer ({type(error).__name__}).",
                    hint="Try again in a minute.",
                ),
            )

    def show_failed(body: dict[str, Any], respond: Respond) -> None:
        decoded = page_from_button(body, respond)
        if decoded:
            _respond_page(decoded, respond, replace=False)

    def ack_unknown(ack: Ack, body: dict[str, Any]) -> None:
        """Link buttons and stale actions must be acked too, or Slack shows an error."""
        ack()

    app.action(ACTION_NEXT)(ack=ack_only, lazy=[next_or_refresh])
    app.action(ACTION_REFRESH)(ack=ack_only, lazy=[next_or_refresh])
    app.action(ACTION_SHARE)(ack=ack_only, lazy=[share])
    app.action(ACTION_SHOW_FAILED)(ack=ack_only, lazy=[show_failed])
    app.action(re.compile(".*"))(ack_unknown)

    # the lazy work ------------------------------------------------------------------------

    def _page_message(
        where: button_value.Decoded,
        respond: Respond,
        *,
        replace: bool = False,
        shared_by: str | None = None,
    ) -> Message | None:
        query, token, number = where
        region = query.region or settings.ice_region
        try:
            page = fetch_page(services.ice(region), query, token, now=services.now())
        except IceError as error:
            services.on_event("ice_error", {"code": error.code, "request_id": error.request_id})
            log.warning("ICE error %s (RequestId %s)", error.code, error.request_id)
            send_response(
                respond,
                replace_original=replace,
                response_type="ephemeral",
                **ice_error_message(error),
            )
            return None
        except Exception:
            log.exception("unexpected failure answering %s", filters.format_query(query))
            send_response(
                respond,
                replace_original=replace,
                response_type="ephemeral",
                **unexpected_error_message(),
            )
            return None
        services.on_event("page", {"jobs": len(page.smart_job_list), "request_id": page.request_id})
        log.info("page served", extra={"ice_request_id": page.request_id})
        next_value = (
            button_value.encode(query, page.next_token, number + 1) if page.next_token else None
        )
        view = PageView(
            query=query,
            page=page,
            region=region,
            now=services.now(),
            page_number=number,
            next_value=next_value,
            refresh_value=button_value.encode(query, token, number),
            shared_by=shared_by,
        )
        return render_page(view)

    def _respond_page(where: button_value.Decoded, respond: Respond, *, replace: bool) -> None:
        message = _page_message(where, respond, replace=replace)
        if message is not None:
            send_response(respond, replace_original=replace, response_type="ephemeral", **message)

    def _respond_digest(query: Query, respond: Respond) -> None:
        try:
            message = digest_message(services, query)
        except IceError as error:
            services.on_event("ice_error", {"code": error.code, "request_id": error.request_id})
            log.warning("digest: ICE error %s (RequestId %s)", error.code, error.request_id)
            send_response(respond, response_type="ephemeral", **ice_error_message(error))
            return
        except Exception:
            log.exception(
                "unexpected failure building the digest for %s", filters.format_query(query)
            )
            send_response(respond, response_type="ephemeral", **unexpected_error_message())
            return
        send_response(respond, response_type="ephemeral", **message)

    return app


def _expected_bolt_warnings(record: logging.LogRecord) -> bool:
    """Bolt picks SLACK_BOT_TOKEN up from the environment and warns that the client we pass
    (for SLACK_API_URL) wins; that is the intent, so the warning is noise."""
    return "`token` will be unused" not in record.getMessage()


def parse_allowed(text: str, settings: Settings) -> Query:
    """Parse, then hold ``region:`` to ``ALLOWED_REGIONS`` when it is set."""
    query = filters.parse(text)
    if query.region and settings.allowed_regions and query.region not in settings.allowed_regions:
        allowed = ", ".join(sorted(settings.allowed_regions))
        raise filters.FilterError(
            f'Region "{query.region}" is not allowed here (allowed: {allowed}).',
            word=query.region,
        )
    if query.since is not None and query.sort is SortBy.OLDEST:
        raise filters.FilterError(
            '"oldest" and "since:" do not combine: a window is scanned newest first.',
            word="oldest",
        )
    return query


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
        return page.model_copy(update={"total_count": None})
    return page.model_copy(update={"smart_job_list": kept, "next_token": None, "total_count": None})
