"""A Block Kit message shown as terminal text: what the demo prints of what Slack received."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<([@#!][^>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
# The shortcodes our own messages use; a terminal shows the characters Slack would.
EMOJI = {
    ":x:": "❌",
    ":white_check_mark:": "✅",
    ":hourglass_flowing_sand:": "⏳",
    ":hourglass:": "⌛",
    ":new:": "🆕",
    ":white_circle:": "⚪",
    ":inbox_tray:": "📥",
    ":outbox_tray:": "📤",
    ":mag:": "🔍",
    ":warning:": "⚠️",
    ":no_entry:": "⛔",
    ":bulb:": "💡",
    ":information_source:": "ℹ️",
}
_SHORTCODE = re.compile("|".join(re.escape(code) for code in EMOJI))


def mrkdwn_to_text(text: str, tz: tzinfo = UTC) -> str:
    """Resolve date tokens in ``tz``, unwrap links and mentions, unescape entities."""
    text = _DATE.sub(lambda m: _local(int(m.group(1)), tz), text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(r"\1", text)
    text = _SHORTCODE.sub(lambda m: EMOJI[m.group(0)], text)
    text = _BOLD.sub(r"\1", text)
    return html.unescape(text)


def _local(stamp: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(stamp, tz).strftime("%Y-%m-%d %H:%M %Z")


def _text_of(obj: dict[str, Any] | None, tz: tzinfo) -> str:
    if not obj:
        return ""
    raw = str(obj.get("text", ""))
    return mrkdwn_to_text(raw, tz) if obj.get("type") == "mrkdwn" else html.unescape(raw)


def message_to_text(message: dict[str, Any], tz: tzinfo = UTC, width: int = 72) -> str:
    blocks = message.get("blocks") or []
    if not blocks:
        return mrkdwn_to_text(str(message.get("text", "")), tz)
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text_of(block.get("text"), tz)
            lines += [title, "═" * min(max(len(title), 8), width)]
        elif kind == "section":
            if block.get("text"):
                lines.append(_text_of(block["text"], tz))
            for f in block.get("fields") or []:
                lines.append("  " + _text_of(f, tz))
        elif kind == "context":
            parts = [_text_of(e, tz) for e in block.get("elements") or [] if "text" in e]
            lines.append("  " + " · ".join(p for p in parts if p))
        elif kind == "divider":
            lines.append("─" * width)
        elif kind == "actions":
            buttons = [
                f"[ {_text_of(e.get('text'), tz)} ]"
                for e in block.get("elements") or []
                if e.get("type") == "button"
            ]
            lines.append("  ".join(buttons))
        elif kind == "rich_text":
            lines.append(mrkdwn_to_text(str(block), tz))
    return "\n".join(lines)


def find_button(message: dict[str, Any], action_id: str) -> str | None:
    """The value of the first button with ``action_id``, None when there is none."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                value = element.get("value")
                return str(value) if value is not None else None
    return None
