"""The daily digest: scan the window newest-first, aggregate while streaming, post once.

``ListSmartJobs`` has no time filter, so the window is found by paging
``CreationTime:Desc`` and stopping at the first job older than its start. The
aggregation (:class:`DigestStats`) keeps a fixed amount of state however many
jobs stream past, and :func:`scan` is pure over an iterable of pages: the I/O
lives in the iterator the caller hands in (``IceClient.iter_pages``), so
breaking out of the loop is what stops further requests.

Delivery (:func:`deliver_digest`) posts with a ``slack_sdk.WebClient`` handed in
and, when given a Powertools persistence layer (``DIGEST_TABLE`` at the edge),
posts at most once per channel and window, also when EventBridge delivers the
schedule twice. Without one (``smartjobs digest --post``) it simply posts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._errors import IceError, RepeatedTokenError
from bot.ice._models import SmartJob, SmartJobPage
from bot.query import format_duration
from bot.render._digest import render_digest, render_digest_failure

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from slack_sdk import WebClient

    from bot.ice._client import IceClient

log = logging.getLogger("bot.digest")

DEFAULT_WINDOW: Final = timedelta(hours=24)
DEFAULT_MAX_PAGES: Final = 50
PAGE_SIZE: Final = 100
NEWEST_FAILURES: Final = 5
MAX_BUCKETS: Final = 48
SHOW_FAILED_VALUE: Final = "failed"
IDEMPOTENCY_PREFIX: Final = "smartjobs-digest"

# Bounded keys: hostile or drifting data (thousands of distinct new JobType strings)
# must not grow the state. Known values always get their own key.
MAX_EXTRA_TYPES: Final = 4
MAX_EXTRA_STATES: Final = 3
OTHER: Final = "Other"
NO_VALUE: Final = "(none)"
_KEY_CHARS: Final = 64
_TEXT_CHARS: Final = 200  # kept per failure; renderers cut further

_KNOWN_TYPES: Final = frozenset(t.value for t in JobType)
_KNOWN_STATES: Final = frozenset(s.value for s in JobState)
_FAILED: Final = JobState.FAILED.value


@dataclass(frozen=True, slots=True)
class FailedJob:
    """What the digest shows of one failure; strings are pre-cut so memory stays bounded."""

    job_id: str
    title: str | None
    job_type: str
    create_time: datetime | None


@dataclass(slots=True)
class DigestStats:
    """Streaming aggregate of one window: its size does not depend on the number of jobs.

    ``counts`` is keyed by the wire strings ``(JobType, JobState)`` (at most a fixed
    number of distinct keys, the rest folded into ``"Other"``). Jobs without a
    ``CreateTime`` are counted (they sit among in-window jobs in the newest-first
    order and may be failures worth seeing) but cannot be placed in an hourly
    bucket; ``undated`` says how many there were.
    """

    window_start: datetime
    window_end: datetime
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    failure_buckets: list[int] = field(default_factory=list)
    newest_failures: list[FailedJob] = field(default_factory=list)
    jobs: int = 0
    failed: int = 0
    undated: int = 0
    skipped_newer: int = 0
    pages: int = 0
    truncated: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        if self.window_start.tzinfo is None or self.window_end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if not self.failure_buckets:
            self.failure_buckets = [0] * bucket_count(self.window)

    @property
    def window(self) -> timedelta:
        return self.window_end - self.window_start

    @property
    def bucket_width(self) -> timedelta:
        return self.window / len(self.failure_buckets)

    def bucket_start(self, index: int) -> datetime:
        return self.window_start + self.bucket_width * index

    def add(self, job: SmartJob) -> None:
        """Count one in-window job (the caller has checked the window)."""
        job_type = self._type_key(job.job_type)
        state = self._state_key(job.job_state)
        self.counts[job_type, state] = self.counts.get((job_type, state), 0) + 1
        self.jobs += 1
        if job.create_time is None:
            self.undated += 1
        if state != _FAILED:
            return
        self.failed += 1
        if job.create_time is not None:
            self.failure_buckets[self._bucket(job.create_time)] += 1
        if len(self.newest_failures) < NEWEST_FAILURES:  # newest first: the first five seen
            self.newest_failures.append(
                FailedJob(
                    job_id=(job.job_id or "")[:_TEXT_CHARS],
                    title=job.title[:_TEXT_CHARS] if job.title is not None else None,
                    job_type=job_type,
                    create_time=job.create_time,
                )
            )

    # -- reading ---------------------------------------------------------------------------

    def job_types(self) -> list[str]:
        """Types seen, known ones in the API's order, then the others, then ``Other``."""
        seen = {t for t, _ in self.counts}
        known = [t.value for t in JobType if t.value in seen]
        extra = sorted(seen - _KNOWN_TYPES - {OTHER, NO_VALUE})
        tail = [t for t in (NO_VALUE, OTHER) if t in seen]
        return known + extra + tail

    def extra_states(self) -> list[str]:
        """States seen beyond the four documented ones, ``Other`` last."""
        seen = {s for _, s in self.counts} - _KNOWN_STATES
        return sorted(seen - {OTHER, NO_VALUE}) + [s for s in (NO_VALUE, OTHER) if s in seen]

    def count(self, job_type: str | None = None, state: str | None = None) -> int:
        """Jobs of a type and/or state; ``None`` means any."""
        return sum(
            n
            for (t, s), n in self.counts.items()
            if (job_type is None or t == job_type) and (state is None or s == state)
        )

    # -- bounded keys ----------------------------------------------------------------------

    def _type_key(self, value: str | None) -> str:
        if value in _KNOWN_TYPES:  # the common case, without looking at the other keys
            return str(value)
        return _bounded(value, _KNOWN_TYPES, {t for t, _ in self.counts}, MAX_EXTRA_TYPES)

    def _state_key(self, value: str | None) -> str:
        if value in _KNOWN_STATES:
            return str(value)
        return _bounded(value, _KNOWN_STATES, {s for _, s in self.counts}, MAX_EXTRA_STATES)

    def _bucket(self, when: datetime) -> int:
        index = int((when - self.window_start) / self.bucket_width)
        return min(max(index, 0), len(self.failure_buckets) - 1)


def _bounded(value: str | None, known: frozenset[str], seen: set[str], room: int) -> str:
    """An unknown value's own key while there is room for it, else ``Other``."""
    if value is None or not str(value).strip():
        return NO_VALUE
    key = str(value)[:_KEY_CHARS]
    if key in known or key in seen:
        return key
    extras = len(seen - known - {OTHER, NO_VALUE})
    return key if extras < room else OTHER


def bucket_count(window: timedelta) -> int:
    """One bucket per hour, at most ``MAX_BUCKETS`` (a week becomes 48 buckets of 3.5 h)."""
    return max(1, min(math.ceil(window / timedelta(hours=1)), MAX_BUCKETS))


def scan(
    pages: Iterable[SmartJobPage],
    *,
    window_start: datetime,
    window_end: datetime,
    max_pages: int,
) -> DigestStats:
    """Aggregate newest-first pages over ``[window_start, window_end]``.

    Stops consuming ``pages`` at the first job older than ``window_start`` (so the
    iterator makes no further request) or after ``max_pages`` pages; in the latter
    case, when the last page still had a ``NextToken``, ``truncated`` is set.
    Jobs newer than ``window_end`` are skipped (a schedule that fires late still
    reports the window it was meant for). A ``RepeatedTokenError`` raised by the
    iterator ends the scan with a ``note``; other errors propagate.
    """
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    stats = DigestStats(window_start=window_start, window_end=window_end)
    iterator: Iterator[SmartJobPage] = iter(pages)
    try:
        return _scan(stats, iterator, max_pages)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:  # end a paging generator now rather than at garbage collection
            close()


def _scan(stats: DigestStats, iterator: Iterator[SmartJobPage], max_pages: int) -> DigestStats:
    try:
        while True:
            page = next(iterator, None)
            if page is None:
                return stats
            stats.pages += 1
            if _consume(stats, page):
                return stats
            if stats.pages >= max_pages:
                stats.truncated = bool(page.next_token)
                return stats
    except RepeatedTokenError as error:
        stats.note = (
            f"ICE handed back a page token it had already given, so the scan stopped after "
            f"{stats.pages} pages; the counts may be incomplete"
            + (f" (RequestId {error.request_id})." if error.request_id else ".")
        )
        log.warning("digest scan stopped: %s", error.describe())
        return stats


def _consume(stats: DigestStats, page: SmartJobPage) -> bool:
    """Add a page's in-window jobs; True once a job older than the window was met."""
    for job in page.smart_job_list:
        created = job.create_time
        if created is not None:
            if created < stats.window_start:
                return True
            if created > stats.window_end:
                stats.skipped_newer += 1
                continue
        stats.add(job)
    return False


def build_digest(
    client: IceClient,
    *,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> DigestStats:
    """Scan ICE for the ``window`` ending at ``now``; ICE errors other than a repeated token raise."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    pages = client.iter_pages(sort_by=SortBy.NEWEST, max_results=PAGE_SIZE)
    return scan(pages, window_start=now - window, window_end=now, max_pages=max_pages)


# -- delivery --------------------------------------------------------------------------------

SLACK_HINTS: Final[dict[str, str]] = {
    "not_in_channel": "invite the bot to the channel (/invite @smartjobs), "
    "or add the chat:write.public scope to the Slack app and reinstall it",
    "channel_not_found": "check DIGEST_CHANNEL (a channel ID such as C0123456789, not a name); "
    "for a private channel invite the bot (/invite @smartjobs); public channels also work "
    "uninvited once the app has the chat:write.public scope",
    "missing_scope": "add the chat:write scope (and chat:write.public to post without an "
    "invite) to the Slack app and reinstall it",
    "is_archived": "the channel is archived: unarchive it or point DIGEST_CHANNEL elsewhere",
    "invalid_auth": "check SLACK_BOT_TOKEN (an xoxb- bot token of this workspace)",
    "not_authed": "set SLACK_BOT_TOKEN (an xoxb- bot token)",
    "token_revoked": "the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot token belongs to a deactivated app or user: reinstall the app",
}
_SLACK_FALLBACK_HINT: Final = "see https://api.slack.com/methods/chat.postMessage#errors"

Kind = Literal["digest", "ice_error", "none"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one delivery did, for the caller's metrics.

    ``posted``: a message went to Slack in this call (the digest, or the notice that
    it could not be built). ``duplicate``: this window was already delivered (or is
    being delivered right now), so nothing was posted; ``ts`` is then the original
    message's. ``error``: why no proper digest went out, prefixed ``ice:``,
    ``slack:`` or ``idempotency:``.
    """

    posted: bool
    duplicate: bool = False
    ts: str | None = None
    error: str | None = None
    kind: Kind = "none"
    jobs: int | None = None
    failed: int | None = None


def digest_key(channel: str, window_start: datetime, window: timedelta) -> str:
    """``channel#start#window``; the start is cut to the minute so a retry seconds later matches.

    The caller should derive the window from the schedule's own time (EventBridge's
    ``time``), which is the same on every redelivery of the event.
    """
    start = window_start.astimezone(UTC).replace(second=0, microsecond=0)
    return f"{channel}#{start:%Y-%m-%dT%H:%MZ}#{format_duration(window)}"


def digest_persistence(table_name: str | None) -> BasePersistenceLayer | None:
    """The DynamoDB persistence layer for ``DIGEST_TABLE``, or None (no idempotency).

    Build it once per cold start: it owns a boto3 client. Imported lazily because
    Powertools' DynamoDB layer imports boto3, which the local CLI may not have.
    """
    if not table_name:
        return None
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table_name)


class _NotPostedError(Exception):
    """Slack refused: raised inside the idempotent section so no record is kept for the window."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def deliver_digest(
    client: IceClient,
    slack: WebClient,
    *,
    channel: str,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    max_pages: int = DEFAULT_MAX_PAGES,
    region: str | None = None,
    show_failed_value: str = SHOW_FAILED_VALUE,
    persistence: BasePersistenceLayer | None = None,
    lambda_context: LambdaContext | None = None,
) -> DeliveryResult:
    """Build the digest for the window ending at ``now`` and post it to ``channel``.

    Never raises for ICE or Slack failures: an ICE failure posts a short notice
    instead (why, RequestId, hint); a Slack refusal is logged with how to fix it.
    With ``persistence`` the whole build-and-post runs at most once per
    ``digest_key``; a refused post leaves no record, so a retry can still deliver.
    Pass the handler's ``lambda_context`` so a timed-out run does not block the
    window until the record expires.
    """
    region = region or client.region
    outcome: dict[str, Any] = {}

    def post_once(key: str) -> dict[str, Any]:
        outcome["ran"] = True
        jobs: int | None = None
        failed: int | None = None
        try:
            stats = build_digest(client, window=window, now=now, max_pages=max_pages)
        except IceError as error:
            log.error(
                "digest for %s could not be built: %s (RequestId %s). %s",
                channel,
                f"{error.code}: {error.message}",
                error.request_id,
                error.hint,
                extra={"ice_code": error.code, "request_id": error.request_id},
            )
            message = render_digest_failure(error, region=region, window=window)
            kind: Kind = "ice_error"
            error_text: str | None = f"ice:{error.code}"
        else:
            message = render_digest(stats, region=region, show_failed_value=show_failed_value)
            kind, error_text, jobs, failed = "digest", None, stats.jobs, stats.failed
        ts = _post(slack, channel, message)
        result = {"ts": ts, "kind": kind, "error": error_text, "jobs": jobs, "failed": failed}
        outcome["result"] = result
        log.info("digest %s posted to %s (ts %s, key %s)", kind, channel, ts, key)
        return result

    key = digest_key(channel, now - window, window)
    try:
        if persistence is None:
            stored = post_once(key)
        else:
            stored = _idempotent(post_once, key, persistence, window, lambda_context)
    except _NotPostedError as refusal:
        return DeliveryResult(posted=False, error=refusal.error)
    except Exception as error:
        if persistence is None:
            raise
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
        )

        if isinstance(error, IdempotencyAlreadyInProgressError):
            log.info("digest for %s is being delivered by another invocation", key)
            return DeliveryResult(posted=False, duplicate=True)
        if not isinstance(error, IdempotencyPersistenceLayerError):
            raise
        log.error(
            "digest idempotency store failed for %s: %s. Fix: check DIGEST_TABLE and the "
            "function's dynamodb:GetItem/PutItem/UpdateItem/DeleteItem permissions on it",
            key,
            error,
        )
        if "result" in outcome:  # posted, but the record could not be completed
            return _result(outcome["result"], posted=True, error="idempotency:not-recorded")
        return DeliveryResult(posted=False, error="idempotency:unavailable")
    if not outcome.get("ran"):
        log.info("digest for %s was already delivered (ts %s); not posting again", key, stored)
        return _result(stored, posted=False, duplicate=True)
    return _result(stored, posted=True)


def _idempotent(
    function: Any,
    key: str,
    persistence: BasePersistenceLayer,
    window: timedelta,
    lambda_context: LambdaContext | None,
) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(
        # Outlive the window: a redelivery is hours away at most, a second digest for the
        # same window is never wanted.
        expires_after_seconds=int((window + timedelta(hours=1)).total_seconds()),
    )
    if lambda_context is not None:
        # idempotent_function cannot see the handler's context: without it an INPROGRESS
        # record from a timed-out run would block the window until expiry.
        config.register_lambda_context(lambda_context)
    wrapped = idempotent_function(
        function,
        data_keyword_argument="key",
        persistence_store=persistence,
        config=config,
        key_prefix=IDEMPOTENCY_PREFIX,
    )
    stored: dict[str, Any] = wrapped(key=key)
    return stored


def _post(slack: WebClient, channel: str, message: dict[str, Any]) -> str | None:
    from slack_sdk.errors import SlackApiError, SlackClientError

    try:
        response = slack.chat_postMessage(
            channel=channel,
            text=message["text"],
            blocks=message["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as error:
        code = str(error.response.get("error") or "unknown_error")
        needed = error.response.get("needed")
        hint = SLACK_HINTS.get(code, _SLACK_FALLBACK_HINT)
        log.error(
            "digest not posted to %s: Slack said %s%s. Fix: %s",
            channel,
            code,
            f" (needs {needed})" if needed else "",
            hint,
            extra={"slack_error": code},
        )
        raise _NotPostedError(f"slack:{code}") from None
    except (SlackClientError, OSError) as error:
        log.error(
            "digest not posted to %s: Slack unreachable (%s). Fix: check SLACK_API_URL "
            "and the network",
            channel,
            type(error).__name__,
        )
        raise _NotPostedError("slack:unreachable") from None
    ts = response.get("ts")
    return ts if isinstance(ts, str) else None


def _result(
    stored: dict[str, Any] | None,
    *,
    posted: bool,
    duplicate: bool = False,
    error: str | None = None,
) -> DeliveryResult:
    data = stored or {}
    kind = data.get("kind")
    return DeliveryResult(
        posted=posted,
        duplicate=duplicate,
        ts=data.get("ts"),
        error=error or data.get("error"),
        kind=kind if kind in ("digest", "ice_error") else "none",
        jobs=data.get("jobs"),
        failed=data.get("failed"),
    )
