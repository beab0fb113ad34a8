"""The Bolt app: ``create_app`` wires the listeners of each capability onto one App.

Ack path: verify, check access, parse (pure), ack. Everything slow (ICE, credentials,
response_url posts) happens in lazy listeners, which Lambda runs in a second invocation and
``smartjobs serve`` in a thread. Listeners are plain functions; Bolt injects what they name,
``services`` included (put in each request's context below).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.services import Services
from bot.slack import access, commands, details, digest, pages, watch


def create_app(
    services: Services,
    *,
    process_before_response: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    settings = services.settings

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # The token comes from configuration: no auth.test round trip on a cold start.
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=settings.slack_bot_token
        )

    def provide_services(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["services"] = services
        return next()

    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_expected_bolt_warnings)
    app = App(
        signing_secret=settings.slack_signing_secret,
        authorize=authorize,
        client=WebClient(base_url=settings.slack_api_url),
        process_before_response=process_before_response,
        logger=bolt_log,
        listener_executor=listener_executor,
    )
    app.middleware(provide_services)
    access.register(app)  # first: a refused click must meet its own listener first
    digest.register(app)
    commands.register(app)
    pages.register(app)
    watch.register(app)
    details.register(app)
    commands.register_fallback(app)
    app.action(re.compile(".*"))(ack_any_other)
    return app


def ack_any_other(ack: Ack) -> None:
    """Link buttons and stale actions must be acked too, or Slack shows an error."""
    ack()


def _expected_bolt_warnings(record: logging.LogRecord) -> bool:
    """Bolt picks SLACK_BOT_TOKEN up from the environment and warns that the client we pass
    (for SLACK_API_URL) wins; that is the intent, so the warning is noise."""
    return "`token` will be unused" not in record.getMessage()
