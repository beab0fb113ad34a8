"""Block Kit views of one page of smart jobs, of help, of errors and of short notices.

Pure: a :class:`PageView` in, a ``{"text", "blocks"}`` dict out, ready for
``chat.postMessage`` or a ``response_url``. Every piece of job data goes through
:func:`fit` (cleaned, escaped, cut *after* escaping), so a title can never ping
``@channel`` and no input can push a message past Slack's limits: the page is
rendered in the most detailed style that fits, and capped (with a note) only
when even one line per job does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.ice._enums import JobState, JobType, SortBy

if TYPE_CHECKING:  # the models load pydantic: only the lazy path may pay that
    from bot.ice._models import SmartJob, SmartJobPage
from bot.query import TYPE_LABELS, Query, format_duration
from bot.render._mrkdwn import (
    age,
    blocks_chars,
    clean,
    code,
    date_token,
    escape,
    fit,
    slack_len,
    truncate,
)

Message = dict[str, Any]
Block = dict[str, Any]

ACTION_NEXT = "next_page"
ACTION_REFRESH = "refresh_page"
ACTION_SHARE = "share_page"

# Slack's limits (DESIGN.md, "Limits that shape the design"), in UTF-16 code units.
MAX_BLOCKS = 50
MAX_BLOCKS_CHARS = 13_000
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_BUTTON_VALUE = 2000
MAX_TEXT = 150  # top-level ``text``: what a phone notification shows

COMMAND = "/smartjobs"

_STATES: dict[JobState, tuple[str, str]] = {
    JobState.FAILED: (":x:", "Failed"),
    JobState.FINISHED: (":white_check_mark:", "Finished"),
    JobState.EXECUTING: (":hourglass_flowing_sand:", "Executing"),
    JobState.CREATED: (":new:", "Created"),
}
_UNKNOWN_STATE_EMOJI = ":white_circle:"

# Words of the filter grammar, for suggestions a user can type back.
_STATE_WORDS: dict[JobState, str] = {s: s.value.lower() for s in JobState}
_TYPE_WORDS: dict[JobType, str] = {
    JobType.ASR: "asr",
    JobType.DYNAMIC_CHART: "chart",
    JobType.VIDEO_TRANSLATION: "translation",
    JobType.TEXT_TO_SPEECH: "tts",
}
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,30}")


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


# --- labels shared with the plain-text view -------------------------------------------------


def state_label(state: JobState | str | None) -> tuple[str, str]:
    """(emoji, raw word) for a state; a state the service adds later keeps its own word."""
    if isinstance(state, JobState):
        return _STATES[state]
    word = clean(state)
    return _UNKNOWN_STATE_EMOJI, word or "Unknown"


def type_label(job_type: JobType | str | None) -> str:
    """Raw type word; empty when the service sent none."""
    if isinstance(job_type, JobType):
        return TYPE_LABELS[job_type]
    return clean(job_type)


def created_at(job: SmartJob) -> datetime | None:
    """The creation time, or None when absent or too extreme to convert (year 1 at +05:00)."""
    when = job.create_time
    if when is None:
        return None
    try:
        when.astimezone(UTC).timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return when


def subject(query: Query, count: int) -> str:
    """``failed ASR jobs`` / ``job``: the noun phrase of summaries (never job data)."""
    words = []
    if query.state is not None:
        words.append(query.state.value.lower())
    if query.job_type is not None:
        words.append(TYPE_LABELS[query.job_type])
    words.append("job" if count == 1 else "jobs")
    window = f" in the last {format_duration(query.since)}" if query.since else ""
    return " ".join(words) + window


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
        line = f"No {'more ' if view.page_number > 1 else ''}{subject(view.query, 0)}"
    else:
        plural_of = total if total is not None and total >= 0 else len(jobs)
        line = f"{count_phrase(len(jobs), total)} {subject(view.query, plural_of)}"
        times = [t for job in jobs if (t := created_at(job)) is not None]
        if times:
            oldest = view.query.sort is SortBy.OLDEST
            which, when = ("oldest", min(times)) if oldest else ("newest", max(times))
            line += f", {which} {age(when, view.now)} ago"
        if view.page_number > 1:
            line = f"Page {view.page_number}: {line}"
    return line


def broader(query: Query) -> list[str]:
    """Commands that would find more than ``query`` did, broadest useful first."""
    state = [_STATE_WORDS[query.state]] if query.state else []
    kind = [_TYPE_WORDS[query.job_type]] if query.job_type else []
    rest = ["oldest"] if query.sort is SortBy.OLDEST else []
    rest += [f"region:{clean(query.region)}"] if clean(query.region) else []
    since = [f"since:{format_duration(query.since)}"] if query.since else []
    options = []
    if kind:
        options.append(state + rest + since)
    if state:
        options.append(kind + rest + since)
    if query.since is not None and query.since.total_seconds() < 7 * 86400:
        options.append(state + kind + rest + ["since:7d"])
    elif query.since is not None:
        options.append(state + kind + rest)
    seen: list[str] = []
    for words in options:
        line = " ".join([COMMAND, *words])
        if line not in seen:
            seen.append(line)
    return [*seen[:3], f"{COMMAND} help"]


# --- block builders -------------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:10]]}


def _button(action_id: str, label: str, value: str, *, primary: bool = False) -> Block:
    if slack_len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"{action_id} value is {len(value)} characters; Slack allows 2000")
    button: Block = {"type": "button", "action_id": action_id, "text": _plain(label)}
    if value:
        button["value"] = value
    if primary:
        button["style"] = "primary"
    return button


def _fits(blocks: list[Block]) -> bool:
    return len(blocks) <= MAX_BLOCKS and blocks_chars(blocks) <= MAX_BLOCKS_CHARS


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


_STYLES: tuple[_Style, ...] = (
    _Style("full", one_per_job=True, io=True, token=True, title=80, ident=66),
    _Style("compact", one_per_job=True, io=False, token=True, title=80, ident=66),
    _Style("packed", one_per_job=False, io=False, token=True, title=60, ident=42),
    _Style("lines", one_per_job=False, io=False, token=False, title=40, ident=36),
    _Style("short", one_per_job=False, io=False, token=False, title=24, ident=36, word=16),
    _Style("tiny", one_per_job=False, io=False, token=False, title=16, ident=34, word=10, ago=""),
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


def _job_text(job: SmartJob, style: _Style, view: PageView) -> str:
    """A job as mrkdwn: two lines for a section of its own, one line when packed."""
    emoji, word = state_label(job.job_state)
    kind = type_label(job.job_type)
    when = created_at(job)
    state = f"{emoji} *{fit(word, style.word)}*"
    title = fit(job.title, style.title, "(untitled)")
    ident = code(job.job_id, style.ident)
    ago = f"{age(when, view.now)}{style.ago}" if when else ""
    stamp = date_token(when) if when and style.token else ""
    if style.one_per_job:
        first = " · ".join(p for p in (state, fit(kind, style.word), title) if p)
        second = " · ".join(p for p in (ident, stamp, ago) if p)
        return f"{first}\n{second}"
    # Packed: the header already names the queried type, so repeat it only when it differs.
    if view.query.job_type is not None and job.job_type == view.query.job_type:
        kind = ""
    return " · ".join(p for p in (state, stamp or ago, fit(kind, style.word), title, ident) if p)


def _job_blocks(jobs: Sequence[SmartJob], style: _Style, view: PageView) -> list[Block]:
    if style.one_per_job:
        blocks = []
        for job in jobs:
            blocks.append(_section(_job_text(job, style, view)))
            if style.io and (io := _io(job)):
                blocks.append(_context(*io))
        return blocks
    sections: list[str] = []
    for line in (_job_text(job, style, view) for job in jobs):
        if sections and slack_len(sections[-1]) + 1 + slack_len(line) <= MAX_SECTION:
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    return [_section(text) for text in sections]


# --- the page -------------------------------------------------------------------------------


def _head(view: PageView) -> list[Block]:
    jobs = view.page.smart_job_list
    total = view.page.total_count
    count = count_phrase(len(jobs), total)
    if view.page_number > 1 and jobs and total is not None and total >= 0:
        first = (view.page_number - 1) * view.query.limit + 1  # every page but the last is full
        count = f"{first:,}–{first + len(jobs) - 1:,} of {total:,}"
    if total is None or total < 0:
        count += " job" if len(jobs) == 1 else " jobs"
    facts = [count]
    if view.page_number > 1:
        facts.append(f"page {view.page_number}")
    if clean(view.region):
        facts.append(fit(view.region, 60))
    context = [" · ".join(facts)]
    if view.shared_by is not None:
        who = view.shared_by
        shown = f"<@{who}>" if _SLACK_USER.fullmatch(who) else fit(who, 60, "someone")
        context.append(f"Shared by {shown}")
    header = {"type": "header", "text": _plain(truncate(view.query.describe(), MAX_HEADER))}
    return [header, _context(*context)]


def _actions(view: PageView) -> list[Block]:
    """Next / Refresh / Share; none on a shared copy, none without a value to act on."""
    if view.shared_by is not None:
        return []
    buttons = []
    if view.next_value:
        buttons.append(_button(ACTION_NEXT, "Next page", view.next_value, primary=True))
    if view.refresh_value:
        buttons.append(_button(ACTION_REFRESH, "Refresh", view.refresh_value))
        buttons.append(_button(ACTION_SHARE, "Share to channel", view.refresh_value))
    return [{"type": "actions", "block_id": "page_actions", "elements": buttons}] if buttons else []


def _empty(view: PageView) -> Block:
    if view.page_number > 1:
        return _section(f"No more {escape(subject(view.query, 0))}: this was the last page.")
    tries = " · ".join(f"`{fit(c, 200)}`" for c in broader(view.query))
    return _section(
        f":mag: No {escape(subject(view.query, 0))} found.\nTry a broader query: {tries}"
    )


def _capped_note(shown: int, total: int) -> Block:
    return _context(
        f":information_source: Showing {shown} of {total} jobs on this page to stay within "
        f"Slack's message size. Ask for fewer, e.g. `limit:{max(shown, 1)}`."
    )


def render_page(view: PageView) -> Message:
    """The page as Block Kit, in the most detailed style that fits Slack's limits."""
    head, tail = _head(view), _actions(view)
    jobs = view.page.smart_job_list
    text = fit(summary(view), MAX_TEXT)
    if not jobs:
        return {"text": text, "blocks": [*head, _empty(view), *tail]}
    for style in _STYLES:
        blocks = [*head, *_job_blocks(jobs, style, view), *tail]
        if _fits(blocks):
            return {"text": text, "blocks": blocks}
    # Even one short line per job is too much (huge ids, 2000-character button values):
    # show the longest prefix of the page that fits, and say so.
    style, low, high = _STYLES[-1], 0, len(jobs) - 1
    while low < high:
        mid = (low + high + 1) // 2
        trial = [*head, *_job_blocks(jobs[:mid], style, view), _capped_note(mid, len(jobs)), *tail]
        if _fits(trial):
            low = mid
        else:
            high = mid - 1
    shown = _job_blocks(jobs[:low], style, view)
    return {"text": text, "blocks": [*head, *shown, _capped_note(low, len(jobs)), *tail]}


# --- help, errors, notices ------------------------------------------------------------------


def _chunks(text: str, limit: int) -> list[str]:
    """Our own mrkdwn cut into escaped pieces of at most ``limit``, at line ends."""
    pieces: list[str] = []
    for raw in clean(text, keep_lines=True).split("\n"):
        line = fit(raw, limit, authored=True)
        if pieces and slack_len(pieces[-1]) + 1 + slack_len(line) <= limit:
            pieces[-1] += "\n" + line
        else:
            pieces.append(line)
    return [p for p in pieces if p.strip()]


def _authored(text: str, limit: int) -> str:
    """Our own mrkdwn (details, hints, usage): lines and backticks kept, escaped, bounded."""
    return fit(text, limit, keep_lines=True, authored=True)


def render_help(help_text: str) -> Message:
    """Help as sections (≤ 3000 each, paragraphs kept together), notification = first line."""
    blocks: list[Block] = []
    more = _section("… (help cut short to fit one Slack message)")
    for chunk in _chunks(help_text, MAX_SECTION):
        if not _fits([*blocks, _section(chunk), more]):
            blocks.append(more)
            break
        blocks.append(_section(chunk))
    lines = clean(help_text, keep_lines=True).splitlines()
    first = next((line for line in lines if line.strip()), "")
    text = fit(first.replace("`", "").replace("*", ""), MAX_TEXT, "smartjobs help")
    return {"text": text, "blocks": blocks or [_section("No help available.")]}


_TRACEBACK = "Traceback (most recent call last)"


def render_error(
    title: str,
    detail: str,
    *,
    hint: str | None = None,
    request_id: str | None = None,
    usage: str | None = None,
) -> Message:
    """A private, readable error: what went wrong, how to fix it; never a stack trace."""
    detail = detail.split(_TRACEBACK, 1)[0]
    head = f":warning: *{fit(title, 150, 'Something went wrong')}*"
    body = _authored(detail, 1000)
    blocks = [_section(f"{head}\n{body}" if body else head)]
    if hint and clean(hint):
        blocks.append(_section(f":bulb: {_authored(hint, 1000)}"))
    if usage and clean(usage):
        blocks.append(_section(f"```{_authored(usage, MAX_SECTION - 6)}```"))
    if request_id and clean(request_id):
        blocks.append(_context(f"Request id {code(request_id, 80)}"))
    text = fit(f"⚠️ {clean(title) or 'Something went wrong'}", MAX_TEXT)
    return {"text": text, "blocks": blocks}


def render_notice(text: str) -> Message:
    """One short line ("Looking…", "You are not allowed…"), same words in the notification."""
    line = fit(text, 300, "…", authored=True)
    return {"text": fit(text, MAX_TEXT, "…", authored=True), "blocks": [_section(line)]}
