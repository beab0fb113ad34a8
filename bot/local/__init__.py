"""Local stand-ins for the network peers: Slack (its Web API, response_urls and Socket Mode),
Lambda's async invoke, signed events.

One set serves ``smartjobs demo``, ``smartjobs serve`` smoke runs, the tests and the
benchmarks, so all of them drive the real handler the same way Slack and Lambda do.
"""

from bot.local.events import (
    LambdaContext,
    block_actions_body,
    function_url_event,
    schedule_event,
    sign_slack,
    slash_command_body,
)
from bot.local.lambda_stub import LocalLambda
from bot.local.slack_stub import SlackPost, SlackStub
from bot.local.socket_stub import SocketModeStub

__all__ = [
    "LambdaContext",
    "LocalLambda",
    "SlackPost",
    "SlackStub",
    "SocketModeStub",
    "block_actions_body",
    "function_url_event",
    "schedule_event",
    "sign_slack",
    "slash_command_body",
]
