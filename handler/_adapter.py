"""Bolt on Lambda, thin: Function URL / HTTP API v2 / REST v1 events in, lazy listeners out.

Bolt's own adapter imports boto3 at import and builds a boto3 Lambda client inside the first
ack (~0.5 s here); this one self-invokes through ``bot.aws`` instead. When the self-invoke is
refused, the lazy work runs inline so the user still gets an answer, and the log says what
to grant.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.lazy_listener import LazyListenerRunner

log = logging.getLogger("bot.lambda")


class Invoker(Protocol):
    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: str) -> Any: ...


class SelfInvokeRunner(LazyListenerRunner):
    """Starts each lazy listener as an async invocation of this same function."""

    def __init__(self, invoker_factory: Callable[[], Invoker], logger: logging.Logger) -> None:
        self._factory = invoker_factory
        self.lambda_client: Invoker | None = None  # the name Bolt's runner uses; tests swap it
        self.logger = logger

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        event: dict[str, Any] = copy.deepcopy(request.context["lambda_request"])
        headers = event.setdefault("headers", {})
        headers["x-slack-bolt-lazy-only"] = "1"
        headers["x-slack-bolt-lazy-function-name"] = request.lazy_function_name
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


class LambdaAdapter:
    def __init__(self, app: App, invoker_factory: Callable[[], Invoker]) -> None:
        self.app = app
        self.runner = SelfInvokeRunner(invoker_factory, log)
        app.listener_runner.lazy_listener_runner = self.runner

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        request_context = event.get("requestContext") or {}
        method = (request_context.get("http") or {}).get("method") or request_context.get(
            "httpMethod"
        )
        if method != "POST":
            return {"statusCode": 404, "body": "Not Found", "headers": {}}
        request = to_bolt_request(event)
        request.context["aws_lambda_function_name"] = context.function_name
        request.context["aws_lambda_invoked_function_arn"] = context.invoked_function_arn
        request.context["lambda_request"] = event
        return to_lambda_response(self.app.dispatch(request))


def to_bolt_request(event: dict[str, Any]) -> BoltRequest:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    headers = dict(event.get("headers") or {})
    return BoltRequest(body=body, query=event.get("queryStringParameters") or {}, headers=headers)


def to_lambda_response(response: BoltResponse) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "body": response.body,
        "headers": response.first_headers(),
    }
