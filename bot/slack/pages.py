"""The page buttons: Next page, Refresh, Share to channel.

Each is acked at once; the answer comes from a lazy listener. A button's value is untrusted
input (it comes back from the Slack client), so it is decoded and held to the same policy
as a typed command before anything is fetched.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import button_value, filters
from bot.names import ACTION_NEXT, ACTION_REFRESH, ACTION_SHARE
from bot.policy import check_query
from bot.render import render_error, stale_button_message
from bot.services import Services
from bot.slack.answers import ANSWER_BY, ANSWERED, page_answer, page_answer_by
from bot.slack.delivery import Answer, SlackPostError, guarded, post_message, reply

log = logging.getLogger("bot.slack")


def clicked(
    body: dict[str, Any], respond: Respond, services: Services
) -> button_value.Decoded | None:
    """The page a button points at, or None after telling the user it no longer works."""
    action = (body.get("actions") or [{}])[0]
    try:
        decoded = button_value.decode(str(action.get("value", "")))
        check_query(decoded.query, services.settings)
    except (button_value.ButtonValueError, filters.FilterError) as error:
        reply(respond, Answer(stale_button_message(str(error)), ok=False))
        return None
    return decoded


def ack_click(ack: Ack) -> None:
    ack()


def ack_page_click(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, services: Services
) -> None:
    """Next page / Refresh: the page goes to the response_url before the ack when it can."""
    answer_by = context.get(ANSWER_BY)
    if answer_by is not None:
        decoded = clicked(body, respond, services)
        if decoded is None:
            context[ANSWERED] = True  # told already that the button no longer works
        else:
            answer = page_answer_by(services, decoded, answer_by)
            if answer is not None:
                context[ANSWERED] = True
                reply(respond, answer, replace=True)
    ack()


@guarded
def next_or_refresh(body: dict[str, Any], respond: Respond, services: Services) -> None:
    """The page replaces the one the button was on; an error arrives beside it."""
    decoded = clicked(body, respond, services)
    if decoded:
        reply(respond, page_answer(services, decoded), replace=True)


@guarded
def share(body: dict[str, Any], respond: Respond, client: WebClient, services: Services) -> None:
    """The same page, posted in the channel for everyone, naming who shared it."""
    decoded = clicked(body, respond, services)
    channel = (body.get("channel") or {}).get("id")
    if decoded is None or not channel:
        return
    user = (body.get("user") or {}).get("id")
    answer = page_answer(services, decoded, shared_by=user)
    if not answer.ok:
        reply(respond, answer)
        return
    try:
        post_message(client, channel, answer.message, what="shared page")
    except SlackPostError as error:
        refusal = error.refusal
        said = (
            f"Slack said `{refusal.code}`."
            if refusal.code != "unreachable"
            else ("Slack's Web API did not answer.")
        )
        hint = (
            "Invite the bot with `/invite @smartjobs`, then share again."
            if refusal.code in ("not_in_channel", "channel_not_found")
            else "Try again in a minute."
        )
        reply(
            respond, Answer(render_error("Couldn't share to the channel", said, hint=hint), False)
        )


def register(app: App) -> None:
    app.action(ACTION_NEXT)(ack=ack_page_click, lazy=[next_or_refresh])
    app.action(ACTION_REFRESH)(ack=ack_page_click, lazy=[next_or_refresh])
    app.action(ACTION_SHARE)(ack=ack_click, lazy=[share])
