"""The daily digest as Block Kit (read on a phone) and as terminal text.

Everything from ICE is user data: it is cut and escaped before it reaches
mrkdwn, and the message is re-rendered with shorter cuts until it holds
Slack's limits whatever the data (50 blocks, 3000 per section, 150 per header,
about 13 k characters of blocks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from bot.ice._enums import JobState
from bot.names import ACTION_SHOW_FAILED
from bot.query import duration_words
from bot.render._blocks import (
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    MAX_SECTION,
    actions,
    button,
    context,
    fits,
    header,
    pack,
    section,
)
from bot.render._jobs import STATE_EMOJI, UNTITLED
from bot.render._mrkdwn import code, date_token, fit

if TYPE_CHECKING:
    from bot.digest.scan import DigestStats, FailedJob
    from bot.ice._errors import IceError

SPARK: Final = "▁▂▃▄▅▆▇█"
STATE_ORDER: Final = (JobState.FINISHED, JobState.FAILED, JobState.EXECUTING, JobState.CREATED)
LEGEND: Final = " · ".join(f"{STATE_EMOJI[s]} {s.value.lower()}" for s in STATE_ORDER)

# Cuts tried in turn until the message fits (title, job id, unknown type/state labels),
# in characters *after* escaping.
_CUTS: Final = ((200, 80, 40), (100, 50, 24), (50, 30, 16), (20, 16, 10))


def percent(part: int, whole: int) -> str:
    """``3.0%``; a non-zero share never reads as ``0.0%``."""
    if whole <= 0:
        return "–"
    value = 100.0 * part / whole
    if part and value < 0.05:
        return "<0.1%"
    return f"{value:.1f}%"


def sparkline(buckets: list[int]) -> str:
    """One character per bucket scaled to the busiest; zero is always ``▁``, non-zero never is."""
    peak = max(buckets, default=0)
    if peak <= 0:
        return SPARK[0] * len(buckets)
    top = len(SPARK) - 1
    return "".join(SPARK[math.ceil(n / peak * top)] if n > 0 else SPARK[0] for n in buckets)


def summary_line(stats: DigestStats, *, region: str | None = None) -> str:
    """The notification text: ``Last 24 h: 1,234 jobs, 37 failed (3.0%)``, standing alone."""
    head = f"Last {duration_words(stats.window)}"
    if stats.jobs == 0:
        line = f"{head}: no jobs"
    else:
        line = (
            f"{head}: {stats.jobs:,} jobs, {stats.failed:,} failed "
            f"({percent(stats.failed, stats.jobs)})"
        )
    if stats.truncated or stats.stopped_early:
        line += f" (newest {stats.jobs:,} jobs only)"
    if region:
        line += f" · {fit(region, 40)}"  # Slack parses ``text`` as mrkdwn too
    return line


# -- Block Kit -------------------------------------------------------------------------------


def render_digest(
    stats: DigestStats,
    *,
    region: str,
    show_failed_value: str,
    by_region: Mapping[str, DigestStats | IceError] | None = None,
) -> dict[str, Any]:
    """The digest message: ``{"text": …, "blocks": […]}`` within Slack's limits.

    ``by_region``, for a digest of several regions (``stats`` their total): a line per
    region after the totals, and one naming each region ICE failed for.
    """
    if len(show_failed_value) > MAX_BUTTON_VALUE:
        raise ValueError(f"the button value is longer than {MAX_BUTTON_VALUE} characters")
    blocks: list[dict[str, Any]] = []
    for cuts in _CUTS:
        blocks = _digest_blocks(stats, region, show_failed_value, *cuts)
        if by_region and len(by_region) > 1:
            blocks.insert(3, section(_region_lines(by_region, cuts[2])))
        if fits(blocks):
            break
    return {"text": summary_line(stats, region=region), "blocks": blocks[:MAX_BLOCKS]}


def _region_lines(by_region: Mapping[str, DigestStats | IceError], cut: int) -> str:
    from bot.ice._errors import IceError

    lines = ["*By region*"]
    for name, part in by_region.items():
        if isinstance(part, IceError):
            lines.append(f"⚠️ *{fit(name, cut)}* · not counted: ICE said {code(part.code, 60)}")
        else:
            lines.append(
                f"*{fit(name, cut)}* · {part.jobs:,} jobs · {part.failed:,} failed "
                f"({percent(part.failed, part.jobs)})"
            )
    return "\n".join(lines)


def _digest_blocks(
    stats: DigestStats, region: str, button_value: str, title_cut: int, id_cut: int, label_cut: int
) -> list[dict[str, Any]]:
    window = duration_words(stats.window)
    blocks: list[dict[str, Any]] = [
        header(f"📊 Smart jobs digest · {_day(stats.window_end)}"),
        context(
            f"Last {window}: {date_token(stats.window_start, '{date_short} {time}')} → "
            f"{date_token(stats.window_end, '{date_short} {time}')} · "
            f"region {code(region, 40)}"
        ),
    ]
    notes = _notes(stats)
    if stats.jobs == 0:
        blocks.append(section(f"😴 *No jobs in the last {window}.*"))
        if notes:
            blocks.append(context(" ".join(notes)))
        return blocks

    total_row = _row(stats, None, "All types", label_cut)
    blocks.append(section(total_row))
    rows = [_row(stats, t, t, label_cut) for t in stats.job_types()]
    blocks.extend(section(text) for text in pack(rows, MAX_SECTION))
    blocks.append(context(LEGEND))

    peak = max(stats.failure_buckets)
    width = stats.bucket_width
    per = "hour" if width == timedelta(hours=1) else f"{duration_words(width)}"
    spark = [f"*Failures per {per}*", f"`{sparkline(stats.failure_buckets)}`"]
    span = f"{date_token(stats.window_start, '{time}')} → {date_token(stats.window_end, '{time}')}"
    if peak:
        at = stats.bucket_start(stats.failure_buckets.index(peak))
        span += f" · peak {peak:,} at {date_token(at, '{time}')}"
    spark.append(span)
    blocks.append(section("\n".join(spark)))

    if stats.failed == 0:
        blocks.append(section(f"No failures in the last {window}. ✅"))
    else:
        shown = len(stats.newest_failures)
        if shown == 1:
            heading = (
                "*Newest failure*" if stats.failed == 1 else f"*1 of {stats.failed:,} failures*"
            )
        elif stats.failed > shown:
            heading = f"*Newest {shown} of {stats.failed:,} failures*"
        else:
            heading = f"*Newest {shown} failures*"
        blocks.append(section(heading))
        blocks.extend(section(_failure(job, title_cut, id_cut)) for job in stats.newest_failures)
        blocks.extend(
            actions("digest_actions", button(ACTION_SHOW_FAILED, "Show failed jobs", button_value))
        )
    if notes:
        blocks.append(context(" ".join(notes)))
    return blocks[:MAX_BLOCKS]


def _day(when: datetime) -> str:
    """``Thu 5 Nov 2026`` (UTC: a header cannot hold a date token)."""
    day = when.astimezone(UTC)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _row(stats: DigestStats, job_type: str | None, label: str, label_cut: int) -> str:
    """Two short lines per type (≈40 characters): name, total and failure rate; then states."""
    total = stats.count(job_type)
    failed = stats.count(job_type, JobState.FAILED.value)
    head = f"*{fit(label, label_cut, '?')}* · {total:,} · {percent(failed, total)} failed"
    states = [f"{STATE_EMOJI[s]} {stats.count(job_type, s.value):,}" for s in STATE_ORDER]
    for state in stats.extra_states():
        n = stats.count(job_type, state)
        if n:
            states.append(f"_{fit(state, label_cut, '?')}_ {n:,}")
    return head + "\n" + "  ".join(states)


def _failure(job: FailedJob, title_cut: int, id_cut: int) -> str:
    when = date_token(job.create_time, "{ago}") if job.create_time else "time unknown"
    why = f" {code(job.error_code, 60)}" if job.error_code else ""
    where = f" · {fit(job.region, 40)}" if job.region else ""
    return (
        f"{STATE_EMOJI[JobState.FAILED]}{why} *{fit(job.title, title_cut, UNTITLED)}*\n"
        f"{fit(job.job_type, 40, '?')} · {when} · {code(job.job_id, id_cut)}{where}"
    )


def _notes(stats: DigestStats) -> list[str]:
    notes = []
    if stats.truncated:
        notes.append(
            f"⚠️ Counted the newest {stats.jobs:,} jobs only ({stats.pages:,} pages): "
            f"the window holds more."
        )
    if stats.note:
        notes.append(f"⚠️ {fit(stats.note, 600)}")
    if stats.undated:
        notes.append(
            f"{stats.undated:,} jobs had no creation time: counted, but not in the sparkline."
        )
    return notes


def render_digest_failure(error: IceError, *, region: str, window: timedelta) -> dict[str, Any]:
    """A short notice in place of the digest: what ICE said, the RequestId, what to do."""
    label = duration_words(window)
    rid = error.request_id
    text = f"The digest for the last {label} could not be built: ICE error {fit(error.code, 80)}"
    text += f" (RequestId {fit(rid, 80)})" if rid else ""
    lines = [
        f"⚠️ *The smart jobs digest for the last {label} could not be built* "
        f"(region {code(region, 40)})",
        f"*Why:* ICE answered {code(error.code, 80)}: {fit(error.message, 600, '(no message)')}",
        f"*What to do:* {fit(error.hint, 600, 'try again later', authored=True)}",
    ]
    if rid:
        lines.append(f"*RequestId:* {code(rid, 80)}")
    return {"text": text, "blocks": [section("\n".join(lines))]}
