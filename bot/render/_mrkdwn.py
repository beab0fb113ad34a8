"""Safe pieces of Slack mrkdwn: job data is user data and must never ping or break layout."""

from __future__ import annotations

from datetime import UTC, datetime

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
