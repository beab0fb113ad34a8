"""Requests exactly as Slack signs them, wrapped in the event shapes Lambda delivers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


def sign_slack(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """``v0=`` HMAC-SHA256 of ``v0:<ts>:<body>``, as Slack sends it."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


def slash_command_payload(
    text: str,
    *,
    response_url: str,
    team_id: str = "T0DEMO",
    channel_id: str = "C0DEMO",
    user_id: str = "U0DEMO",
    command: str = "/smartjobs",
) -> dict[str, str]:
    """A slash command's fields as Slack sends them: a form over HTTP, the same strings in a
    Socket Mode envelope."""
    return {
        "token": "legacy-unused",
        "team_id": team_id,
        "team_domain": "demo",
        "channel_id": channel_id,
        "channel_name": "on-call",
        "user_id": user_id,
        "user_name": "oncall",
        "command": command,
        "text": text,
        "api_app_id": "A0DEMO",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.demo",
    }


def slash_command_body(text: str, *, response_url: str, **ids: str) -> str:
    """The form body of a slash command POST (``ids``: team_id, channel_id, user_id, command)."""
    return urlencode(slash_command_payload(text, response_url=response_url, **ids))


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    response_url: str,
    team_id: str = "T0DEMO",
    channel_id: str = "C0DEMO",
    user_id: str = "U0DEMO",
    block_id: str = "actions",
    element: str = "button",
) -> dict[str, Any]:
    """A button click's ``block_actions`` payload, as Slack sends it (HTTP and Socket Mode);
    with ``element="overflow"``, the choice of an overflow menu's option ``value``."""
    chosen: dict[str, Any] = (
        {"value": value}
        if element == "button"
        else {"selected_option": {"text": {"type": "plain_text", "text": "…"}, "value": value}}
    )
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "oncall", "team_id": team_id},
        "api_app_id": "A0DEMO",
        "token": "legacy-unused",
        "container": {"type": "message", "is_ephemeral": True, "channel_id": channel_id},
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.demo",
        "team": {"id": team_id, "domain": "demo"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "on-call"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "type": element,
                **chosen,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def block_actions_body(action_id: str, value: str, *, response_url: str, **ids: str) -> str:
    """The form body of a button click POST: ``payload=<JSON>`` (``ids`` as above, block_id)."""
    payload = block_actions_payload(action_id, value, response_url=response_url, **ids)
    return urlencode({"payload": json.dumps(payload)})


def function_url_event(
    body: str, headers: dict[str, str], *, base64_body: bool = True, path: str = "/slack/events"
) -> dict[str, Any]:
    """A Lambda Function URL (payload format 2.0) event, as Lambda delivers Slack's POST."""
    raw = base64.b64encode(body.encode()).decode() if base64_body else body
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "host": "abcdefghij.lambda-url.us-east-1.on.aws",
            "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "x-forwarded-proto": "https",
            **headers,
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghij",
            "domainName": "abcdefghij.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghij",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": raw,
        "isBase64Encoded": base64_body,
    }


def schedule_event(when: str | None = None) -> dict[str, Any]:
    """An EventBridge scheduled event, as the digest schedule delivers it."""
    stamp = when or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": stamp,
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/smartjobs-digest"],
        "detail": {},
    }


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Bolt and Powertools read.

    ``remaining_ms``, when given, answers ``get_remaining_time_in_millis`` (a test's clock).
    """

    function_name: str = "smartjobs-local"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:smartjobs-local"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/smartjobs-local"
    log_stream_name: str = "local"
    remaining_ms: Callable[[], int] | None = None

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms() if self.remaining_ms else 60_000
