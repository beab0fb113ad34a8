"""Block Kit for watches: the alert in the channel, its thread replies, the storm summary,
the announcement when a watch starts, and the private list of a channel's watches.

Pure. Job data is escaped and cut like everywhere else; every message holds Slack's limits
whatever the data, and its ``text`` stands alone on a phone's lock screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.names import ACTION_MUTE, ACTION_SHOW_FAILED, ACTION_UNWATCH, COMMAND
from bot.query import TYPE_LABELS, Query, duration_words
from bot.render._blocks import (
    MAX_TEXT,
    Block,
    Message,
    actions,
    button,
    context,
    fits,
    header,
    section,
)
from bot.render._jobs import UNTITLED, state_label, type_label, usable_time
from bot.render._mrkdwn import code, date_token, fit
from bot.watch.model import SHOWN

if TYPE_CHECKING:
    from bot.ice import SmartJob
    from bot.watch.model import Alert, Watch

_CUTS = ((80, 66), (40, 40), (20, 34))  # (title, id) characters, tried until the message fits


def watched(query: Query) -> str:
    """``failed ASR jobs``: what a watch hears about (never job data)."""
    words = [query.state.value.lower()] if query.state else []
    if query.job_type is not None:
        words.append(TYPE_LABELS[query.job_type])
    return " ".join([*words, "jobs"])


def _count(n: int, query: Query) -> str:
    noun = watched(query)
    return f"{n:,} new {noun[:-1] if n == 1 else noun}"


def _job_line(job: SmartJob, title_cut: int, id_cut: int, error_code: str | None = None) -> str:
    emoji, word = state_label(job.job_state)
    when = usable_time(job.create_time)
    created = (
        f"created {date_token(when)} ({date_token(when, '{ago}')})" if when else "created: unknown"
    )
    state = f"{emoji} *{fit(word, 24)}*" + (f" {code(error_code, 60)}" if error_code else "")
    parts = [state, fit(type_label(job.job_type), 24)]
    return (
        " · ".join(p for p in (*parts, fit(job.title, title_cut, UNTITLED)) if p)
        + f"\n{code(job.job_id, id_cut)} · {created}"
    )


def _summary(jobs: Sequence[SmartJob]) -> str:
    by_kind = Counter((type_label(j.job_type) or "?", state_label(j.job_state)[1]) for j in jobs)
    rows = [f"{fit(t, 24)} · {fit(s, 24)}: *{n:,}*" for (t, s), n in by_kind.most_common(10)]
    more = len(by_kind) - len(rows)
    return "\n".join(rows + ([f"… and {more} more kinds"] if more > 0 else []))


def render_alert(
    alert: Alert,
    *,
    query: Query,
    region: str,
    watch_id: str,
    show_all_value: str | None,
    as_root: bool = False,
    error_codes: Mapping[str, str] | None = None,
) -> Message:
    """A root alert in the channel, or a reply in its thread (``alert.kind``).

    ``as_root`` renders a thread alert as its root's new face (``chat.update``): the
    incident's total in the header, these newest jobs, and a pointer to the thread.
    """
    jobs = alert.jobs
    if alert.kind == "root" or as_root:
        headline = _count(alert.total, query)
    else:
        headline = _count(len(jobs), query).replace("new", "more new", 1)
    buttons_too = alert.kind == "root" or as_root
    newest = list(jobs[:SHOWN])
    titles = ", ".join(fit(j.title, 40, UNTITLED) for j in newest[:3])
    text = fit(f"🚨 {headline} in {region}: {titles}", MAX_TEXT)
    for title_cut, id_cut in _CUTS:
        blocks: list[Block] = [
            header(f"🚨 {headline}"),
            context(f"{fit(region, 60)} · watched here"),
        ]
        if as_root:
            blocks.append(context(":thread: The newest are below; every one is in the thread."))
        if alert.storm:
            blocks.append(section(f"*By type and state*\n{_summary(jobs)}"))
            blocks.append(section(f"*Newest {len(newest)}*"))
        codes = error_codes or {}
        blocks += [
            section(_job_line(job, title_cut, id_cut, codes.get(job.job_id or "")))
            for job in newest
        ]
        if len(jobs) > len(newest) and not alert.storm:
            blocks.append(context(f"… and {len(jobs) - len(newest):,} more"))
        buttons = []
        if show_all_value:
            buttons.append(button(ACTION_SHOW_FAILED, "Show all", show_all_value, style="primary"))
        if buttons_too:
            buttons.append(button(ACTION_MUTE, "Mute 1 h", watch_id))
            buttons.append(button(ACTION_UNWATCH, "Unwatch", watch_id, style="danger"))
        blocks += actions("watch_actions", *buttons)
        if fits(blocks):
            break
    return {"text": text, "blocks": blocks}


def render_announcement(user: str, query: Query, region: str, known: int) -> Message:
    """Posted in the channel when a watch starts: who, what, and how to stop it."""
    who = f"<@{user}>" if user.isalnum() else "Someone"
    line = (
        f"🔔 {who} is watching {watched(query)} here ({fit(region, 40)}) · "
        f"`{COMMAND} unwatch` stops it"
    )
    detail = f"{known:,} matching jobs were already there; only new ones will alert."
    return {
        "text": fit(f"🔔 Watching {watched(query)} here ({region})", MAX_TEXT),
        "blocks": [section(line), context(detail)],
    }


def render_watches(watches: Sequence[Watch], *, now: datetime, lookback: timedelta) -> Message:
    """This channel's watches, numbered as ``unwatch N`` takes them, each with Unwatch."""
    if not watches:
        return {
            "text": "No watches in this channel",
            "blocks": [
                section(
                    f"No watches in this channel. `{COMMAND} watch failed` starts one: "
                    "new failures are posted here as they happen."
                )
            ],
        }
    blocks: list[Block] = [
        header(f"🔔 {len(watches)} watch{'es' if len(watches) != 1 else ''} here")
    ]
    for number, watch in enumerate(watches[:40], start=1):
        query = watch.parsed
        state = []
        if watch.paused:
            state.append(f":double_vertical_bar: paused ({fit(watch.paused, 40)})")
        elif watch.muted(now) and watch.muted_until is not None:
            state.append(f":mute: muted until {date_token(watch.muted_until, '{time}')}")
        by = f"<@{watch.created_by}>" if watch.created_by.isalnum() else "someone"
        line = (
            f"*{number}.* {watched(query)}"
            + (f" · {fit(query.region, 40)}" if query.region else "")
            + f" · by {by} · since {date_token(watch.created, '{date_short}')}"
        )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": " · ".join([line, *state])},
                "accessory": button(ACTION_UNWATCH, "Unwatch", watch.id),
            }
        )
    blocks.append(
        context(
            f"New matches are looked for over the last {duration_words(lookback)}; "
            f"`{COMMAND} unwatch N` or `{COMMAND} unwatch all` removes them."
        )
    )
    return {"text": f"{len(watches)} watches in this channel", "blocks": blocks}
