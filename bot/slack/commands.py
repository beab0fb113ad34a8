"""``/smartjobs`` lists, help and typos.

Help and typos are answered in the ack itself: no lazy work, no ICE. A list is acked
silently and answered a moment later as one private message: a slash command's own reply
cannot be replaced afterwards (bolt-python#1268), so a "Looking…" notice would be clutter.
The digest's slice of the command is in :mod:`bot.slack.digest`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot import button_value, filters
from bot.names import COMMAND
from bot.policy import parse_allowed
from bot.query import Query
from bot.render import filter_error_message, render_help
from bot.services import Services
from bot.slack.answers import ANSWER_BY, ANSWERED, page_answer, page_answer_by
from bot.slack.delivery import guarded, reply
from bot.telemetry import CommandRun


def parsed(command: dict[str, Any], services: Services) -> Query | None:
    """The command's query under the deployment's policy; None when it does not parse."""
    try:
        return parse_allowed(command.get("text", ""), services.settings)
    except filters.FilterError:
        return None


def is_list(command: dict[str, Any], services: Services) -> bool:
    query = parsed(command, services)
    return query is not None and query.action == "list"


def ack_list(ack: Ack, command: dict[str, Any], context: BoltContext, services: Services) -> None:
    """The page itself when it is ready within the ack's budget; else a silent ack."""
    answer_by = context.get(ANSWER_BY)
    if answer_by is not None:
        query = parse_allowed(command.get("text", ""), services.settings)
        answer = page_answer_by(services, button_value.Decoded(query, None, 1), answer_by)
        if answer is not None:
            services.emit(CommandRun("list"))
            context[ANSWERED] = True
            ack(response_type="ephemeral", **answer.message)
            return
    ack()


@guarded
def run_list(command: dict[str, Any], respond: Respond, services: Services) -> None:
    query = parse_allowed(command.get("text", ""), services.settings)
    services.emit(CommandRun("list"))
    reply(respond, page_answer(services, button_value.Decoded(query, None, 1)))


def answer_in_ack(ack: Ack, command: dict[str, Any], services: Services) -> None:
    """Help, typos, and anything no other listener took: answered in the ack itself."""
    services.emit(CommandRun("help_or_error"))
    try:
        parse_allowed(command.get("text", ""), services.settings)
    except filters.FilterError as error:
        ack(response_type="ephemeral", **filter_error_message(error, filters.usage()))
        return
    ack(response_type="ephemeral", **render_help(filters.HELP_TEXT))


def register(app: App) -> None:
    app.command(COMMAND, matchers=[is_list])(ack=ack_list, lazy=[run_list])


def register_fallback(app: App) -> None:
    """Last of all the command's listeners: Bolt takes the first whose matchers pass."""
    app.command(COMMAND)(answer_in_ack)
