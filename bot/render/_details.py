"""Block Kit for one job's details (GetSmartHandleJob), read on a phone: why it failed first.

Pure. Everything from ICE is user data: cleaned, escaped and cut; JSON fields shown short and
pretty in code blocks whose backticks job data cannot close. When the details could not be
had (refused, throttled, too old), the view shows what the list knew and one line saying what
happened and what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from bot.ice._enums import JobState, JobType
from bot.names import ACTION_BACK
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
from bot.render._mrkdwn import clean, code, date_token, fit

if TYPE_CHECKING:
    from bot.ice import SmartHandleJob, SmartJob

_JSON_LINES: Final = 12
_CUTS: Final = ((800, 600), (400, 300), (160, 120))  # (JSON, message) characters, tried in turn


@dataclass(frozen=True)
class DetailsView:
    """What one rendering of a job's details needs."""

    job_id: str
    region: str
    now: datetime
    job: SmartJob | None = None
    """What is known of the job: GetSmartHandleJob's info, else the list's line."""
    details: SmartHandleJob | None = None
    problem: str | None = None
    """Why the details are missing, and what to do (one line), when they are."""
    back_value: str | None = None


def _pretty(raw: str | None, parsed: Any, limit: int) -> str | None:
    """Short, pretty JSON when it parses; the text itself (cut) when it does not."""
    if raw is None or not clean(raw):
        return None
    if parsed is not None:
        text = json.dumps(parsed, indent=2, ensure_ascii=False)
        lines = text.splitlines()
        if len(lines) > _JSON_LINES:
            text = "\n".join([*lines[:_JSON_LINES], "…"])
    else:
        text = raw
    return f"```{fit(text, limit, keep_lines=True)}```"


def _when(label: str, when: datetime | None) -> str:
    shown = usable_time(when)
    return f"*{label}* {date_token(shown)}" if shown else f"*{label}* unknown"


def _facts(view: DetailsView, job: SmartJob | None, state: JobState | str | None) -> str:
    kind = type_label(job.job_type) if job else ""
    odd_state = clean(state) if state is not None and not isinstance(state, JobState) else ""
    lines = [
        " · ".join(
            p
            for p in (
                f"*State* {code(odd_state, 40)}" if odd_state else "",
                f"*Type* {fit(kind, 40)}" if kind else "",
                f"*Region* {fit(view.region, 40)}",
            )
            if p
        ),
        f"*Job id* {code(view.job_id, 140)}",
    ]
    if job is not None:
        lines.append(
            f"{_when('Created', job.create_time)} · {_when('Modified', job.modified_time)}"
        )
        if job.input_config and clean(job.input_config.input_file):
            lines.append(f":inbox_tray: *Input* {fit(job.input_config.input_file, 300)}")
        out = job.output_config
        if out and (clean(out.bucket) or clean(out.object)):
            where = "/".join(p for p in (clean(out.bucket), clean(out.object)) if p)
            lines.append(f":outbox_tray: *Output* {fit(where, 300)}")
    return "\n".join(lines)


def _blocks(view: DetailsView, json_cut: int, message_cut: int) -> list[Block]:
    details = view.details
    job = (details.job_info if details else None) or view.job
    state = (
        details.state if details and details.state is not None else (job.job_state if job else None)
    )
    emoji, word = state_label(state)
    kind = job.job_type if job else None
    blocks: list[Block] = [
        header(  # plain text: only the words we know, odd values are in the facts below
            " ".join(
                p
                for p in (
                    emoji,
                    word if isinstance(state, JobState) else "",
                    type_label(kind) if isinstance(kind, JobType) else "",
                    "job",
                )
                if p
            )
        ),
        section(f"*{fit(job.title if job else None, 200, UNTITLED)}*"),
    ]
    if details is not None and (details.error_code or details.error_message):
        why = f":rotating_light: *Why it failed* {code(details.error_code, 80, 'no code')}"
        if clean(details.error_message):
            why += f"\n{fit(details.error_message, message_cut)}"
        blocks.append(section(why))
    blocks.append(section(_facts(view, job, state)))
    if details is not None and details.job_result is not None:
        result = details.job_result
        lines = []
        if clean(result.media_id):
            lines.append(f"*Media id* {code(result.media_id, 120)}")
        if clean(result.media_url):
            lines.append(f"*Media URL* {fit(result.media_url, 500)}")
        if lines:
            blocks.append(section("\n".join(lines)))
    shown: list[tuple[str, str | None]] = []
    if job is not None:
        shown.append(
            ("Editing config", _pretty(job.editing_config, job.editing_config_json, json_cut))
        )
    if details is not None:
        shown.append(("User data", _pretty(details.user_data, details.user_data_json, json_cut)))
        shown.append(("Output", _pretty(details.output, details.output_json, json_cut)))
    elif job is not None:
        shown.append(("User data", _pretty(job.user_data, job.user_data_json, json_cut)))
    for label, pretty in shown:
        if pretty:
            blocks.append(section(f"*{label}*\n{pretty}"))
    if view.problem:
        blocks.append(context(f":warning: {fit(view.problem, 600, authored=True)}"))
    if view.back_value:
        blocks += actions("details_actions", button(ACTION_BACK, "Back to list", view.back_value))
    return blocks


def render_details(view: DetailsView) -> Message:
    """The details as Block Kit, shortening the JSON and the message until they fit."""
    blocks: list[Block] = []
    for json_cut, message_cut in _CUTS:
        blocks = _blocks(view, json_cut, message_cut)
        if fits(blocks):
            break
    details = view.details
    job = (details.job_info if details else None) or view.job
    title = clean(job.title) if job and clean(job.title) else UNTITLED
    state = state_label(
        details.state if details and details.state else (job.job_state if job else None)
    )[1]
    text = f"{state} job: {title}"
    if details is not None and details.error_code:
        text += f" · {clean(details.error_code)}"
    return {"text": fit(text, MAX_TEXT), "blocks": blocks}
