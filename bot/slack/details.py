"""Details of one job: the **Details** control on every listed job, **Back to list**, and
``/smartjobs job <JobId>``.

Details replaces the list with the job (GetSmartHandleJob: why it failed, its input, output
and config); Back to list brings exactly that page back, from the way back its section
carried (an ephemeral message's own blocks do not come back with a click).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import button_value, filters
from bot.names import ACTION_BACK, ACTION_DETAILS, COMMAND
from bot.policy import check_query, parse_allowed
from bot.render import stale_button_message
from bot.services import Services
from bot.slack.answers import details_answer, page_answer
from bot.slack.commands import parsed
from bot.slack.delivery import Answer, guarded, reply
from bot.slack.pages import ack_click, clicked
from bot.telemetry import CommandRun


def _where_back(block_id: str, services: Services) -> button_value.Decoded | None:
    back = button_value.back_of(block_id)
    if back is None:
        return None
    try:
        decoded = button_value.decode(back)
        check_query(decoded.query, services.settings)
    except (button_value.ButtonValueError, filters.FilterError):
        return None
    return decoded


@guarded
def show_details(body: dict[str, Any], respond: Respond, services: Services) -> None:
    action = (body.get("actions") or [{}])[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    try:
        job_id, region = button_value.decode_details(str(value))
    except button_value.ButtonValueError as error:
        reply(respond, Answer(stale_button_message(str(error)), ok=False))
        return
    back = _where_back(str(action.get("block_id") or ""), services)
    reply(respond, details_answer(services, job_id, region, back), replace=True)


@guarded
def back_to_list(body: dict[str, Any], respond: Respond, services: Services) -> None:
    decoded = clicked(body, respond, services)
    if decoded:
        reply(respond, page_answer(services, decoded), replace=True)


def is_job(command: dict[str, Any], services: Services) -> bool:
    query = parsed(command, services)
    return query is not None and query.action == "job"


def ack_job(ack: Ack) -> None:
    ack()


@guarded
def run_job(command: dict[str, Any], respond: Respond, services: Services) -> None:
    query = parse_allowed(command.get("text", ""), services.settings)
    services.emit(CommandRun("job"))
    reply(respond, details_answer(services, str(query.target), query.region, None))


def register(app: App) -> None:
    app.command(COMMAND, matchers=[is_job])(ack=ack_job, lazy=[run_job])
    app.action(ACTION_DETAILS)(ack=ack_click, lazy=[show_details])
    app.action(ACTION_BACK)(ack=ack_click, lazy=[back_to_list])
