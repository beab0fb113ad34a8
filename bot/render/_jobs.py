"""How one job reads in every view (page, digest, details, alerts, terminal): its state as
emoji and word, its type, its times. Degraded fields read as what is known, never crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from bot.ice._enums import JobState, JobType
from bot.query import TYPE_LABELS
from bot.render._mrkdwn import clean

STATE_EMOJI: Final[dict[JobState, str]] = {
    JobState.FAILED: ":x:",
    JobState.FINISHED: ":white_check_mark:",
    JobState.EXECUTING: ":hourglass_flowing_sand:",
    JobState.CREATED: ":new:",
}
UNKNOWN_STATE_EMOJI: Final = ":white_circle:"
UNTITLED: Final = "(untitled)"
NO_ID: Final = "(no id)"


def state_label(state: JobState | str | None) -> tuple[str, str]:
    """(emoji, word) for a state; a state the service adds later keeps its own word."""
    if isinstance(state, JobState):
        return STATE_EMOJI[state], state.value
    return UNKNOWN_STATE_EMOJI, clean(state) or "Unknown"


def type_label(job_type: JobType | str | None) -> str:
    """The type word as the API spells it; an unknown one as it came; empty when none."""
    if isinstance(job_type, JobType):
        return TYPE_LABELS[job_type]
    return clean(job_type)


def usable_time(when: datetime | None) -> datetime | None:
    """A time that can be shown (converted to a timestamp), else None (year 1 at +05:00)."""
    if when is None:
        return None
    try:
        when.astimezone(UTC).timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return when
