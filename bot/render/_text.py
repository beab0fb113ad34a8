"""Plain-text view of a page, for the terminal (``smartjobs query``, ``smartjobs demo``).

Same facts and words as the Block Kit view, no mrkdwn: nothing is escaped, but
control characters are stripped so job data cannot move the cursor or recolour
the terminal, and times are shown in the caller's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from bot.render._mrkdwn import age, fit_plain
from bot.render._page import (
    PageView,
    broader,
    count_phrase,
    created_at,
    state_label,
    summary,
    type_label,
)

if TYPE_CHECKING:
    from bot.ice._models import SmartJob

_TITLE = 80
_COLUMN = 16  # widest state or type word kept in a column


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
        lines.append(fit_plain(summary(view), 200) + ".")
        if view.page_number == 1:
            tries = ", ".join(
                fit_plain(c.removeprefix("/smartjobs "), 200) for c in broader(view.query)
            )
            lines.append(f"Try a broader query: {tries}.")
        return "\n".join(lines) + "\n"

    rows: list[tuple[tuple[str, str, str, str], str, SmartJob]] = []
    for job in jobs:
        _, word = state_label(job.job_state)
        local, ago = _when(created_at(job), view.now, tz)
        kind = fit_plain(type_label(job.job_type), _COLUMN, "-")
        cells = (fit_plain(word, _COLUMN), local, ago, kind)
        rows.append((cells, fit_plain(job.title, _TITLE, "(untitled)"), job))
    widths = [max(len(cells[i]) for cells, _, _ in rows) for i in range(4)]
    for cells, title, job in rows:
        padded = (c.ljust(w) for c, w in zip(cells, widths, strict=True))
        lines.append("  ".join(padded) + "  " + title)
        extra = [f"id {fit_plain(job.job_id, 100, '?')}"]
        if job.input_config and fit_plain(job.input_config.input_file, 1):
            extra.append(f"in {fit_plain(job.input_config.input_file, 120)}")
        out = job.output_config
        if out and (fit_plain(out.bucket, 1) or fit_plain(out.object, 1)):
            where = "/".join(
                p for p in (fit_plain(out.bucket, 60), fit_plain(out.object, 120)) if p
            )
            extra.append(f"out {where}")
        lines.append(" " * (widths[0] + 2) + "  ".join(extra))

    lines.append("")
    lines.append("More on the next page." if view.next_value else "End of list.")
    return "\n".join(lines) + "\n"
