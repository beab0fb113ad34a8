"""Live mode: a world where jobs arrive and running jobs finish or fail as time passes.

Pure and seeded: time is handed in (:meth:`World.advance_to`), never read, so a fake clock
decides exactly what happens. Every future change is an event in one queue, drawn from one
seeded RNG when the event before it is applied; so the same seed gives the same history
however time is sliced (ten one-minute steps or one ten-minute step).

Jobs keep ICE's order (newest first by creation time): arrivals are the newest and go in
front; a state change keeps the job where it is. The job list and the changed job are
replaced, never edited in place, so a request being answered meanwhile reads either the
old list or the new one, whole.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from bot.ice._enums import JobState, JobType
from bot.ice._regions import DEFAULT_REGION
from bot.ice.emulator._dataset import build_job, new_job_id, wire_time
from bot.ice.emulator._details import Failure, created_at, job_key

RUNNING: Final = frozenset({JobState.CREATED.value, JobState.EXECUTING.value})

QUEUED_FOR: Final = (timedelta(seconds=5), timedelta(minutes=2))
"""How long an arrival waits as ``Created`` before it is ``Executing``."""
RUNS_FOR: Final[Mapping[str, tuple[timedelta, timedelta]]] = {
    JobType.ASR: (timedelta(minutes=1), timedelta(minutes=20)),
    JobType.DYNAMIC_CHART: (timedelta(minutes=1), timedelta(minutes=10)),
    JobType.TEXT_TO_SPEECH: (timedelta(seconds=10), timedelta(minutes=5)),
    JobType.VIDEO_TRANSLATION: (timedelta(minutes=20), timedelta(hours=6)),  # a long one
}
"""How long a job of each type runs (uniformly in the range) before it finishes or fails."""
_OTHER_TYPE: Final = (timedelta(minutes=1), timedelta(minutes=30))
_OVERDUE: Final = (timedelta(minutes=1), timedelta(minutes=30))
"""When a job that should have ended before the world started ends, after the start."""


@dataclass(frozen=True, slots=True)
class Live:
    """How fast the world moves: new jobs an hour (on average, at random moments) and the
    share of running jobs that fail rather than finish."""

    arrivals_per_hour: float = 30.0
    failure_rate: float = 0.15

    def __post_init__(self) -> None:
        if self.arrivals_per_hour < 0 or not 0 <= self.failure_rate <= 1:
            raise ValueError("arrivals_per_hour must be >= 0 and failure_rate from 0 to 1")


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that happened: a job arrived (``arrived``) or moved to ``state``."""

    at: datetime
    job_id: str
    job_type: str
    state: str
    arrived: bool = False


@dataclass(order=True, slots=True)
class _Event:
    at: datetime
    order: int
    job_id: str = field(compare=False)
    state: str = field(compare=False)  # "" for an arrival


class World:
    """The jobs and their future. Not thread-safe: the emulator calls it under its lock."""

    def __init__(
        self,
        jobs: list[Any],
        *,
        seed: int,
        start: datetime,
        live: Live | None = None,
        region: str = DEFAULT_REGION,
    ) -> None:
        self.jobs = list(jobs)
        self.now = start
        self.failures: dict[str, Failure] = {}
        """Failures set by :meth:`fail` with a code of their own (details answer with it)."""
        self._live = live or Live()
        self._region = region
        self._rng = random.Random(f"smartjobs-live:{seed}")  # noqa: S311  (test data)
        self._order = itertools.count()
        self._queue: list[_Event] = []
        self._pending: dict[str, _Event] = {}  # a job's next change; others for it are stale
        self._ids = {key for job in jobs if isinstance(job, dict) and (key := _key(job))}
        for job in self.jobs:
            if isinstance(job, dict) and job.get("JobState") in RUNNING:
                self._plan_end(job, start, started=created_at(job) or start)
        self._plan_arrival(start)

    # -- time ------------------------------------------------------------------------------

    def advance_to(self, moment: datetime) -> list[Change]:
        """Apply every change due by ``moment``, in order; a moment in the past changes nothing."""
        changes: list[Change] = []
        while self._queue and self._queue[0].at <= moment:
            event = heapq.heappop(self._queue)
            self.now = max(self.now, event.at)
            if not event.state:
                changes.append(self._arrive(event.at))
            elif self._pending.get(event.job_id) is event:
                del self._pending[event.job_id]
                changes.append(self._move(event.job_id, event.state, event.at))
        self.now = max(self.now, moment)
        return changes

    def fail(self, job_id: str, failure: Failure | None = None) -> Change:
        """Fail a job now (whatever its state), with its own seeded failure or ``failure``."""
        if job_id not in self._ids:
            raise KeyError(f"no job {job_id!r} in this emulator")
        self._pending.pop(job_id, None)
        if failure is not None:
            self.failures[job_id] = failure
        return self._move(job_id, JobState.FAILED.value, self.now)

    def pending(self) -> list[tuple[datetime, str, str]]:
        """The changes planned for jobs that exist, soonest first: (when, job id, state)."""
        return sorted((event.at, event.job_id, event.state) for event in self._pending.values())

    # -- planning --------------------------------------------------------------------------

    def _push(self, at: datetime, job_id: str, state: str) -> _Event:
        event = _Event(at, next(self._order), job_id, state)
        heapq.heappush(self._queue, event)
        if state:
            self._pending[job_id] = event
        return event

    def _between(self, span: tuple[timedelta, timedelta]) -> timedelta:
        low, high = span
        return timedelta(seconds=self._rng.uniform(low.total_seconds(), high.total_seconds()))

    def _plan_arrival(self, after: datetime) -> None:
        rate = self._live.arrivals_per_hour
        if rate > 0:
            gap = timedelta(hours=self._rng.expovariate(rate))
            self._push(after + gap, "", "")

    def _plan_end(self, job: Mapping[str, Any], now: datetime, *, started: datetime) -> None:
        """A queued job's start, a little after ``now``; a running job's end, its type's run
        time after it ``started``, finished or failed (one overdue ends a little after now)."""
        key = _key(job)
        if key is None:
            return
        if job.get("JobState") == JobState.CREATED:
            self._push(now + self._between(QUEUED_FOR), key, JobState.EXECUTING.value)
            return
        ends = started + self._between(RUNS_FOR.get(_text(job.get("JobType")), _OTHER_TYPE))
        if ends <= now:
            ends = now + self._between(_OVERDUE)
        failed = self._rng.random() < self._live.failure_rate
        self._push(ends, key, JobState.FAILED.value if failed else JobState.FINISHED.value)

    # -- changes ---------------------------------------------------------------------------

    def _arrive(self, at: datetime) -> Change:
        job_type = self._rng.choice(list(JobType))
        job_id = new_job_id(self._rng, self._ids)
        job = build_job(self._rng, job_id, job_type, JobState.CREATED, at, at, region=self._region)
        self.jobs = [job, *self.jobs]
        self._plan_end(job, at, started=at)
        self._plan_arrival(at)
        return Change(at, job_id, job_type.value, JobState.CREATED.value, arrived=True)

    def _move(self, job_id: str, state: str, at: datetime) -> Change:
        index = next(
            i for i, job in enumerate(self.jobs) if isinstance(job, dict) and _key(job) == job_id
        )
        job = self.jobs[index]
        moved = {**job, "JobState": state}
        if isinstance(job.get("ModifiedTime"), str) or "ModifiedTime" not in job:
            moved["ModifiedTime"] = wire_time(at)  # an odd-typed value stays odd
        self.jobs = [*self.jobs[:index], moved, *self.jobs[index + 1 :]]
        if state == JobState.EXECUTING:
            self._plan_end(moved, at, started=at)
        return Change(at, job_id, _text(job.get("JobType")), state)


def _key(job: Mapping[str, Any]) -> str | None:
    return job_key(job.get("JobId"))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
