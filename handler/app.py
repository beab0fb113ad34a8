"""Lambda entry: routes Slack's HTTP events to Bolt and EventBridge schedules to the digest.

Everything is built once per container, at import (Lambda's init phase): settings (and the
SECRETS_ARN secret), the Bolt app, its Lambda adapter. The app itself knows nothing of Lambda.

The secret is read again after ``SECRETS_TTL`` seconds (default 300), and at once (at most
every 30 s) when a request fails verification with the signing secret in hand: a rotated
secret is picked up without a cold start, and a flood of forged requests cannot make every
one of them a Secrets Manager call.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from slack_bolt import App

from bot.aws import AwsClient, LambdaInvoker
from bot.config import ConfigError, Settings
from bot.services import Services
from bot.slack.app import create_app
from bot.store.claims import Claims, DynamoClaims, MemoryClaims
from handler import _schedule
from handler._adapter import LambdaAdapter
from handler._telemetry import CONFIG_ERRORS, SLACK_REQUESTS, count, logger, metrics, record

FORCED_REFRESH_INTERVAL: Final = 30.0


@dataclass
class Runtime:
    settings: Settings
    services: Services
    app: App
    slack: LambdaAdapter
    built: float = field(default_factory=time.monotonic)
    refreshed: float = field(default_factory=time.monotonic)
    """When the secret was last read (whether or not it had changed)."""


def build_runtime(environ: Mapping[str, str] | None = None, **overrides: Any) -> Runtime:
    settings = Settings.from_env(environ)
    services = Services(settings=settings, emit=record, **overrides)
    app = create_app(services)
    aws = functools.cache(AwsClient)  # one client, built when first needed (never for an ack)
    claims: Claims = (
        DynamoClaims(settings.digest_table, aws) if settings.digest_table else MemoryClaims()
    )
    adapter = LambdaAdapter(
        app,
        lambda: LambdaInvoker(aws()),
        settings.slack_signing_secret,
        claims=claims,
        inline_budget=settings.inline_budget,
        emit=services.emit,
    )
    return Runtime(settings, services, app, adapter)


def _boot() -> tuple[Runtime | None, str | None]:
    try:
        return build_runtime(), None
    except ConfigError as error:
        logger.error("smartjobs is not configured: %s", error)
        return None, str(error)


# In Lambda, build during the init phase (boosted CPU, before the first request's clock
# starts); elsewhere (tests, demo, benchmarks), on the first invocation.
runtime, config_error = _boot() if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else (None, None)


def _secret_ttl() -> float:
    try:
        return max(float(os.environ.get("SECRETS_TTL", "300")), 0.0)
    except ValueError:
        return 300.0


def refresh(reason: str) -> bool:
    """Read the secret again; rebuild the runtime if it changed. True when it changed."""
    global runtime
    if runtime is None or not os.environ.get("SECRETS_ARN"):
        return False
    runtime.refreshed = time.monotonic()
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        logger.warning("secret not re-read (%s): keeping the one in hand. %s", reason, error)
        return False
    if settings == runtime.settings:
        return False
    logger.info("the secret changed (%s): rebuilding", reason)
    runtime.services.close()
    runtime = build_runtime()
    return True


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global runtime, config_error
    if runtime is None:
        # A secret that could not be read at cold start (a blip, or fixed since) is tried
        # again, rather than leaving this container broken for its lifetime.
        runtime, config_error = _boot()
    if runtime is None:
        count(CONFIG_ERRORS)
        logger.error("refusing the request: %s", config_error)
        return {"statusCode": 500, "body": "smartjobs is not configured; see the function's logs."}
    if time.monotonic() - runtime.refreshed > _secret_ttl():
        refresh("its time to live passed")
    task = _schedule.task_of(event)
    if task == _schedule.KEEP_WARM:
        return {"statusCode": 200, "body": "warm"}
    if task == _schedule.WATCH_POLL:
        return _schedule.run_watch_poll(runtime)
    if _schedule.is_schedule(event):
        return _schedule.run_digest(runtime, event, context)
    count(SLACK_REQUESTS)
    response = runtime.slack.handle(event, context)
    if (
        response.get("body") == "bad signature"
        and time.monotonic() - runtime.refreshed > FORCED_REFRESH_INTERVAL
        and refresh("a request failed verification")
    ):
        response = runtime.slack.handle(event, context)
    return response
