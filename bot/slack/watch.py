"""``/smartjobs watch``, ``watches``, ``unwatch`` and the alerts' Mute and Unwatch buttons.

A watch starts only when the bot can post to the channel: the announcement is its first
post, and a refusal is answered privately with the fix (invite the bot, or the
``chat:write.public`` scope). Jobs that already match when it starts are remembered and never
alert. A button acts only on a watch of the channel it was pressed in.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.filters import format_query
from bot.ice._errors import IceError
from bot.names import ACTION_MUTE, ACTION_UNWATCH, COMMAND
from bot.policy import check_query, parse_allowed
from bot.query import Query
from bot.render import ice_error_message, render_error, render_notice
from bot.services import Services
from bot.slack.commands import parsed
from bot.slack.delivery import Answer, SlackPostError, guarded, post_message, reply
from bot.telemetry import CommandRun

if TYPE_CHECKING:  # the models and the alerts' views load on the lazy path only
    from bot.watch.model import Watch

log = logging.getLogger("bot.slack")

_WATCH_ACTIONS = ("watch", "watches", "unwatch")


def is_watch_command(command: dict[str, Any], services: Services) -> bool:
    query = parsed(command, services)
    return query is not None and query.action in _WATCH_ACTIONS


def ack_watch_command(ack: Ack) -> None:
    ack()


@guarded
def run_watch_command(
    command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    query = parse_allowed(command.get("text", ""), services.settings)
    channel = str(command.get("channel_id") or "")
    user = str(command.get("user_id") or "")
    if query.action == "watch":
        services.emit(CommandRun("watch"))
        reply(
            respond,
            start_watch(
                services, client, query, channel=channel, user=user, team=command.get("team_id")
            ),
        )
    elif query.action == "watches":
        services.emit(CommandRun("watches"))
        reply(respond, list_watches(services, channel))
    else:
        services.emit(CommandRun("unwatch"))
        reply(respond, unwatch(services, client, query, channel=channel, user=user))


def start_watch(
    services: Services,
    client: WebClient,
    query: Query,
    *,
    channel: str,
    user: str,
    team: str | None,
) -> Answer:
    """Remember what matches now, post the announcement, then keep the watch."""
    from bot.render._alerts import render_announcement, watched  # the lazy path only
    from bot.watch.model import Watch, new_id
    from bot.watch.poll import KEEP, PollReport, matching

    settings = services.settings
    region = query.region or settings.ice_region
    now = services.now()
    store = services.watches()
    try:
        known = matching(
            services.ice(region), query, since=now - settings.watch_lookback, report=PollReport()
        )
    except IceError as error:
        return Answer(ice_error_message(error), ok=False)
    watch = Watch(
        id=new_id(),
        channel=channel,
        query=format_query(query),
        created_by=user,
        created=now,
        team=team,
    )
    store.add(watch)
    store.remember(
        watch.id,
        [job.job_id for job in known if job.job_id],
        until=now + settings.watch_lookback + KEEP,
    )
    try:
        post_message(
            client, channel, render_announcement(user, query, region, len(known)), what="watch"
        )
    except SlackPostError as error:
        store.remove(watch.id)
        return Answer(_cannot_post(error), ok=False)
    return Answer(
        render_notice(
            f":bell: Watching {watched(query)} in this channel ({region}). New ones are posted "
            f"here within minutes; `{COMMAND} watches` lists them."
        )
    )


def _cannot_post(error: SlackPostError) -> dict[str, Any]:
    code = error.refusal.code
    if code in ("not_in_channel", "channel_not_found"):
        hint = (
            "Invite the bot to this channel with `/invite @smartjobs`, or add the "
            "`chat:write.public` scope to the Slack app (public channels), then watch again."
        )
    else:
        hint = error.refusal.hint[:1].upper() + error.refusal.hint[1:] + "."
    return render_error("I can't post in this channel", f"Slack said `{code}`.", hint=hint)


def list_watches(services: Services, channel: str) -> Answer:
    from bot.render._alerts import render_watches

    return Answer(
        render_watches(
            services.watches().watches(channel),
            now=services.now(),
            lookback=services.settings.watch_lookback,
        )
    )


def unwatch(
    services: Services, client: WebClient, query: Query, *, channel: str, user: str
) -> Answer:
    """``unwatch N`` (its number in ``watches``), ``unwatch all``, or the only one."""
    from bot.render._alerts import render_watches, watched

    store = services.watches()
    here = store.watches(channel)
    if not here:
        return Answer(render_notice("No watches in this channel: nothing to stop."))
    if query.target == "all":
        chosen = here
    elif query.target is None:
        if len(here) > 1:
            message = render_watches(
                here, now=services.now(), lookback=services.settings.watch_lookback
            )
            message["text"] = f"Which watch? There are {len(here)} here"
            message["blocks"].insert(
                0,
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": (
                            f"There are {len(here)} watches here: say which, `{COMMAND} unwatch 2`, or "
                            f"`{COMMAND} unwatch all`, or press Unwatch."
                        ),
                    },
                },
            )
            return Answer(message, ok=False)
        chosen = here
    else:
        number = int(query.target)
        if number > len(here):
            return Answer(
                render_error(
                    "No such watch",
                    f"There are {len(here)} watches here, so there is no number {number}.",
                    hint=f"`{COMMAND} watches` lists them with their numbers.",
                ),
                ok=False,
            )
        chosen = [here[number - 1]]
    for watch in chosen:
        store.remove(watch.id)
    names = ", ".join(watched(w.parsed) for w in chosen)
    return Answer(render_notice(f":no_bell: Stopped watching {names} here."))


# -- the alert's buttons ----------------------------------------------------------------------


def _clicked_watch(body: dict[str, Any], services: Services) -> Watch | None:
    """The watch a button names, if it is one of the channel it was pressed in."""
    action = (body.get("actions") or [{}])[0]
    watch_id = str(action.get("value") or "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    for watch in services.watches().watches(channel):
        if watch.id == watch_id:
            return watch
    return None


def ack_watch_button(ack: Ack) -> None:
    ack()


@guarded
def unwatch_button(body: dict[str, Any], respond: Respond, services: Services) -> None:
    from bot.render._alerts import watched

    watch = _clicked_watch(body, services)
    if watch is None:
        reply(respond, Answer(render_notice("That watch is already gone."), ok=False))
        return
    check_query(watch.parsed, services.settings)
    services.watches().remove(watch.id)
    reply(
        respond,
        Answer(render_notice(f":no_bell: Stopped watching {watched(watch.parsed)} here.")),
        replace=False,
    )


@guarded
def mute_button(body: dict[str, Any], respond: Respond, services: Services) -> None:
    from bot.render._alerts import watched
    from bot.watch.model import MUTE

    watch = _clicked_watch(body, services)
    if watch is None:
        reply(respond, Answer(render_notice("That watch is already gone."), ok=False))
        return
    until = services.now() + MUTE
    services.watches().save(replace(watch, muted_until=until))
    who = (body.get("user") or {}).get("id") or "someone"
    log.info("watch %s muted until %s by %s", watch.id, until.isoformat(), who)
    reply(
        respond,
        Answer(render_notice(f":mute: Muted {watched(watch.parsed)} here for an hour.")),
    )


def register(app: App) -> None:
    app.command(COMMAND, matchers=[is_watch_command])(
        ack=ack_watch_command, lazy=[run_watch_command]
    )
    app.action(ACTION_UNWATCH)(ack=ack_watch_button, lazy=[unwatch_button])
    app.action(ACTION_MUTE)(ack=ack_watch_button, lazy=[mute_button])
