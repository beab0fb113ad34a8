"""Block Kit view of one page of smart jobs.

Pure: a :class:`PageView` in, a ``{"text", "blocks"}`` dict out. Every piece of job data
goes through :func:`fit` (cleaned, escaped, cut *after* escaping), so a title can never
ping ``@channel`` and no input can push a message past Slack's limits: the page is rendered
in the most detailed style that fits, and capped (with a note) only when even one line per
job does not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.button_value import details_block_id, details_value
from bot.filters import format_query
from bot.ice._enums import JobState, SortBy
from bot.names import ACTION_DETAILS, ACTION_NEXT, ACTION_REFRESH, ACTION_SHARE, COMMAND
from bot.query import DEFAULT_LIMIT, TYPE_LABELS, Query, window_words
from bot.render._blocks import (
    MAX_SECTION,
    MAX_TEXT,
    Block,
    Message,
    actions,
    button,
    context,
    fits,
    header,
    pack,
    plain,
    section,
)
from bot.render._jobs import UNTITLED, state_label, type_label, usable_time
from bot.render._mrkdwn import age, clean, code, date_token, escape, fit, label

if TYPE_CHECKING:  # the models are for the lazy path only
    from bot.ice._models import SmartJob, SmartJobPage

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,30}")
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PageView:
    """Everything one rendering of a page needs; built by the caller (listener, CLI)."""

    query: Query
    page: SmartJobPage
    region: str
    now: datetime
    page_number: int = 1
    next_value: str | None = None
    refresh_value: str = ""
    shared_by: str | None = None
    job_regions: tuple[str, ...] = ()
    """``region:all``: each job's region, in the page's order (shown on its line)."""
    notes: tuple[str, ...] = ()
    """Said under the list: a region that failed, and what to do."""
    back_value: str | None = None
    """How Details gets back to this page (a short button value); None: no Details controls."""
    error_codes: Mapping[str, str] = field(default_factory=dict)
    """Failed jobs' ErrorCodes already known (no extra call), shown on their lines."""


# --- words shared with the plain-text view --------------------------------------------------


def subject(query: Query, count: int) -> str:
    """``failed ASR jobs`` / ``job``: the noun phrase of summaries (never job data)."""
    words = []
    if query.state is not None:
        words.append(query.state.value.lower())
    if query.job_type is not None:
        words.append(TYPE_LABELS[query.job_type])
    words.append("job" if count == 1 else "jobs")
    if query.since is None:
        return " ".join(words)
    window = window_words(query.since, query.until)
    return " ".join(words) + f" in the {window}"


def count_phrase(shown: int, total: int | None) -> str:
    """``10 of 110`` when the service told the total, else ``10``."""
    if total is not None and total >= 0:
        return f"{shown:,} of {total:,}"
    return f"{shown:,}"


def summary(view: PageView) -> str:
    """One line that stands alone in a notification: ``3 failed ASR jobs, newest 5 min ago``."""
    jobs = view.page.smart_job_list
    total = view.page.total_count
    if not jobs:
        return f"No {'more ' if view.page_number > 1 else ''}{subject(view.query, 0)}"
    plural_of = total if total is not None and total >= 0 else len(jobs)
    line = f"{count_phrase(len(jobs), total)} {subject(view.query, plural_of)}"
    times = [t for job in jobs if (t := usable_time(job.create_time)) is not None]
    if times:
        oldest = view.query.sort is SortBy.OLDEST
        which, when = ("oldest", min(times)) if oldest else ("newest", max(times))
        line += f", {which} {age(when, view.now)} ago"
    if view.page_number > 1:
        line = f"Page {view.page_number}: {line}"
    return line


def broader(query: Query, prefix: str = COMMAND) -> list[str]:
    """Commands that would find more than ``query`` did, broadest useful first."""
    base = replace(query, limit=DEFAULT_LIMIT, until=None)
    options: list[Query] = []
    if query.job_type is not None:
        options.append(replace(base, job_type=None))
    if query.state is not None:
        options.append(replace(base, state=None))
    if query.since is not None:
        options.append(replace(base, since=_WEEK if query.since < _WEEK else None))
    lines: list[str] = []
    for option in options:
        line = " ".join(p for p in (prefix, format_query(option)) if p)
        if line not in lines:
            lines.append(line)
    return [*lines[:3], f"{prefix} help"]


def unreadable_note(page: SmartJobPage) -> str | None:
    """Said only when ICE sent list entries that are not jobs at all (degraded fields are not)."""
    skipped = page.unreadable
    if not skipped:
        return None
    rid = f"; RequestId {page.request_id}" if page.request_id else ""
    return f"{skipped} job{'s' if skipped != 1 else ''} could not be read{rid}"


# --- one job, in one of several styles ------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """How much of a job to show; the renderer takes the first style whose page fits."""

    name: str
    one_per_job: bool  # one section per job (else one line per job, packed into sections)
    io: bool  # a context block with input file and output object under each job
    token: bool  # the created time as a Slack date token (else the relative age only)
    title: int  # escaped characters of title
    ident: int  # characters of the job id span, backticks included
    word: int = 24  # escaped characters of an unknown state or type word
    ago: str = " ago"  # after the relative age
    details: bool = True  # a Details control per job (the tightest styles drop them)


_STYLES: tuple[_Style, ...] = (
    _Style("full", one_per_job=True, io=True, token=True, title=80, ident=66),
    _Style("compact", one_per_job=True, io=False, token=True, title=80, ident=66),
    _Style("packed", one_per_job=False, io=False, token=True, title=60, ident=42),
    _Style("lines", one_per_job=False, io=False, token=False, title=40, ident=36),
    _Style(
        "lines-plain", one_per_job=False, io=False, token=False, title=40, ident=36, details=False
    ),
    _Style(
        "short",
        one_per_job=False,
        io=False,
        token=False,
        title=24,
        ident=36,
        word=16,
        details=False,
    ),
    _Style(
        "tiny",
        one_per_job=False,
        io=False,
        token=False,
        title=16,
        ident=34,
        word=10,
        ago="",
        details=False,
    ),
)


def _io(job: SmartJob) -> list[str]:
    """Where the job read from and wrote to, when the service said."""
    parts = []
    if job.input_config and clean(job.input_config.input_file):
        parts.append(f":inbox_tray: {fit(job.input_config.input_file, 200)}")
    out = job.output_config
    if out and (clean(out.bucket) or clean(out.object)):
        where = "/".join(p for p in (clean(out.bucket), clean(out.object)) if p)
        parts.append(f":outbox_tray: {fit(where, 200)}")
    return parts


def _job_text(job: SmartJob, style: _Style, view: PageView, region: str = "") -> str:
    """A job as mrkdwn: two lines for a section of its own, one line when packed."""
    emoji, word = state_label(job.job_state)
    kind = type_label(job.job_type)
    when = usable_time(job.create_time)
    state = f"{emoji} *{fit(word, style.word)}*"
    known = view.error_codes.get(job.job_id or "") if job.job_state is JobState.FAILED else None
    if known:
        state += f" {code(known, 40)}"
    title = fit(job.title, style.title, UNTITLED)
    ident = code(job.job_id, style.ident)
    ago = f"{age(when, view.now)}{style.ago}" if when else "created: unknown"
    stamp = date_token(when) if when and style.token else ""
    where = f":round_pushpin: {fit(region, style.word)}" if region else ""
    if style.one_per_job:
        first = " · ".join(p for p in (state, fit(kind, style.word), title) if p)
        second = " · ".join(p for p in (ident, stamp, ago, where) if p)
        return f"{first}\n{second}"
    # Packed: the header already names the queried type, so repeat it only when it differs.
    if view.query.job_type is not None and job.job_type == view.query.job_type:
        kind = ""
    parts = (state, stamp or ago, fit(kind, style.word), title, ident, fit(region, style.word))
    return " · ".join(p for p in parts if p)


DETAILS_PER_MENU = 5
"""Slack's overflow menu holds at most five options: packed lines go five to a section."""


def _job_blocks(jobs: Sequence[SmartJob], style: _Style, view: PageView) -> list[Block]:
    regions = view.job_regions or ("",) * len(jobs)
    pairs = list(zip(jobs, regions, strict=False))
    controls = style.details and view.back_value is not None and view.shared_by is None
    if style.one_per_job:
        blocks = []
        for index, (job, region) in enumerate(pairs):
            block = section(_job_text(job, style, view, region))
            value = details_value(job.job_id or "", region or None) if controls else None
            if value:
                block["block_id"] = details_block_id(index, view.back_value)
                block["accessory"] = button(ACTION_DETAILS, "Details", value)
            blocks.append(block)
            if style.io and (io := _io(job)):
                blocks.append(context(*io))
        return blocks
    if not controls:
        lines = [_job_text(job, style, view, r) for job, r in pairs]
        return [section(text) for text in pack(lines, MAX_SECTION)]
    blocks = []
    for start in range(0, len(pairs), DETAILS_PER_MENU):
        group = pairs[start : start + DETAILS_PER_MENU]
        block = section("\n".join(_job_text(job, style, view, r) for job, r in group))
        options = [
            {
                "text": plain(f"Details: {label(job.title, 66, UNTITLED)}"),
                "value": value,
            }
            for job, region in group
            if (value := details_value(job.job_id or "", region or None))
        ]
        if options:
            block["block_id"] = details_block_id(start, view.back_value)
            block["accessory"] = {
                "type": "overflow",
                "action_id": ACTION_DETAILS,
                "options": options,
            }
        blocks.append(block)
    return blocks


# --- the page -------------------------------------------------------------------------------


def _head(view: PageView) -> list[Block]:
    jobs = view.page.smart_job_list
    total = view.page.total_count
    count = count_phrase(len(jobs), total)
    if view.page_number > 1 and jobs and total is not None and total >= 0:
        first = (view.page_number - 1) * view.query.limit + 1  # every page but the last is full
        count = f"{first:,}–{first + len(jobs) - 1:,} of {total:,}"
    elif view.page_number > 1 and jobs:
        first = (view.page_number - 1) * view.query.limit + 1
        count = f"{first:,}–{first + len(jobs) - 1:,}"
    if total is None or total < 0:
        count += " job" if len(jobs) == 1 else " jobs"
    facts = [count]
    if view.page_number > 1:
        facts.append(f"page {view.page_number}")
    if clean(view.region):
        facts.append(fit(view.region, 60))
    lines = [" · ".join(facts)]
    if view.shared_by is not None:
        who = view.shared_by
        shown = f"<@{who}>" if _SLACK_USER.fullmatch(who) else fit(who, 60, "someone")
        lines.append(f"Shared by {shown}")
    return [header(view.query.describe()), context(*lines)]


def _actions(view: PageView) -> list[Block]:
    """Next / Refresh / Share; none on a shared copy, none without a value to act on."""
    if view.shared_by is not None:
        return []
    buttons = []
    if view.next_value:
        buttons.append(button(ACTION_NEXT, "Next page", view.next_value, style="primary"))
    if view.refresh_value:
        buttons.append(button(ACTION_REFRESH, "Refresh", view.refresh_value))
        buttons.append(button(ACTION_SHARE, "Share to channel", view.refresh_value))
    return actions("page_actions", *buttons)


def _notes(view: PageView) -> list[Block]:
    notes = [n for n in (unreadable_note(view.page), *view.notes) if n]
    return [context(*(f":information_source: {fit(n, 300)}." for n in notes))] if notes else []


def _empty(view: PageView) -> Block:
    if view.page_number > 1:
        return section(f"No more {escape(subject(view.query, 0))}: this was the last page.")
    tries = " · ".join(f"`{fit(c, 200)}`" for c in broader(view.query))
    return section(
        f":mag: No {escape(subject(view.query, 0))} found.\nTry a broader query: {tries}"
    )


def _capped_note(shown: int, total: int) -> Block:
    return context(
        f":information_source: Showing {shown} of {total} jobs on this page to stay within "
        f"Slack's message size. Ask for fewer, e.g. `limit:{max(shown, 1)}`."
    )


def render_page(view: PageView) -> Message:
    """The page as Block Kit, in the most detailed style that fits Slack's limits."""
    head, tail = _head(view), [*_notes(view), *_actions(view)]
    jobs = view.page.smart_job_list
    text = fit(summary(view), MAX_TEXT)
    if not jobs:
        return {"text": text, "blocks": [*head, _empty(view), *tail]}
    for style in _STYLES:
        blocks = [*head, *_job_blocks(jobs, style, view), *tail]
        if fits(blocks):
            return {"text": text, "blocks": blocks}
    # Even one short line per job is too much (huge ids, 2000-character button values):
    # show the longest prefix of the page that fits, and say so.
    style, low, high = _STYLES[-1], 0, len(jobs) - 1
    while low < high:
        mid = (low + high + 1) // 2
        trial = [*head, *_job_blocks(jobs[:mid], style, view), _capped_note(mid, len(jobs)), *tail]
        if fits(trial):
            low = mid
        else:
            high = mid - 1
    shown = _job_blocks(jobs[:low], style, view)
    return {"text": text, "blocks": [*head, *shown, _capped_note(low, len(jobs)), *tail]}
