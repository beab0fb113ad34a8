"""Safe pieces of Slack mrkdwn: job data is user data and must never ping or break layout."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape ``& < >`` so ``<!channel>`` or ``<@U123>`` in a title stays text."""
    return text.translate(_ESCAPES)


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut to ``limit`` characters at most, on a word boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ellipsis), 0)]
    space = cut.rfind(" ")
    if space >= len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def safe(text: str | None, limit: int, empty: str = "(untitled)") -> str:
    """Truncate first, then escape: escaping can only lengthen, so leave room (x5 worst case)."""
    if not text or not text.strip():
        return empty
    return escape(truncate(text, limit))


def date_token(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token: shown in the *viewer's* time zone, UTC text as fallback."""
    stamp = int(when.timestamp())
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{fmt}|{fallback}>"


def age(when: datetime, now: datetime) -> str:
    """Compact age for notification text and terminals: ``5 min``, ``3 h``, ``2 d``."""
    seconds = max(int((now - when).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


# --- added for page rendering: cleaning, Slack lengths, escape-aware cutting -----------------

# C0/C1 controls, lone surrogates and bidi overrides: they break terminals, JSON or reading order.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Bare-word broadcasts; only `<!channel>` pings, but a client with link_names on would parse these.
# No word boundary: cutting "@here0" to "@here…" must not make one.
_BROADCASTS = re.compile(r"@(?=channel|here|everyone)", re.IGNORECASE)
_ELLIPSIS = "…"


def slack_len(text: str) -> int:
    """Length in UTF-16 code units, the conservative reading of Slack's character limits."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def blocks_chars(blocks: list[dict[str, Any]]) -> int:
    """Size of a ``blocks`` array as Slack counts it (~13,000 allowed per message)."""
    return slack_len(json.dumps(blocks, ensure_ascii=False))


def clean(text: str | None, *, keep_lines: bool = False) -> str:
    """Strip control characters; collapse whitespace (per line when ``keep_lines``)."""
    if not text:
        return ""
    if not keep_lines:
        return " ".join(_CONTROLS.sub(" ", text).split())
    lines = (_CONTROLS.sub(" ", line).rstrip() for line in text.splitlines())
    return "\n".join(lines).strip("\n")


def _cut(text: str, limit: int, weight: Callable[[str], int]) -> str:
    """Longest prefix whose weighted length plus an ellipsis fits, backed off to a word end."""
    budget = limit - len(_ELLIPSIS)
    used = end = 0
    for i, ch in enumerate(text):
        used += weight(ch)
        if used > budget:
            break
        end = i + 1
    cut = text[:end]
    space = cut.rfind(" ")
    if text[end : end + 1] != " " and space >= len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip() + _ELLIPSIS if limit >= len(_ELLIPSIS) else ""


def _escaped_width(ch: str) -> int:
    return slack_len(escape(ch))


def fit(
    text: str | None,
    limit: int,
    empty: str = "",
    *,
    keep_lines: bool = False,
    authored: bool = False,
) -> str:
    """Job data ready for mrkdwn: cleaned, defanged, escaped, and *after escaping* ≤ ``limit``.

    Unlike :func:`safe` the bound holds for the escaped text (a title of 300 ``&`` is 1500
    characters once escaped), and an entity is never cut in half. Backticks become ``ˋ`` so
    job data can never open or close a code span around our own tokens; ``authored`` text
    (our hints and usage) keeps its backticks.
    """
    raw = clean(text, keep_lines=keep_lines)
    if not authored:
        raw = raw.replace("`", "ˋ")
    raw = _BROADCASTS.sub("@\u2060", raw)
    if not raw.strip():
        raw = empty
    escaped = escape(raw)
    if slack_len(escaped) <= limit:
        return escaped
    return escape(_cut(raw, limit, _escaped_width))


def fit_plain(text: str | None, limit: int, empty: str = "") -> str:
    """Terminal text: cleaned and cut to ``limit`` characters, nothing escaped."""
    raw = clean(text) or empty
    return raw if len(raw) <= limit else _cut(raw, limit, lambda _: 1)


def code(text: str | None, limit: int, empty: str = "?") -> str:
    """An inline code span of job data (ids), ``limit`` counting the backticks."""
    return f"`{fit(text, max(limit - 2, 1), empty)}`"
