"""A watch, and what one poll's new jobs become: pure, no I/O.

A job alerts a watch once, when it first matches after the watch was created; what matched
at creation is remembered as known and never alerts. While an alert is less than an hour
old, later jobs go into its thread (and the root's count is updated), so a channel gets one
line per incident rather than one per poll; more than :data:`STORM` at once becomes one
summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from bot.filters import parse
from bot.query import Query

if TYPE_CHECKING:
    from bot.ice import SmartJob

INCIDENT: Final = timedelta(hours=1)
"""How long an alert stays open for later jobs to join its thread."""
STORM: Final = 20
"""More new jobs than this in one poll: one summary, not a list."""
SHOWN: Final = 5
"""Jobs listed in an alert: the newest."""
MUTE: Final = timedelta(hours=1)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True, slots=True)
class Watch:
    """One channel's watch on one set of filters (a ``watch`` query, as text)."""

    id: str
    channel: str
    query: str
    created_by: str
    created: datetime
    team: str | None = None
    muted_until: datetime | None = None
    paused: str | None = None
    """Why the watch stopped: Slack refused the channel for good (``channel_not_found``)."""
    incident_ts: str | None = None
    """The open alert's root message, while it is open."""
    incident_at: datetime | None = None
    incident_jobs: int = 0

    @property
    def parsed(self) -> Query:
        return parse(self.query)

    def muted(self, now: datetime) -> bool:
        return self.muted_until is not None and now < self.muted_until

    def open_incident(self, now: datetime) -> bool:
        return (
            self.incident_ts is not None
            and self.incident_at is not None
            and now - self.incident_at < INCIDENT
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """What to post for one watch after one poll."""

    kind: Literal["root", "thread"]
    jobs: Sequence[SmartJob]
    """The new jobs, newest first."""
    total: int
    """Jobs in the incident so far, these included (the root's count)."""

    @property
    def storm(self) -> bool:
        return len(self.jobs) > STORM


def plan(watch: Watch, new_jobs: Sequence[SmartJob], now: datetime) -> Alert | None:
    """The alert a poll's new jobs make, or None when there is nothing to say."""
    if not new_jobs:
        return None
    if watch.open_incident(now):
        return Alert("thread", new_jobs, watch.incident_jobs + len(new_jobs))
    return Alert("root", new_jobs, len(new_jobs))


def after(watch: Watch, alert: Alert, ts: str | None, now: datetime) -> Watch:
    """The watch once ``alert`` was posted (``ts``: the new root, for a root alert)."""
    if alert.kind == "root":
        return replace(watch, incident_ts=ts, incident_at=now, incident_jobs=alert.total)
    return replace(watch, incident_jobs=alert.total)
