"""Slack's raw HTTP requests, checked before anything parses them: size, signature, shape.

Pure. Both HTTP entries (the Lambda adapter and ``smartjobs serve``) call :func:`check` on the
bytes as they arrived; only a request that Slack signed, within five minutes, and whose body
has the shape Slack sends, reaches Bolt, already parsed (:func:`bolt_request`). Everything
else gets a short 400, 401 or 413 and one bounded log line from the caller, never a
traceback, and its body is never logged (it may hold a response_url, a capability).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

MAX_BODY: Final = 1 << 20
"""Slack's own payloads stay far below this (a big block_actions is ~20 kB)."""
MAX_AGE: Final = 5 * 60
"""Seconds a signed request stays valid, as Slack documents (replays are refused)."""
LAZY_HEADERS: Final = ("x-slack-bolt-lazy-only", "x-slack-bolt-lazy-function-name")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a request is refused: an HTTP status and a few words for the log and the body."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Verified:
    """A request Slack signed: its parsed body and its lower-cased headers."""

    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def request_key(self) -> str:
        """Stable per Slack request (its signature covers the body and the timestamp)."""
        return hashlib.sha256(self.headers.get("x-slack-signature", "").encode()).hexdigest()[:32]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:<timestamp>:<body>``, keyed with the signing secret."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def lowered(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Header names lower-cased; a multi-value header keeps its first value."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        out.setdefault(str(name).lower(), str(value))
    return out


def check(
    body: bytes, headers: Mapping[str, Any] | None, secret: str, *, now: float
) -> Verified | Rejection:
    """The request, verified and parsed, or why it is refused. Never raises."""
    if len(body) > MAX_BODY:
        return Rejection(413, "body too large")
    names = lowered(headers)
    timestamp = names.get("x-slack-request-timestamp", "")
    given = names.get("x-slack-signature", "")
    if not timestamp or not given:
        return Rejection(401, "unsigned")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Rejection(401, "bad timestamp")
    if abs(now - int(timestamp)) > MAX_AGE:
        return Rejection(401, "stale timestamp")
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), given.encode()):
        return Rejection(401, "bad signature")
    parsed = _parse(body, names.get("content-type", ""))
    if isinstance(parsed, Rejection):
        return parsed
    return Verified(parsed, names)


def _parse(body: bytes, content_type: str) -> dict[str, Any] | Rejection:
    """The body as Slack shapes it: JSON (Events API), or a form whose ``payload`` is JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "body is not UTF-8")
    if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
        return _json_object(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"])
    return form


def _json_object(text: str) -> dict[str, Any] | Rejection:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return Rejection(400, "body is not valid JSON")
    if not isinstance(value, dict):
        return Rejection(400, "body is not a JSON object")
    return value


def bolt_request(verified: Verified, context: dict[str, Any] | None = None) -> Any:
    """A Bolt request that is already verified and parsed.

    ``mode="socket_mode"`` is how Bolt takes a request whose signature was checked upstream
    and whose body is a dict: its own parser (which reads any body containing the word
    "payload" as an interactive payload) and its verification are both skipped.
    """
    from slack_bolt import BoltRequest

    return BoltRequest(
        body=verified.body, headers=dict(verified.headers), context=context, mode="socket_mode"
    )
