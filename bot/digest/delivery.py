"""Posting the digest: at most once per channel and window, never raising for ICE or Slack.

Delivery posts with a ``slack_sdk.WebClient`` handed in and, when given a Powertools
persistence layer (``DIGEST_TABLE`` at the edge), posts at most once per channel and window,
also when EventBridge delivers the schedule twice. Without one (``smartjobs digest --post``)
it simply posts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from bot import button_value
from bot.digest.scan import (
    CONCURRENCY,
    DEFAULT_MAX_PAGES,
    DEFAULT_WINDOW,
    DigestStats,
    build_digests,
    combine,
)
from bot.filters import ALL_REGIONS
from bot.ice._errors import IceError
from bot.query import format_duration
from bot.render import render_digest, render_digest_failure
from bot.slack.delivery import SlackPostError, post_message

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from slack_sdk import WebClient

    from bot.ice._client import IceClient

log = logging.getLogger("bot.digest")

IDEMPOTENCY_PREFIX: Final = "smartjobs-digest"

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


def with_error_codes(
    stats: DigestStats, ice: Callable[[str], IceClient], default_region: str
) -> DigestStats:
    """The newest failures with their ErrorCodes (at most a handful of concurrent calls).

    Skipped when the scan already stopped for lack of time: the counts come first.
    """
    from dataclasses import replace

    if stats.stopped_early:
        return stats

    from bot.lookup import error_codes

    listed = [(f.job_id, f.region or default_region) for f in stats.newest_failures if f.job_id]
    codes = error_codes(ice, listed)
    stats.newest_failures = [
        replace(f, error_code=codes.get(f.job_id)) for f in stats.newest_failures
    ]
    return stats


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
    persistence: BasePersistenceLayer | None = None,
    lambda_context: LambdaContext | None = None,
    time_left: Callable[[], float] | None = None,
    also: Sequence[IceClient] = (),
    concurrency: int = CONCURRENCY,
) -> DeliveryResult:
    """Build the digest for the window ending at ``now`` and post it to ``channel``.

    ``also``: the clients of the team's other regions (``ICE_REGIONS``): the digest then
    counts every region, totals first and a line per region; a region ICE fails for is
    named in it, and only when every region fails is the notice posted instead.

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
        clients = {c.region: c for c in (client, *also)}
        by_region = build_digests(
            clients.__getitem__,
            list(clients),
            window=window,
            now=now,
            max_pages=max_pages,
            time_left=time_left,
            concurrency=concurrency,
        )
        counted = {r: part for r, part in by_region.items() if isinstance(part, DigestStats)}
        try:
            if not counted:
                raise next(part for part in by_region.values() if isinstance(part, IceError))
            stats = with_error_codes(combine(counted), clients.__getitem__, region)
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
            shown = region if len(clients) == 1 else ALL_REGIONS
            show_failed = button_value.show_failed(window, shown, until=now)
            message = render_digest(
                stats,
                region=region if len(clients) == 1 else ", ".join(clients),
                show_failed_value=show_failed,
                by_region=by_region if len(clients) > 1 else None,
            )
            kind, error_text, jobs, failed = "digest", None, stats.jobs, stats.failed
        try:
            ts = post_message(slack, channel, message, what="digest", setting="DIGEST_CHANNEL")
        except SlackPostError as refused:
            raise _NotPostedError(f"slack:{refused.refusal.code}") from None
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
