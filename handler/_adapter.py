"""Bolt on Lambda, thin: Function URL / HTTP API v2 / REST v1 events in, lazy listeners out.

Bolt's own adapter imports boto3 at import and builds a boto3 Lambda client inside the first
ack (~0.5 s here); this one self-invokes through ``bot.aws`` instead. Every event is checked
(size, Slack's signature, shape) by :mod:`bot.slack.inbound` before Bolt sees it. A lazy run
claims its request first (:mod:`bot.store.claims`), so a Lambda retry or an inline fallback
never answers twice. When the self-invoke is refused, the lazy work runs inline so the user
still gets an answer, and the log says what to grant.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.lazy_listener import LazyListenerRunner

from bot.slack import inbound
from bot.slack.answers import ANSWER_BY, ANSWERED
from bot.store.claims import Claims, MemoryClaims
from bot.telemetry import Answered, Emit, discard

log = logging.getLogger("bot.lambda")

LAZY_KEY: Final = "smartjobs_lazy"
"""Marks a self-invoked event. Only our own Invoke can set a top-level key: a Function URL
event is built by Lambda, so a request from outside can never pose as a lazy run (headers
it sends, Bolt's ``x-slack-bolt-lazy-*`` included, are dropped)."""
CLAIM_MARGIN: Final = 10.0


class Invoker(Protocol):
    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: str) -> Any: ...


class SelfInvokeRunner(LazyListenerRunner):
    """Starts each lazy listener as an async invocation of this same function."""

    def __init__(
        self,
        invoker_factory: Callable[[], Invoker],
        logger: logging.Logger,
        claims: Claims,
        emit: Emit,
    ) -> None:
        self._factory = invoker_factory
        self.lambda_client: Invoker | None = None  # the name Bolt's runner uses; tests swap it
        self.logger = logger
        self.claims = claims
        self.emit = emit

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        if request.context.get(ANSWERED):
            return  # the ack answered already: nothing is left to do
        event: dict[str, Any] = copy.deepcopy(request.context["lambda_request"])
        event[LAZY_KEY] = {"function": request.lazy_function_name}
        try:
            if self.lambda_client is None:
                self.lambda_client = self._factory()
            self.lambda_client.invoke(
                FunctionName=request.context["aws_lambda_invoked_function_arn"],
                InvocationType="Event",
                Payload=json.dumps(event),
            )
        except Exception as error:
            log.error(
                "lazy self-invoke failed (%s); answering inline instead, which may exceed "
                "Slack's 3 s. Fix: allow lambda:InvokeFunction on this function's own ARN "
                "(template.yaml grants it) and check AWS_REGION.",
                error,
            )
            self.run(function, request)

    def run(self, function: Callable[..., None], request: BoltRequest) -> None:
        """Run a lazy listener unless another run has answered (or is answering) its request."""
        key = f"{request.context['smartjobs_request']}#{request.lazy_function_name}"
        remaining = request.context.get("aws_lambda_remaining_seconds", 60.0)
        if not self.claims.begin(key, busy_for=remaining + CLAIM_MARGIN):
            log.info("already answered: %s (a retried or duplicated invocation)", key)
            return
        try:
            super().run(function, request)
        finally:
            self.claims.finish(key)
        arrived = request.context.get("smartjobs_arrived")
        if isinstance(arrived, float):
            self.emit(Answered("lazy", (time.time() - arrived) * 1000))


class LambdaAdapter:
    def __init__(
        self,
        app: App,
        invoker_factory: Callable[[], Invoker],
        signing_secret: str,
        *,
        claims: Claims | None = None,
        inline_budget: float = 0.0,
        clock: Callable[[], float] = time.time,
        emit: Emit = discard,
    ) -> None:
        self.app = app
        self.signing_secret = signing_secret
        self.inline_budget = inline_budget
        """Seconds after the request's arrival an answer may take to go in the ack (0: never).
        The clock starts when the request reached the Function URL, so a cold start counts."""
        self.clock = clock
        self.emit = emit
        self.runner = SelfInvokeRunner(invoker_factory, log, claims or MemoryClaims(), emit)
        app.listener_runner.lazy_listener_runner = self.runner

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        request_context = event.get("requestContext") or {}
        method = (request_context.get("http") or {}).get("method") or request_context.get(
            "httpMethod"
        )
        if method != "POST":
            return {"statusCode": 404, "body": "Not Found", "headers": {}}
        verified = self.verify(event)
        if isinstance(verified, inbound.Rejection):
            return {"statusCode": verified.status, "body": verified.reason, "headers": {}}
        request = inbound.bolt_request(_with_lazy_marker(verified, event.get(LAZY_KEY)))
        request.context["aws_lambda_function_name"] = context.function_name
        request.context["aws_lambda_invoked_function_arn"] = context.invoked_function_arn
        request.context["aws_lambda_remaining_seconds"] = _remaining(context)
        request.context["lambda_request"] = {k: v for k, v in event.items() if k != LAZY_KEY}
        request.context["smartjobs_request"] = verified.request_key
        arrived = request.context["smartjobs_arrived"] = _arrival(event, self.clock)
        if self.inline_budget > 0 and not request.lazy_only:
            request.context[ANSWER_BY] = arrived + self.inline_budget
        response = self.app.dispatch(request)
        if request.context.get(ANSWERED):
            self.emit(Answered("inline", (self.clock() - arrived) * 1000))
        return to_lambda_response(response)

    def verify(self, event: dict[str, Any]) -> inbound.Verified | inbound.Rejection:
        """The event's body checked as Slack sent it; a refusal is logged once, bounded."""
        raw = _raw_body(event)
        if raw is None:
            result: inbound.Verified | inbound.Rejection = inbound.Rejection(
                400, "body is not valid base64"
            )
        else:
            result = inbound.check(raw, event.get("headers"), self.signing_secret, now=self.clock())
        if isinstance(result, inbound.Rejection):
            log.warning(
                "refused a request: %s (HTTP %d, %d bytes, from %s)",
                result.reason,
                result.status,
                len(str(event.get("body") or "")),
                _source(event),
            )
        return result


def _raw_body(event: dict[str, Any]) -> bytes | None:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        return None
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    return body.encode("utf-8", "surrogatepass")


def _with_lazy_marker(verified: inbound.Verified, marker: Any) -> inbound.Verified:
    headers = {k: v for k, v in verified.headers.items() if k not in inbound.LAZY_HEADERS}
    if isinstance(marker, dict) and isinstance(marker.get("function"), str):
        headers["x-slack-bolt-lazy-only"] = "1"
        headers["x-slack-bolt-lazy-function-name"] = marker["function"]
    return inbound.Verified(verified.body, headers)


def _arrival(event: dict[str, Any], clock: Callable[[], float]) -> float:
    """When the request reached the Function URL (a cold start's init is behind it), or now."""
    request_context = event.get("requestContext") or {}
    for key in ("timeEpoch", "requestTimeEpoch"):  # Function URL / HTTP API v2, REST v1
        value = request_context.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return min(float(value) / 1000, clock())
    return clock()


def _remaining(context: Any) -> float:
    try:
        return float(context.get_remaining_time_in_millis()) / 1000
    except (AttributeError, TypeError, ValueError):
        return 60.0


def _source(event: dict[str, Any]) -> str:
    request_context = event.get("requestContext") or {}
    source = (request_context.get("http") or {}).get("sourceIp") or (
        request_context.get("identity") or {}
    ).get("sourceIp")
    return str(source or "unknown")[:64]


def to_lambda_response(response: BoltResponse) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "body": response.body,
        "headers": response.first_headers(),
    }
