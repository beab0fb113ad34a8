"""Access control for every request (``ALLOWED_*``), and the answer a refused person gets.

A refused slash command is answered in its ack. A refused click is acked at once and
answered on its response_url by the listener registered here, so the refusal never holds
up Slack's 3 s.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond

from bot.policy import is_allowed
from bot.render import not_allowed_message
from bot.services import Services
from bot.slack.delivery import guarded, send_response
from bot.telemetry import Refused, RequestSeen

log = logging.getLogger("bot.slack")

_REFUSED = "smartjobs_refused"


def access_control(
    body: dict[str, Any],
    context: BoltContext,
    next: Callable[[], BoltResponse],
    services: Services,
) -> BoltResponse | None:
    actions = body.get("actions") or [{}]
    services.emit(
        RequestSeen(
            team=context.team_id,
            channel=context.channel_id,
            user=context.user_id,
            command=body.get("command") or actions[0].get("action_id"),
        )
    )
    if is_allowed(services.settings, context.team_id, context.channel_id, context.user_id):
        return next()
    log.warning(
        "refused",
        extra={"team": context.team_id, "channel": context.channel_id, "user": context.user_id},
    )
    services.emit(Refused(context.team_id))
    if body.get("type") == "block_actions":
        context[_REFUSED] = True
        return next()  # to refused_click, registered first
    return BoltResponse(
        status=200,
        body=json.dumps({"response_type": "ephemeral", **not_allowed_message()}),
        headers={"content-type": "application/json"},
    )


def is_refused(context: BoltContext) -> bool:
    return bool(context.get(_REFUSED))


def ack_refused(ack: Ack) -> None:
    ack()


@guarded
def answer_refused(respond: Respond) -> None:
    send_response(
        respond, replace_original=False, response_type="ephemeral", **not_allowed_message()
    )


def register(app: App) -> None:
    app.middleware(access_control)
    app.action(re.compile(".*"), matchers=[is_refused])(ack=ack_refused, lazy=[answer_refused])
