"""A Block Kit message shown as terminal text: what the demo prints of what Slack received."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.render._mrkdwn import age

_DATE = re.compile(r"<!date\^(\d+)\^([^|>]*)\|([^>]*)>")
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
    ":bell:": "🔔",
    ":no_bell:": "🔕",
    ":mute:": "🔇",
    ":rotating_light:": "🚨",
    ":thread:": "🧵",
    ":round_pushpin:": "📍",
    ":double_vertical_bar:": "⏸️",
}
_SHORTCODE = re.compile("|".join(re.escape(code) for code in EMOJI))


def mrkdwn_to_text(text: str, tz: tzinfo = UTC, now: datetime | None = None) -> str:
    """Resolve date tokens in ``tz`` (an ``{ago}`` one as an age from ``now``), unwrap links
    and mentions, unescape entities."""
    text = _DATE.sub(lambda m: _date(int(m.group(1)), m.group(2), tz, now), text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(r"\1", text)
    text = _SHORTCODE.sub(lambda m: EMOJI[m.group(0)], text)
    text = _BOLD.sub(r"\1", text)
    return html.unescape(text)


def _date(stamp: int, fmt: str, tz: tzinfo, now: datetime | None) -> str:
    when = datetime.fromtimestamp(stamp, tz)
    if fmt == "{ago}":
        return f"{age(when, now or datetime.now(UTC))} ago"
    return when.strftime("%Y-%m-%d %H:%M %Z")


def _text_of(obj: dict[str, Any] | None, tz: tzinfo, now: datetime | None = None) -> str:
    if not obj:
        return ""
    raw = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(raw, tz, now)
    return _SHORTCODE.sub(lambda m: EMOJI[m.group(0)], raw)  # plain text: emoji only


def message_to_text(
    message: dict[str, Any], tz: tzinfo = UTC, width: int = 72, now: datetime | None = None
) -> str:
    """The message as lines of text; ``now`` is what ``{ago}`` dates are counted from."""
    blocks = message.get("blocks") or []
    if not blocks:
        return mrkdwn_to_text(str(message.get("text", "")), tz, now)
    lines: list[str] = []

    def text_of(obj: dict[str, Any] | None) -> str:
        return _text_of(obj, tz, now)

    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = text_of(block.get("text"))
            lines += [title, "═" * min(max(len(title), 8), width)]
        elif kind == "section":
            if block.get("text"):
                lines.append(text_of(block["text"]) + _accessory(block.get("accessory")))
            for f in block.get("fields") or []:
                lines.append("  " + text_of(f))
        elif kind == "context":
            parts = [text_of(e) for e in block.get("elements") or [] if "text" in e]
            lines.append("  " + " · ".join(p for p in parts if p))
        elif kind == "divider":
            lines.append("─" * width)
        elif kind == "actions":
            buttons = [
                f"[ {text_of(e.get('text'))} ]"
                for e in block.get("elements") or []
                if e.get("type") == "button"
            ]
            lines.append("  ".join(buttons))
        elif kind == "rich_text":
            lines.append(mrkdwn_to_text(str(block), tz, now))
    return "\n".join(lines)


def _accessory(element: dict[str, Any] | None) -> str:
    """A section's own control, after its text: ``[ Details ]``, or ``[ ⋯ ]`` for a menu."""
    if not element:
        return ""
    if element.get("type") == "button":
        return f"  [ {html.unescape(str((element.get('text') or {}).get('text', '')))} ]"
    return "  [ ⋯ ]" if element.get("type") == "overflow" else ""


def find_button(message: dict[str, Any], action_id: str) -> str | None:
    """The value of the first button with ``action_id``, None when there is none."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                value = element.get("value")
                return str(value) if value is not None else None
    return None
