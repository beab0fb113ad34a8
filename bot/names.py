"""The names users type and Slack sends back: the slash command and every action id.

One place for them: the renderers put these ids on buttons, the listeners register on them,
the stand-ins and tests press them.
"""

from __future__ import annotations

from typing import Final

COMMAND: Final = "/smartjobs"
CLI: Final = "smartjobs"
"""The console script: what terminal usage and hints name instead of the slash command."""

ACTION_NEXT: Final = "next_page"
ACTION_REFRESH: Final = "refresh_page"
ACTION_SHARE: Final = "share_page"
ACTION_SHOW_FAILED: Final = "show_failed"
ACTION_DETAILS: Final = "job_details"
ACTION_BACK: Final = "back_to_list"
ACTION_UNWATCH: Final = "unwatch"
ACTION_MUTE: Final = "mute_watch"
