"""The product's telemetry events, turned into Powertools log keys and CloudWatch metrics.

One place for every metric name (namespace ``SmartJobs``): the product emits typed events
(:mod:`bot.telemetry`), this module decides what each one means on Lambda.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from bot.telemetry import (
    Answered,
    CommandRun,
    DigestDelivered,
    Event,
    IceCalled,
    IceFailed,
    PageServed,
    Refused,
    RequestSeen,
    WatchPolled,
)

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "smartjobs"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SmartJobs"))
copy_config_to_registered_loggers(source_logger=logger, include={"bot"})

SLACK_REQUESTS = "SlackRequests"
CONFIG_ERRORS = "ConfigErrors"
_DIGESTS = {"posted": "DigestsPosted", "duplicate": "DigestsDuplicate", "failed": "DigestsFailed"}


def count(name: str) -> None:
    metrics.add_metric(name, MetricUnit.Count, 1)


def record(event: Event) -> None:
    """The app's telemetry hook: log keys and metrics, never secrets (ids and codes only)."""
    match event:
        case RequestSeen(team=team, channel=channel, user=user, command=command):
            keys = {"team": team, "channel": channel, "user": user, "command": command}
            logger.append_keys(**{k: v for k, v in keys.items() if v})
        case Refused():
            count("Refused")
        case CommandRun(kind=kind):
            count("Commands")
            count(f"Commands.{kind}")
        case PageServed(request_id=request_id):
            count("PagesServed")
            if request_id:
                logger.append_keys(ice_request_id=request_id)
        case IceCalled(ms=ms, degraded=degraded, unreadable=unreadable):
            metrics.add_metric("IceLatency", MetricUnit.Milliseconds, ms)
            if degraded:
                metrics.add_metric("IceDegradedFields", MetricUnit.Count, degraded)
            if unreadable:
                metrics.add_metric("IceUnreadableJobs", MetricUnit.Count, unreadable)
        case IceFailed(code=code):
            count("IceErrors")
            count(f"IceError.{code}")
        case DigestDelivered(outcome=outcome):
            count(_DIGESTS[outcome])
        case Answered(path=path, ms=ms):
            metrics.add_metric("TimeToAnswer", MetricUnit.Milliseconds, ms)
            count("AnsweredInline" if path == "inline" else "AnsweredLazily")
        case WatchPolled():
            count("WatchPolls")
            metrics.add_metric("WatchPollIceRequests", MetricUnit.Count, event.ice_requests)
            metrics.add_metric("WatchAlertsPosted", MetricUnit.Count, event.alerts)
            metrics.add_metric("WatchJobsAlerted", MetricUnit.Count, event.jobs_alerted)
            if event.failed:
                metrics.add_metric("WatchPollsFailed", MetricUnit.Count, event.failed)
