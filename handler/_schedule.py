"""EventBridge schedules: the daily digest (once per channel per window), the watch poll,
and the keep-warm ping.

The digest's rule sends EventBridge's own scheduled event (its ``time`` keys the window);
the others send a small fixed input, ``{"smartjobs": "watch-poll"}`` or
``{"smartjobs": "keep-warm"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from bot.slack.delivery import Refusal
from bot.telemetry import DigestDelivered, WatchPolled
from handler._telemetry import logger

if TYPE_CHECKING:
    from handler.app import Runtime

_persistence: Any = None


class DigestNotPosted(RuntimeError):
    """Slack refused for now (5xx, rate limit, network): let Lambda retry the schedule."""


WATCH_POLL: Final = "watch-poll"
KEEP_WARM: Final = "keep-warm"


def is_schedule(event: Mapping[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


def task_of(event: Mapping[str, Any]) -> str | None:
    """``watch-poll`` or ``keep-warm`` for our own schedules' input, else None."""
    task = event.get("smartjobs")
    return task if task in (WATCH_POLL, KEEP_WARM) else None


def run_watch_poll(rt: Runtime) -> dict[str, Any]:
    """One poll of every watch; alerts go to their channels. Never raises."""
    from slack_sdk import WebClient

    from bot.watch.poll import poll

    report = poll(
        rt.services.watches(),
        rt.services.ice,
        WebClient(token=rt.settings.slack_bot_token, base_url=rt.settings.slack_api_url),
        now=rt.services.now(),
        lookback=rt.settings.watch_lookback,
        default_region=rt.settings.ice_region,
    )
    rt.services.emit(
        WatchPolled(
            report.watches,
            report.ice_requests,
            report.alerts,
            report.jobs_alerted,
            len(report.failed),
        )
    )
    logger.info(
        "watch poll: %d watches, %d ICE requests, %d alerts (%d jobs), %d failed",
        report.watches,
        report.ice_requests,
        report.alerts,
        report.jobs_alerted,
        len(report.failed),
    )
    plural = "" if report.alerts == 1 else "s"
    return {"statusCode": 200, "body": f"{report.alerts} alert{plural}"}


def run_digest(rt: Runtime, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The daily digest: once per channel per window, even when EventBridge delivers twice."""
    from slack_sdk import WebClient

    from bot.digest.delivery import deliver_digest, digest_persistence
    from bot.digest.scan import DEFAULT_WINDOW

    channel = rt.settings.digest_channel
    if not channel:
        logger.warning("scheduled digest skipped: DIGEST_CHANNEL is not set")
        return {"statusCode": 200, "body": "no digest channel"}
    global _persistence
    if _persistence is None:
        _persistence = digest_persistence(rt.settings.digest_table)
    result = deliver_digest(
        rt.services.ice(rt.settings.ice_region),
        WebClient(token=rt.settings.slack_bot_token, base_url=rt.settings.slack_api_url),
        channel=channel,
        now=event_time(event),
        window=DEFAULT_WINDOW,
        region=rt.settings.ice_region,
        persistence=_persistence,
        lambda_context=context,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        also=[rt.services.ice(r) for r in rt.settings.ice_regions if r != rt.settings.ice_region],
        concurrency=rt.settings.scan_concurrency,
    )
    if result.duplicate:
        rt.services.emit(DigestDelivered("duplicate"))
    elif result.posted and result.kind == "digest":
        rt.services.emit(DigestDelivered("posted"))
    else:
        rt.services.emit(DigestDelivered("failed", result.error))
        logger.error("digest not delivered", extra={"reason": result.error, "channel": channel})
        if result.error and Refusal(result.error.removeprefix("slack:")).transient:
            # Fail the invocation: Lambda runs it again (MaximumRetryAttempts), and the
            # idempotency record, dropped with the refused post, lets the retry deliver.
            raise DigestNotPosted(f"the digest for {channel} was not posted ({result.error})")
    return {
        "statusCode": 200,
        "body": "duplicate" if result.duplicate else (result.error or "posted"),
    }


def event_time(event: Mapping[str, Any]) -> datetime:
    """EventBridge's ``time`` stays the same on a redelivery: the window key must too."""
    try:
        return datetime.strptime(str(event["time"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError):
        return datetime.now(UTC)
