"""The daily digest as Block Kit (read on a phone) and as terminal text.

Everything from ICE is user data: it is cut and escaped before it reaches
mrkdwn, and the message is re-rendered with shorter cuts until it holds
Slack's limits whatever the data (50 blocks, 3000 per section, 150 per header,
about 13 k characters of blocks).
"""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Final

from bot.ice._enums import JobState
from bot.render._mrkdwn import age, blocks_chars, code, date_token, fit, fit_plain, truncate

if TYPE_CHECKING:
    from bot.digest import DigestStats, FailedJob
    from bot.ice._errors import IceError

SPARK: Final = "▁▂▃▄▅▆▇█"
MAX_BLOCKS: Final = 50
MAX_SECTION: Final = 3000
MAX_HEADER: Final = 150
MAX_CONTEXT: Final = 2000  # a context element's text is capped like a section field
MAX_BLOCKS_JSON: Final = 12_000  # Slack's ~13 k, with room to spare
MAX_BUTTON_VALUE: Final = 2000
SHOW_FAILED_ACTION: Final = "show_failed"

STATE_ICONS: Final[dict[str, str]] = {
    JobState.FINISHED.value: "✅",
    JobState.FAILED.value: "❌",
    JobState.EXECUTING.value: "⏳",
    JobState.CREATED.value: "🆕",
}
LEGEND: Final = "✅ finished · ❌ failed · ⏳ executing · 🆕 created"
_TEXT_COLUMNS: Final = ("Finished", "Failed", "Executing", "Created")

# Cuts tried in turn until the message fits (title, job id, unknown type/state labels),
# in characters *after* escaping.
_CUTS: Final = ((200, 80, 40), (100, 50, 24), (50, 30, 16), (20, 16, 10))


def window_label(window: timedelta) -> str:
    """``24 h``, ``7 d``, ``90 min``: for people, where ``format_duration`` is for the grammar."""
    minutes = int(window.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours % 24 == 0 and hours > 48:
        return f"{hours // 24} d"
    return f"{hours} h"


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
    head = f"Last {window_label(stats.window)}"
    if stats.jobs == 0:
        line = f"{head}: no jobs"
    else:
        line = (
            f"{head}: {stats.jobs:,} jobs, {stats.failed:,} failed "
            f"({percent(stats.failed, stats.jobs)})"
        )
    if stats.truncated:
        line += f" (newest {stats.jobs:,} jobs only)"
    if region:
        line += f" · {fit(region, 40)}"  # Slack parses ``text`` as mrkdwn too
    return line


# -- Block Kit -------------------------------------------------------------------------------


def render_digest(stats: DigestStats, *, region: str, show_failed_value: str) -> dict[str, Any]:
    """The digest message: ``{"text": …, "blocks": […]}`` within Slack's limits."""
    if len(show_failed_value) > MAX_BUTTON_VALUE:
        raise ValueError(f"the button value is longer than {MAX_BUTTON_VALUE} characters")
    blocks: list[dict[str, Any]] = []
    for cuts in _CUTS:
        blocks = _digest_blocks(stats, region, show_failed_value, *cuts)
        if _fits(blocks):
            break
    return {"text": summary_line(stats, region=region), "blocks": blocks}


def _digest_blocks(
    stats: DigestStats, region: str, button_value: str, title_cut: int, id_cut: int, label_cut: int
) -> list[dict[str, Any]]:
    window = window_label(stats.window)
    blocks: list[dict[str, Any]] = [
        _header(f"📊 Smart jobs digest · {_day(stats.window_end)}"),
        _context(
            f"Last {window}: {date_token(stats.window_start, '{date_short} {time}')} → "
            f"{date_token(stats.window_end, '{date_short} {time}')} · "
            f"region {code(region, 40)}"
        ),
    ]
    notes = _notes(stats)
    if stats.jobs == 0:
        blocks.append(_section(f"😴 *No jobs in the last {window}.*"))
        if notes:
            blocks.append(_context(" ".join(notes)))
        return blocks

    total_row = _row(stats, None, "All types", label_cut)
    blocks.append(_section(total_row))
    rows = [_row(stats, t, t, label_cut) for t in stats.job_types()]
    blocks.extend(_section(text) for text in _pack(rows, MAX_SECTION))
    blocks.append(_context(LEGEND))

    peak = max(stats.failure_buckets)
    width = stats.bucket_width
    per = "hour" if width == timedelta(hours=1) else f"{window_label(width)}"
    spark = [f"*Failures per {per}*", f"`{sparkline(stats.failure_buckets)}`"]
    span = f"{date_token(stats.window_start, '{time}')} → {date_token(stats.window_end, '{time}')}"
    if peak:
        at = stats.bucket_start(stats.failure_buckets.index(peak))
        span += f" · peak {peak:,} at {date_token(at, '{time}')}"
    spark.append(span)
    blocks.append(_section("\n".join(spark)))

    if stats.failed == 0:
        blocks.append(_section(f"No failures in the last {window}. ✅"))
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
        blocks.append(_section(heading))
        blocks.extend(_section(_failure(job, title_cut, id_cut)) for job in stats.newest_failures)
        blocks.append(
            {
                "type": "actions",
                "block_id": "digest_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SHOW_FAILED_ACTION,
                        "text": {"type": "plain_text", "text": "Show failed jobs", "emoji": True},
                        "value": button_value,
                    }
                ],
            }
        )
    if notes:
        blocks.append(_context(" ".join(notes)))
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
    states = [f"{icon} {stats.count(job_type, s):,}" for s, icon in STATE_ICONS.items()]
    for state in stats.extra_states():
        n = stats.count(job_type, state)
        if n:
            states.append(f"_{fit(state, label_cut, '?')}_ {n:,}")
    return head + "\n" + "  ".join(states)


def _failure(job: FailedJob, title_cut: int, id_cut: int) -> str:
    when = date_token(job.create_time, "{ago}") if job.create_time else "time unknown"
    return (
        f"❌ *{fit(job.title, title_cut, '(untitled)')}*\n"
        f"{fit(job.job_type, 40, '?')} · {when} · {code(job.job_id, id_cut)}"
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
    label = window_label(window)
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
    return {"text": text, "blocks": [_section("\n".join(lines))]}


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER), "emoji": True},
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cap(text, MAX_SECTION)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cap(text, MAX_CONTEXT)}]}


def _cap(text: str, limit: int) -> str:
    """Last-resort cut of already-escaped mrkdwn, never inside an entity such as ``&amp;``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    return cut + "…"


def _pack(rows: list[str], limit: int) -> list[str]:
    """Join rows into as few texts as fit in ``limit`` each."""
    texts: list[str] = []
    for row in rows:
        if texts and len(texts[-1]) + 1 + len(row) <= limit:
            texts[-1] += "\n" + row
        else:
            texts.append(row)
    return texts


def _fits(blocks: list[dict[str, Any]]) -> bool:
    return blocks_chars(blocks) <= MAX_BLOCKS_JSON


# -- terminal ----------------------------------------------------------------------------------


def render_digest_text(stats: DigestStats, *, region: str, tz: tzinfo = UTC) -> str:
    """The digest for a terminal: aligned table, sparkline, newest failures, in ``tz``."""
    fmt = "%Y-%m-%d %H:%M"
    start, end = stats.window_start.astimezone(tz), stats.window_end.astimezone(tz)
    zone = end.tzname() or ""
    lines = [
        f"Smart jobs digest · {_plain(region, 40)}",
        f"Last {window_label(stats.window)}: {start:{fmt}} → {end:{fmt}} {zone}".rstrip(),
    ]
    if stats.jobs == 0:
        lines.append(f"No jobs in the last {window_label(stats.window)}.")
        lines.extend(_plain_notes(stats))
        return "\n".join(lines) + "\n"
    lines.append(
        f"{stats.jobs:,} jobs, {stats.failed:,} failed ({percent(stats.failed, stats.jobs)})"
    )
    lines.append("")
    extra = stats.extra_states()
    headers = ["type", "jobs", *(s.lower() for s in _TEXT_COLUMNS)]
    headers += [_plain(s, 12) for s in extra] + ["failed%"]
    table: list[list[str]] = [headers]
    for job_type in [*stats.job_types(), None]:
        total = stats.count(job_type)
        cells = [_plain(job_type, 20) if job_type else "all", f"{total:,}"]
        cells += [f"{stats.count(job_type, s):,}" for s in (*_TEXT_COLUMNS, *extra)]
        cells.append(percent(stats.count(job_type, JobState.FAILED.value), total))
        table.append(cells)
    widths = [max(_width(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        first = row[0] + " " * (widths[0] - _width(row[0]))
        rest = [" " * (w - _width(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]).rstrip())
    lines.append("")
    per = "hour" if stats.bucket_width == timedelta(hours=1) else window_label(stats.bucket_width)
    lines.append(
        f"Failures per {per} ({start:%H:%M} → {end:%H:%M}): {sparkline(stats.failure_buckets)}"
        f"  peak {max(stats.failure_buckets):,}"
    )
    if stats.newest_failures:
        lines.append("")
        lines.append(f"Newest failures ({len(stats.newest_failures)} of {stats.failed:,}):")
        for job in stats.newest_failures:
            when = (  # ages from the window's end, which is "now" for a fresh digest
                f"{job.create_time.astimezone(tz):{fmt}} ({age(job.create_time, stats.window_end)}"
                " ago)"
                if job.create_time
                else "time unknown"
            )
            lines.append(f"  {when}  {_plain(job.job_type, 20)}  {_plain(job.job_id, 64)}")
            lines.append(f"    {_plain(job.title, 100) or '(untitled)'}")
    notes = _plain_notes(stats)
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines) + "\n"


def _plain_notes(stats: DigestStats) -> list[str]:
    notes = []
    if stats.truncated:
        notes.append(
            f"Note: counted the newest {stats.jobs:,} jobs only ({stats.pages:,} pages): "
            "the window holds more."
        )
    if stats.note:
        notes.append(f"Note: {_plain(stats.note, 400)}")
    if stats.undated:
        notes.append(f"Note: {stats.undated:,} jobs had no creation time (not in the sparkline).")
    return notes


def _plain(text: str | None, limit: int) -> str:
    """Terminal-safe: control characters (escape sequences) removed, cut to ``limit``."""
    return fit_plain(text, limit)


def _width(text: str) -> int:
    """Display columns: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
