"""Views of smart jobs for Slack (Block Kit) and for the terminal (plain text); pure."""

from bot.render._digest import render_digest, render_digest_failure, render_digest_text
from bot.render._page import (
    ACTION_NEXT,
    ACTION_REFRESH,
    ACTION_SHARE,
    Message,
    PageView,
    render_error,
    render_help,
    render_notice,
    render_page,
)
from bot.render._text import render_page_text

__all__ = [
    "ACTION_NEXT",
    "ACTION_REFRESH",
    "ACTION_SHARE",
    "Message",
    "PageView",
    "render_digest",
    "render_digest_failure",
    "render_digest_text",
    "render_error",
    "render_help",
    "render_notice",
    "render_page",
    "render_page_text",
]
