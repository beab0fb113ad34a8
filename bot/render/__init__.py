"""Views of smart jobs for Slack (Block Kit) and for the terminal (plain text); pure.

``_mrkdwn`` (escaping, cutting) and ``_blocks`` (Slack's limits, primitives) are what every
view is built from; ``_jobs`` is how one job reads; one module per view after that.
Each name loads its module on first use (PEP 562): an ack that only says "help" does not
pay for the digest's or the terminal's views.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.render._blocks import Message
    from bot.render._digest import render_digest, render_digest_failure
    from bot.render._messages import (
        filter_error_message,
        ice_error_headline,
        ice_error_message,
        not_allowed_message,
        render_error,
        render_help,
        render_notice,
        stale_button_message,
        unexpected_error_message,
    )
    from bot.render._page import PageView, render_page
    from bot.render._text import render_details_text, render_digest_text, render_page_text

_WHERE = {
    "bot.render._blocks": ("Message",),
    "bot.render._digest": ("render_digest", "render_digest_failure"),
    "bot.render._messages": (
        "filter_error_message",
        "ice_error_headline",
        "ice_error_message",
        "not_allowed_message",
        "render_error",
        "render_help",
        "render_notice",
        "stale_button_message",
        "unexpected_error_message",
    ),
    "bot.render._page": ("PageView", "render_page"),
    "bot.render._text": ("render_details_text", "render_digest_text", "render_page_text"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = [
    "Message",
    "PageView",
    "filter_error_message",
    "ice_error_headline",
    "ice_error_message",
    "not_allowed_message",
    "render_details_text",
    "render_digest",
    "render_digest_failure",
    "render_digest_text",
    "render_error",
    "render_help",
    "render_notice",
    "render_page",
    "render_page_text",
    "stale_button_message",
    "unexpected_error_message",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'bot.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
