"""Lambda entry: routes Slack's HTTP events to Bolt and EventBridge schedules to the digest.

Everything is built once per container, at import (Lambda's init phase): settings (and the
SECRETS_ARN secret), the Bolt app, its Lambda adapter. The app itself knows nothing of Lambda.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from slack_bolt import App

from bot.aws import AwsClient, LambdaInvoker
from bot.config import ConfigError, Settings
from bot.services import Services
from bot.slack_app import create_app
from handler._adapter import LambdaAdapter

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "smartjobs"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SmartJobs"))
copy_config_to_registered_loggers(source_logger=logger, include={"bot"})

_COUNTERS = {
    "command": "Commands",
    "page": "PagesServed",
    "ice_error": "IceErrors",
    "refused": "Refused",
}


def record_event(name: str, fields: dict[str, Any]) -> None:
    """The app's telemetry hook: log keys and metrics, never secrets (ids and codes only)."""
    if name == "request":
        logger.append_keys(**{k: v for k, v in fields.items() if v})
        return
    if name == "page" and fields.get("request_id"):
        logger.append_keys(ice_request_id=fields["request_id"])
    if name == "ice_call":
        metrics.add_metric("IceLatency", MetricUnit.Milliseconds, fields["ms"])
        return
    metric = _COUNTERS.get(name)
    if metric:
        metrics.add_metric(metric, MetricUnit.Count, 1)
    if name == "command":
        metrics.add_metric(f"Commands.{fields.get('action', 'list')}", MetricUnit.Count, 1)
    if name == "ice_error":
        metrics.add_metric(f"IceError.{fields.get('code', 'Unknown')}", MetricUnit.Count, 1)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    app: App
    slack: LambdaAdapter


def build_runtime(environ: Mapping[str, str] | None = None, **overrides: Any) -> Runtime:
    settings = Settings.from_env(environ)
    services = Services(settings=settings, on_event=record_event, **overrides)
    app = create_app(services)
    return Runtime(settings, services, app, LambdaAdapter(app, lambda: LambdaInvoker(AwsClient())))


def _boot() -> tuple[Runtime | None, str | None]:
    try:
        return build_runtime(), None
    except ConfigError as error:
        logger.error("smartjobs is not configured: %s", error)
        return None, str(error)


# In Lambda, build during the init phase (boosted CPU, before the first request's clock
# starts); elsewhere (tests, demo, benchmarks), on the first invocation.
runtime, config_error = _boot() if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else (None, None)


def is_schedule(event: Mapping[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global runtime, config_error
    if runtime is None:
        # A secret that could not be read at cold start (a blip, or fixed since) is tried
        # again, rather than leaving this container broken for its lifetime.
        runtime, config_error = _boot()
    if runtime is None:
        metrics.add_metric("ConfigErrors", MetricUnit.Count, 1)
        logger.error("refusing the request: %s", config_error)
        return {"statusCode": 500, "body": "smartjobs is not configured; see the function's logs."}
    if is_schedule(event):
        return run_schedule(runtime, event, context)
    metrics.add_metric("SlackRequests", MetricUnit.Count, 1)
    return runtime.slack.handle(event, context)


def run_schedule(rt: Runtime, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The daily digest: once per channel per window, even when EventBridge delivers twice."""
    from slack_sdk import WebClient

    from bot.answers import show_failed_value
    from bot.digest import DEFAULT_WINDOW, deliver_digest, digest_persistence

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
        now=_event_time(event),
        window=DEFAULT_WINDOW,
        region=rt.settings.ice_region,
        show_failed_value=show_failed_value(DEFAULT_WINDOW, None),
        persistence=_persistence,
        lambda_context=context,
    )
    if result.duplicate:
        metrics.add_metric("DigestsDuplicate", MetricUnit.Count, 1)
    elif result.posted and result.kind == "digest":
        metrics.add_metric("DigestsPosted", MetricUnit.Count, 1)
    else:
        metrics.add_metric("DigestsFailed", MetricUnit.Count, 1)
        logger.error("digest not delivered", extra={"reason": result.error, "channel": channel})
    return {
        "statusCode": 200,
        "body": "duplicate" if result.duplicate else (result.error or "posted"),
    }


_persistence: Any = None


def _event_time(event: Mapping[str, Any]) -> datetime:
    """EventBridge's ``time`` stays the same on a redelivery: the window key must too."""
    try:
        return datetime.strptime(str(event["time"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError):
        return datetime.now(UTC)
