"""What a user asked for, independent of how it was typed (Slack, terminal, button)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.ice._enums import JobState, JobType, SortBy

Action = Literal["list", "help", "digest"]

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
            extras.append(f"last {format_duration(self.since)}")
        return ", ".join([title, *extras])
