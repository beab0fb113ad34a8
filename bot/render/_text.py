"""Plain-text views for the terminal (``smartjobs query``, ``smartjobs digest``, the demo).

Same facts and words as the Block Kit views, no mrkdwn: nothing is escaped, but control
characters are stripped so job data cannot move the cursor or recolour the terminal, and
times are shown in the caller's time zone.
"""

from __future__ import annotations

import textwrap
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from bot.ice._enums import JobState
from bot.names import CLI
from bot.query import duration_words
from bot.render._digest import STATE_ORDER, percent, sparkline
from bot.render._jobs import UNTITLED, state_label, type_label, usable_time
from bot.render._mrkdwn import age, fit_plain
from bot.render._page import PageView, broader, count_phrase, summary

if TYPE_CHECKING:
    from bot.digest.scan import DigestStats
    from bot.ice import SmartHandleJob
    from bot.ice._models import SmartJob

_TITLE = 80
_COLUMN = 16  # widest state or type word kept in a column


COLUMNS = 100
"""The widest a line of the terminal views gets: a job's detail line is elided to it."""


def _detail(job: SmartJob, region: str) -> str:
    """``id …  in …  out …`` (and the region for region:all), job ids without markup."""
    parts = [f"id {fit_plain(job.job_id, 100, '?')}"]
    if region:
        parts.append(f"region {fit_plain(region, 40)}")
    return "  ".join([*parts, *_io(job)])


def _io(job: SmartJob) -> list[str]:
    """``in …`` and ``out …``, when the service said where the job read and wrote."""
    parts = []
    if job.input_config and fit_plain(job.input_config.input_file, 1):
        parts.append(f"in {fit_plain(job.input_config.input_file, 300)}")
    out = job.output_config
    if out and (fit_plain(out.bucket, 1) or fit_plain(out.object, 1)):
        parts.append(
            "out "
            + "/".join(p for p in (fit_plain(out.bucket, 100), fit_plain(out.object, 300)) if p)
        )
    return parts


def _fit_columns(text: str, columns: int) -> str:
    """Text (already cleaned) cut to ``columns`` display columns (wide characters count two)."""
    if _width(text) <= columns:
        return text
    kept, used = [], 0
    for ch in text:
        used += _width(ch)
        if used > columns - 1:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + "…"


def _when(when: datetime | None, now: datetime, tz: tzinfo) -> tuple[str, str]:
    """(local time, age) or dashes when the service sent no usable time."""
    if when is None:
        return "-", "-"
    try:
        local = when.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip()
    except (OverflowError, ValueError):
        local = when.strftime("%Y-%m-%d %H:%M")
    return local, f"{age(when, now)} ago"


def render_page_text(view: PageView, *, tz: tzinfo = UTC) -> str:
    """A readable list: header, count line, two lines per job, a next-page hint."""
    jobs = view.page.smart_job_list
    facts = [count_phrase(len(jobs), view.page.total_count)]
    if not (view.page.total_count is not None and view.page.total_count >= 0):
        facts[0] += " job" if len(jobs) == 1 else " jobs"
    if view.page_number > 1:
        facts.append(f"page {view.page_number}")
    if fit_plain(view.region, 60):
        facts.append(fit_plain(view.region, 60))
    lines = [view.query.describe(), " · ".join(facts), ""]

    if not jobs:
        lines += textwrap.wrap(fit_plain(summary(view), 200) + ".", COLUMNS)
        if view.page_number == 1:
            tries = ", ".join(fit_plain(c, 200) for c in broader(view.query, f"{CLI} query"))
            lines += textwrap.wrap(f"Try a broader query: {tries}.", COLUMNS)
        return "\n".join(lines) + "\n"

    regions = view.job_regions or ("",) * len(jobs)
    rows: list[tuple[tuple[str, ...], str, SmartJob, str]] = []
    for job, region in zip(jobs, regions, strict=False):
        _, word = state_label(job.job_state)
        local, ago = _when(usable_time(job.create_time), view.now, tz)
        kind = fit_plain(type_label(job.job_type), _COLUMN, "-")
        rows.append(((fit_plain(word, _COLUMN), local, ago, kind), job.title or "", job, region))
    widths = [max(_width(cells[i]) for cells, _, _, _ in rows) for i in range(4)]
    indent = " " * (widths[0] + 2)
    for cells, title, job, region in rows:
        padded = "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        room = max(COLUMNS - _width(padded) - 2, 12)
        shown = fit_plain(title, _TITLE, UNTITLED)
        lines.append(f"{padded}  {_fit_columns(shown, min(room, _TITLE))}")
        lines.append(indent + _fit_columns(_detail(job, region), COLUMNS - len(indent)))

    lines.append("")
    lines.append("More on the next page." if view.next_value else "End of list.")
    return "\n".join(lines) + "\n"


# --- one job's details ----------------------------------------------------------------------


def render_details_text(
    details: SmartHandleJob, *, job_id: str, region: str, now: datetime, tz: tzinfo = UTC
) -> str:
    """``smartjobs job``: why it failed first, then what it is, where it read and wrote."""
    job = details.job_info
    _, word = state_label(details.state)
    kind = fit_plain(type_label(job.job_type), _COLUMN) if job else ""
    lines = [
        " ".join(p for p in (word, kind, "job") if p),
        _fit_columns(fit_plain(job.title if job else None, _TITLE, UNTITLED), COLUMNS),
    ]
    if details.error_code or fit_plain(details.error_message, 1):
        lines += ["", f"Why it failed: {fit_plain(details.error_code, 80) or 'no code'}"]
        lines += _indented(fit_plain(details.error_message, 600))
    lines += ["", f"id        {fit_plain(job_id, 128)}", f"region    {fit_plain(region, 40)}"]
    if job is not None:
        for label, when in (("created", job.create_time), ("modified", job.modified_time)):
            local, ago = _when(usable_time(when), now, tz)
            lines.append(f"{label:<10}{local} ({ago})" if local != "-" else f"{label:<10}unknown")
        for part in _io(job):  # "in …", "out …"
            where, _, shown = part.partition(" ")
            lines.append(_fit_columns(f"{where + 'put':<10}{shown}", COLUMNS))
    result = details.job_result
    if result is not None and fit_plain(result.media_id, 1):
        lines.append(f"media id  {fit_plain(result.media_id, 120)}")
    if result is not None and fit_plain(result.media_url, 1):
        lines.append(f"media url {fit_plain(result.media_url, 500)}")
    for label, raw in (
        ("Editing config:", job.editing_config if job else None),
        ("User data:", details.user_data),
        ("Output:", details.output),
    ):
        if fit_plain(raw, 1):
            lines += ["", label, *_indented(fit_plain(raw, 400))]
    return "\n".join(lines) + "\n"


def _indented(text: str) -> list[str]:
    return textwrap.wrap(
        text, COLUMNS, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )


# --- the digest -----------------------------------------------------------------------------


def render_digest_text(stats: DigestStats, *, region: str, tz: tzinfo = UTC) -> str:
    """The digest for a terminal: aligned table, sparkline, newest failures, in ``tz``."""
    fmt = "%Y-%m-%d %H:%M"
    start, end = stats.window_start.astimezone(tz), stats.window_end.astimezone(tz)
    zone = end.tzname() or ""
    lines = [
        f"Smart jobs digest · {_plain(region, 40)}",
        f"Last {duration_words(stats.window)}: {start:{fmt}} → {end:{fmt}} {zone}".rstrip(),
    ]
    if stats.jobs == 0:
        lines.append(f"No jobs in the last {duration_words(stats.window)}.")
        lines.extend(_plain_notes(stats))
        return "\n".join(lines) + "\n"
    lines.append(
        f"{stats.jobs:,} jobs, {stats.failed:,} failed ({percent(stats.failed, stats.jobs)})"
    )
    lines.append("")
    extra = stats.extra_states()
    headers = ["type", "jobs", *(s.value.lower() for s in STATE_ORDER)]
    headers += [_plain(s, 12) for s in extra] + ["failed%"]
    table: list[list[str]] = [headers]
    for job_type in [*stats.job_types(), None]:
        total = stats.count(job_type)
        cells = [_plain(job_type, 20) if job_type else "all", f"{total:,}"]
        states = [s.value for s in STATE_ORDER]
        cells += [f"{stats.count(job_type, s):,}" for s in (*states, *extra)]
        cells.append(percent(stats.count(job_type, JobState.FAILED.value), total))
        table.append(cells)
    widths = [max(_width(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        first = row[0] + " " * (widths[0] - _width(row[0]))
        rest = [" " * (w - _width(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]).rstrip())
    lines.append("")
    per = "hour" if stats.bucket_width == timedelta(hours=1) else duration_words(stats.bucket_width)
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
            why = f"  {_plain(job.error_code, 40)}" if job.error_code else ""
            lines.append(f"  {when}  {_plain(job.job_type, 20)}  {_plain(job.job_id, 64)}{why}")
            lines.append(f"    {_plain(job.title, 100) or UNTITLED}")
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
