"""Lambda entry: routes Slack's HTTP events to Bolt and EventBridge schedules to the digest.

Everything is built once per container, at import (Lambda's init phase): settings (and the
SECRETS_ARN secret), the Bolt app, its Lambda adapter. The app itself knows nothing of Lambda.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.aws import AwsClient, LambdaInvoker
from bot.config import ConfigError, Settings
from bot.services import Services
from bot.slack.app import create_app
from bot.store.claims import Claims, DynamoClaims, MemoryClaims
from handler import _schedule
from handler._adapter import LambdaAdapter
from handler._telemetry import CONFIG_ERRORS, SLACK_REQUESTS, count, logger, metrics, record


@dataclass
class Runtime:
    settings: Settings
    services: Services
    app: App
    slack: LambdaAdapter


def build_runtime(environ: Mapping[str, str] | None = None, **overrides: Any) -> Runtime:
    settings = Settings.from_env(environ)
    services = Services(settings=settings, emit=record, **overrides)
    app = create_app(services)
    aws = functools.cache(AwsClient)  # one client, built when first needed (never for an ack)
    claims: Claims = (
        DynamoClaims(settings.digest_table, aws) if settings.digest_table else MemoryClaims()
    )
    adapter = LambdaAdapter(
        app, lambda: LambdaInvoker(aws()), settings.slack_signing_secret, claims=claims
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
    if _schedule.is_schedule(event):
        return _schedule.run_digest(runtime, event, context)
    count(SLACK_REQUESTS)
    return runtime.slack.handle(event, context)
