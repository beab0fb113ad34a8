"""Slack's limits and the Block Kit primitives every view is built from.

One copy of each limit (``../shared/DESIGN.md``, "Limits that shape the design"), in UTF-16
code units. Primitives cap what they are given as a last resort; views cut job data
earlier, with :func:`bot.render._mrkdwn.fit`, and step down to shorter layouts until
:func:`fits` holds.
"""

from __future__ import annotations

from typing import Any, Final

from bot.render._mrkdwn import blocks_chars, cap, slack_len, truncate

Block = dict[str, Any]
Message = dict[str, Any]
"""``{"text": …, "blocks": […]}``, ready for ``chat.postMessage`` or a response_url."""

MAX_BLOCKS: Final = 50
MAX_BLOCKS_CHARS: Final = 12_000
"""Slack allows about 13 k characters of blocks per message; keep room to spare."""
MAX_HEADER: Final = 150
MAX_SECTION: Final = 3000
MAX_CONTEXT: Final = 2000
"""A context element's text, held like a section field's."""
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_BUTTON_VALUE: Final = 2000
MAX_BUTTON_TEXT: Final = 75
MAX_TEXT: Final = 150
"""Top-level ``text``: what a phone notification shows; longer is cut on the lock screen."""


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(cap(text, MAX_SECTION))}


def context(*texts: str) -> Block:
    elements = [mrkdwn(cap(t, MAX_CONTEXT)) for t in texts[:MAX_CONTEXT_ELEMENTS]]
    return {"type": "context", "elements": elements}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(truncate(text, MAX_HEADER))}


def button(
    action_id: str, label: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> Block:
    """A button; a value longer than Slack allows is a bug upstream, so it raises."""
    if slack_len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"{action_id} value is {len(value)} characters; Slack allows 2000")
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain(truncate(label, MAX_BUTTON_TEXT)),
    }
    if value:
        element["value"] = value
    if url:
        element["url"] = url
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Block) -> list[Block]:
    """An actions block holding ``elements``, or nothing when there are none."""
    return (
        [{"type": "actions", "block_id": block_id, "elements": list(elements)}] if elements else []
    )


def fits(blocks: list[Block]) -> bool:
    return len(blocks) <= MAX_BLOCKS and blocks_chars(blocks) <= MAX_BLOCKS_CHARS


def pack(lines: list[str], limit: int = MAX_SECTION) -> list[str]:
    """Join lines into as few texts as fit in ``limit`` each (one section per text)."""
    texts: list[str] = []
    for line in lines:
        if texts and slack_len(texts[-1]) + 1 + slack_len(line) <= limit:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return texts
