"""What a user asked for, independent of how it was typed (Slack, terminal, button)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.ice._enums import JobState, JobType, SortBy

Action = Literal["list", "help", "digest", "watch", "watches", "unwatch", "job"]

DEFAULT_LIMIT = 10
MAX_LIMIT = 100

TYPE_LABELS: dict[JobType, str] = {
    JobType.ASR: "ASR",
    JobType.DYNAMIC_CHART: "DynamicChart",
    JobType.VIDEO_TRANSLATION: "VideoTranslation",
    JobType.TEXT_TO_SPEECH: "TextToSpeech",
}


def format_duration(value: timedelta) -> str:
    """Shortest of ``7d``/``2h``/``90m`` that is exact."""
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


@dataclass(frozen=True, slots=True)
class Query:
    action: Action = "list"
    state: JobState | None = None
    job_type: JobType | None = None
    sort: SortBy = SortBy.NEWEST
    limit: int = DEFAULT_LIMIT
    since: timedelta | None = None
    region: str | None = None
    target: str | None = None
    """What ``unwatch`` removes (``"all"`` or a number from ``watches``), the id ``job`` shows."""
    until: datetime | None = None
    """With ``since``: the window ``[until - since, until)`` instead of the last ``since``.

    Not a word users type: a digest's **Show failed jobs** button carries the digest's own
    window, so a click hours later lists what the digest counted."""

    def describe(self) -> str:
        """A title for what was asked: "Failed ASR jobs", "Jobs, oldest first, last 2h"."""
        words = []
        if self.state is not None:
            words.append(self.state.value)
        if self.job_type is not None:
            words.append(TYPE_LABELS[self.job_type])
        words.append("jobs")
        title = " ".join(words)
        title = title[0].upper() + title[1:]
        extras = []
        if self.sort is SortBy.OLDEST:
            extras.append("oldest first")
        if self.since is not None:
            extras.append(window_words(self.since, self.until))
        if self.region == "all":
            extras.append("all regions")
        return ", ".join([title, *extras])


def duration_words(value: timedelta) -> str:
    """``24 h``, ``7 d``, ``90 min``: for people, where ``format_duration`` is for the grammar."""
    minutes = int(value.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours % 24 == 0 and hours > 48:
        return f"{hours // 24} d"
    return f"{hours} h"


def window_words(since: timedelta, until: datetime | None) -> str:
    """``last 2h``, or ``24 h to 5 Nov 01:00 UTC`` for a window that ended in the past."""
    if until is None:
        return f"last {format_duration(since)}"
    end = until.astimezone(UTC)
    return f"{duration_words(since)} to {end.day} {end:%b %H:%M} UTC"
