"""What the bot reports about itself: one small frozen type per event, no I/O.

The product emits events through the ``emit`` hook it is handed
(:attr:`bot.services.Services.emit`); the Lambda entry turns them into log keys and
CloudWatch metrics in one place (``handler/_telemetry.py``). Events carry ids, codes and
counts only: never a secret, never job data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class RequestSeen:
    """A Slack request passed signature verification; its ids become log keys."""

    team: str | None
    channel: str | None
    user: str | None
    command: str | None


@dataclass(frozen=True, slots=True)
class Refused:
    """Access control turned a request away (``ALLOWED_*``)."""

    team: str | None


CommandKind = Literal["list", "digest", "help_or_error", "watch", "watches", "unwatch", "job"]


@dataclass(frozen=True, slots=True)
class CommandRun:
    kind: CommandKind


@dataclass(frozen=True, slots=True)
class PageServed:
    jobs: int
    request_id: str | None


@dataclass(frozen=True, slots=True)
class IceCalled:
    """One HTTP attempt to ICE, whatever its outcome."""

    ms: float
    code: str | None
    request_id: str | None
    degraded: int = 0
    unreadable: int = 0


@dataclass(frozen=True, slots=True)
class IceFailed:
    """A request to ICE failed for good (after its retries); the user was told."""

    code: str
    request_id: str | None


DigestOutcome = Literal["posted", "duplicate", "failed"]


@dataclass(frozen=True, slots=True)
class DigestDelivered:
    outcome: DigestOutcome
    reason: str | None = None


AnswerPath = Literal["inline", "lazy"]


@dataclass(frozen=True, slots=True)
class Answered:
    """A request's answer went out: how long after the request reached us, and which way."""

    path: AnswerPath
    ms: float


@dataclass(frozen=True, slots=True)
class WatchPolled:
    """One watch poll: how many watches, what it cost ICE, what it posted, what failed."""

    watches: int
    ice_requests: int
    alerts: int
    jobs_alerted: int
    failed: int


Event = (
    RequestSeen
    | Refused
    | CommandRun
    | PageServed
    | IceCalled
    | IceFailed
    | DigestDelivered
    | WatchPolled
    | Answered
)
Emit = Callable[[Event], None]


def discard(event: Event) -> None:
    """The default hook: tests and the terminal need no telemetry."""
