"""Views of smart jobs for Slack (Block Kit) and for the terminal (plain text); pure.

``_mrkdwn`` (escaping, cutting) and ``_blocks`` (Slack's limits, primitives) are what every
view is built from; ``_jobs`` is how one job reads; one module per view after that.
Each name loads its module on first use (PEP 562): an ack that only says "help" does not
pay for the digest's or the terminal's views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot._lazy import exports

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


__getattr__, __dir__ = exports(__name__, _WHERE, globals())
