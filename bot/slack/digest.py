"""The digest in Slack: ``/smartjobs digest [since:…] [region:…]`` privately, and the
channel digest's **Show failed jobs** button. The scheduled post itself is
:mod:`bot.digest.delivery`'s."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.names import ACTION_SHOW_FAILED, COMMAND
from bot.policy import parse_allowed
from bot.render import render_notice
from bot.services import Services
from bot.slack.answers import digest_answer, page_answer
from bot.slack.commands import parsed
from bot.slack.delivery import guarded, reply
from bot.slack.pages import ack_click, clicked
from bot.telemetry import CommandRun


def is_digest(command: dict[str, Any], services: Services) -> bool:
    query = parsed(command, services)
    return query is not None and query.action == "digest"


def ack_digest(ack: Ack, command: dict[str, Any], services: Services) -> None:
    """The scan takes a few seconds: say so in the ack (it stays above the digest)."""
    query = parse_allowed(command.get("text", ""), services.settings)
    region = query.region or services.settings.ice_region
    ack(
        response_type="ephemeral",
        **render_notice(f":hourglass: Building the digest for {region}…"),
    )


@guarded
def run_digest(command: dict[str, Any], respond: Respond, services: Services) -> None:
    query = parse_allowed(command.get("text", ""), services.settings)
    services.emit(CommandRun("digest"))
    reply(respond, digest_answer(services, query))


@guarded
def show_failed(body: dict[str, Any], respond: Respond, services: Services) -> None:
    """The failed jobs of the digest's window, as a new private list under the digest."""
    decoded = clicked(body, respond, services)
    if decoded:
        reply(respond, page_answer(services, decoded))


def register(app: App) -> None:
    app.command(COMMAND, matchers=[is_digest])(ack=ack_digest, lazy=[run_digest])
    app.action(ACTION_SHOW_FAILED)(ack=ack_click, lazy=[show_failed])
