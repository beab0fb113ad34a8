"""Safe pieces of Slack mrkdwn: job data is user data and must never ping or break layout.

Text level only (escaping, cleaning, cutting, date tokens); the blocks that hold the text
and Slack's limits on them are in :mod:`bot.render._blocks`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# C0/C1 controls, lone surrogates and bidi overrides: they break terminals, JSON or reading order.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Bare-word broadcasts; only `<!channel>` pings, but a client with link_names on would parse these.
# No word boundary: cutting "@here0" to "@here…" must not make one.
_BROADCASTS = re.compile(r"@(?=channel|here|everyone)", re.IGNORECASE)
# What escaped mrkdwn is made of, for cutting it: an entity, a <…> token, or one character.
_ATOMS = re.compile(r"&[a-z]+;|<[^<>]*>|.", re.DOTALL)
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape ``& < >`` so ``<!channel>`` or ``<@U123>`` in a title stays text."""
    return text.translate(_ESCAPES)


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


def cut(atoms: Sequence[str], limit: int, weight: Callable[[str], int]) -> str:
    """The longest prefix of ``atoms`` whose weight plus an ellipsis fits ``limit``.

    Backed off to a word end when one is near. The one cutting routine: raw text is cut
    character by character (weighed as it will be once escaped), escaped mrkdwn atom by
    atom, so an entity or a ``<…>`` token is never split.
    """
    if limit < len(ELLIPSIS):
        return ""
    budget = limit - len(ELLIPSIS)
    used = end = 0
    for atom in atoms:
        used += weight(atom)
        if used > budget:
            break
        end += 1
    text = "".join(atoms[:end])
    after = atoms[end] if end < len(atoms) else ""
    space = text.rfind(" ")
    if after != " " and space >= len(text) * 0.6:
        text = text[:space]
    return text.rstrip() + ELLIPSIS


def truncate(text: str, limit: int) -> str:
    """Plain text (a header, a label) cut to ``limit`` characters as Slack counts them,
    whitespace collapsed."""
    text = " ".join(text.split())
    return text if slack_len(text) <= limit else cut(text, limit, slack_len)


def cap(mrkdwn: str, limit: int) -> str:
    """Last-resort cut of already-escaped mrkdwn to ``limit``, never inside an entity or token."""
    if slack_len(mrkdwn) <= limit:
        return mrkdwn
    return cut(_ATOMS.findall(mrkdwn), limit, slack_len)


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

    The bound holds for the escaped text (a title of 300 ``&`` is 1500 characters once
    escaped), and an entity is never cut in half. Backticks become ``ˋ`` so job data can
    never open or close a code span around our own tokens; ``authored`` text (our hints and
    usage) keeps its backticks.
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
    return escape(cut(raw, limit, _escaped_width))


def fit_plain(text: str | None, limit: int, empty: str = "") -> str:
    """Terminal text: cleaned and cut to ``limit`` characters, nothing escaped."""
    raw = clean(text) or empty
    return raw if len(raw) <= limit else cut(raw, limit, lambda _: 1)


def label(text: str | None, limit: int, empty: str = "") -> str:
    """Job data in a plain_text label (a menu option): cleaned, cut, and without ``<>&``,
    which Slack's plain text has no escape for; the full value is in the mrkdwn beside it."""
    return truncate(clean((text or "").translate(_NO_MARKUP)) or empty, limit)


_NO_MARKUP = str.maketrans({"<": "‹", ">": "›", "&": "+"})


def code(text: str | None, limit: int, empty: str = "?") -> str:
    """An inline code span of job data (ids), ``limit`` counting the backticks."""
    return f"`{fit(text, max(limit - 2, 1), empty)}`"


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
