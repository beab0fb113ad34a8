"""The Bolt app: `/smartjobs`, its buttons, and access control. Knows nothing of Lambda.

The listeners only: what they answer is in ``bot.answers``, the I/O they use in
``bot.services``.

Ack path: verify, check access, parse (pure), ack. Everything slow (ICE, credentials,
response_url posts) happens in lazy listeners, which Lambda runs in a second invocation.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import button_value, filters
from bot.answers import (
    Message,
    check_query,
    digest_message,
    ephemeral,
    fetch_page,
    filter_error_message,
    ice_error_message,
    is_allowed,
    parse_allowed,
    send_response,
    unexpected_error_message,
)
from bot.ice import IceError
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
from bot.services import Services

log = logging.getLogger("bot.slack")

COMMAND = "/smartjobs"
ACTION_SHOW_FAILED = "show_failed"


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
            body=json.dumps(ephemeral(refusal)),
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
            ack(**ephemeral(render_notice(f":hourglass: Building the digest for {region}…")))
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
            ack(**ephemeral(filter_error_message(error)))
            return
        ack(**ephemeral(render_help(filters.HELP_TEXT)))

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
            check_query(decoded.query, settings)
        except (button_value.ButtonValueError, filters.FilterError) as error:
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
