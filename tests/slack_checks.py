"""What every message the bot sends must hold: Slack's limits, and no job data that could
form a Slack token (a ping, a link, a mention). One checker for every view."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.render._mrkdwn import blocks_chars, slack_len

Message = dict[str, Any]

# Our own tokens: Slack date tokens (any format) and, where a view names a person, a mention.
DATE_TOKEN = re.compile(r"<!date\^-?\d+\^[^|<>]*\|[^<>&|]*>")
MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def texts(message: Message) -> list[str]:
    """Every displayed string: the notification text and each text object in the blocks."""
    found = [message["text"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(node["text"])
            for key, value in node.items():
                if key != "value":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message["blocks"])
    return found


def _button(element: dict[str, Any], action_ids: list[str]) -> None:
    assert element["type"] == "button"
    assert 1 <= slack_len(element["text"]["text"]) <= 75
    assert 1 <= slack_len(element.get("value", "x")) <= 2000
    action_ids.append(element["action_id"])


def _accessory(element: dict[str, Any], action_ids: list[str]) -> None:
    """A section's accessory: a button, or an overflow menu of two to five options."""
    if element["type"] != "overflow":
        _button(element, action_ids)
        return
    options = element["options"]
    assert 1 <= len(options) <= 5
    for option in options:
        assert option["text"]["type"] == "plain_text"
        assert 1 <= slack_len(option["text"]["text"]) <= 75
        assert 1 <= slack_len(option["value"]) <= 150
    action_ids.append(element["action_id"])


def assert_block_kit_limits(message: Message) -> None:
    """Slack's documented limits (and the ~13k total) for one message."""
    blocks = message["blocks"]
    assert isinstance(message["text"], str) and message["text"].strip()
    assert slack_len(message["text"]) <= 150
    assert 1 <= len(blocks) <= 50
    assert blocks_chars(blocks) <= 13_000
    action_ids: list[str] = []
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert all(1 <= len(block_id) <= 255 for block_id in block_ids)
    assert len(block_ids) == len(set(block_ids)), "block ids are unique in a message"
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 1 <= slack_len(block["text"]["text"]) <= 150
        elif kind == "section":
            assert block["text"]["type"] == "mrkdwn"
            assert 1 <= slack_len(block["text"]["text"]) <= 3000
            assert block["text"]["text"].strip()
            assert len(block.get("fields", [])) <= 10
            if "accessory" in block:
                _accessory(block["accessory"], action_ids)
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for element in block["elements"]:
                assert 1 <= slack_len(element["text"]) <= 3000
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                _button(element, action_ids)
        else:
            pytest.fail(f"unexpected block type {kind}")
    if not any(b.get("accessory") for b in blocks):  # a list's per-row buttons share an id
        assert len(action_ids) == len(set(action_ids))


def assert_escaped(message: Message, *, mentions: int = 0) -> None:
    """No job data can form a Slack token: only our date tokens (and ``mentions`` of people
    we name ourselves) contain ``<``; entities are whole; no bare broadcast words."""
    for text in texts(message):
        rest = DATE_TOKEN.sub("", text)
        rest = MENTION.sub("", rest, count=mentions)
        assert "<" not in rest and ">" not in rest, text
        assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", rest, re.DOTALL), text
        assert not re.search(r"@(?:channel|here|everyone)\b", rest, re.IGNORECASE), text


def assert_slack_safe(message: Message, *, mentions: int = 0) -> None:
    assert_block_kit_limits(message)
    assert_escaped(message, mentions=mentions)
