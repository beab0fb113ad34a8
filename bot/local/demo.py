"""`smartjobs demo`: the whole path on this machine, no accounts.

A local ICE emulator, a local Slack, and the real Lambda handler: a signed `/smartjobs`
Function URL event goes into ``lambda_handler``; the lazy self-invoke Bolt makes is caught
and run through the handler again, as Lambda would; the answer posted to the response_url
is printed; then "Next page" is pressed the same way.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator
from bot.local import (
    LambdaContext,
    LocalLambda,
    SlackStub,
    block_actions_body,
    function_url_event,
    sign_slack,
    slash_command_body,
)
from bot.names import ACTION_BACK, ACTION_DETAILS, ACTION_NEXT, ACTION_REFRESH
from bot.render._slack_text import find_button, message_to_text

DEMO_SIGNING_SECRET = "smartjobs-demo-signing-secret"  # noqa: S105 - public demo value
DEMO_BOT_TOKEN = "xoxb-smartjobs-demo-token"  # noqa: S105 - public demo value
DEMO_UNTIDY_RATE = 0.02
"""A few jobs with the service's odd field types, so a newcomer sees they render fine."""


def demo_environment(slack_api_url: str, ice_url: str) -> dict[str, str]:
    """The whole configuration of a local deployment: demo secrets, local endpoints."""
    return {
        "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
        "SLACK_BOT_TOKEN": DEMO_BOT_TOKEN,
        "SLACK_API_URL": slack_api_url,
        "ICE_ENDPOINT": ice_url,
        "ICE_REGION": "cn-shanghai",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "smartjobs",
    }


@dataclass
class LocalDeployment:
    """The real ``lambda_handler`` wired to local Slack, ICE and Lambda stand-ins."""

    slack: SlackStub
    ice: Emulator
    lam: LocalLambda
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    secret: str = DEMO_SIGNING_SECRET
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The ack of each request sent with ``command``/``press``, by its response_url."""

    def send(self, body: str) -> tuple[dict[str, Any], float, int]:
        """POST a signed body as Slack would; run the lazy self-invokes. Returns the ack,
        its latency in ms, and how many lazy invocations ran."""
        return self.deliver(function_url_event(body, sign_slack(self.secret, body)))

    def deliver(
        self, event: dict[str, Any], response_url: str | None = None
    ) -> tuple[dict[str, Any], float, int]:
        """``send`` for a ready event (another shape, odd headers); ``response_url`` files the
        ack under that url for :meth:`answers`."""
        context = LambdaContext()
        started = time.perf_counter()
        ack = self.handler(event, context)
        elapsed = (time.perf_counter() - started) * 1000
        if response_url is not None:
            self.acks[response_url] = ack
        ran = self.lam.run_pending(self.handler, context)
        return ack, elapsed, ran

    def command(self, text: str, **fields: str) -> tuple[str, dict[str, Any], float]:
        url = self.slack.response_url()
        ack, ms, _ = self.send(slash_command_body(text, response_url=url, **fields))
        self.acks[url] = ack
        return url, ack, ms

    def press(self, action_id: str, value: str, **fields: str) -> tuple[str, dict[str, Any], float]:
        url = self.slack.response_url()
        ack, ms, _ = self.send(block_actions_body(action_id, value, response_url=url, **fields))
        self.acks[url] = ack
        return url, ack, ms

    def answers(self, url: str) -> list[dict[str, Any]]:
        """What the user saw, in order: a message in the ack itself, then the response_url's."""
        return ack_message(self.acks.get(url)) + [post.body for post in self.slack.to(url)]


@contextmanager
def local_deployment(
    *,
    environ: dict[str, str] | None = None,
    services: dict[str, Any] | None = None,
    **emulator: Any,
) -> Iterator[LocalDeployment]:
    """Start the stand-ins, point the real handler at them, restore the environment after.

    ``services`` goes to :class:`~bot.services.Services` (its hooks: ``ice_factory``,
    ``now``, ``emit``); ``emulator`` to :class:`Emulator` (``count``, ``seed``, ``jobs``,
    ``faults``…).
    """
    with (
        SlackStub() as slack,
        Emulator(**{"count": 500, "seed": 7, **emulator}) as ice,
        tempfile.TemporaryDirectory(prefix="smartjobs-local-") as state,
    ):
        # Its own state (watches) in a scratch file, unless the caller names one.
        local_state = {"SMARTJOBS_DB": os.path.join(state, "smartjobs.db")}
        env = demo_environment(slack.api_url, ice.url) | local_state | (environ or {})
        # Settings go to the handler explicitly; only Powertools reads the process
        # environment (and Bolt would pick up a stray SLACK_BOT_TOKEN from it).
        process_env = {k: v for k, v in env.items() if k.startswith("POWERTOOLS_")}
        saved = {k: os.environ.get(k) for k in process_env}
        os.environ.update(process_env)
        try:
            import handler.app as entry

            entry.runtime = entry.build_runtime(env, **(services or {}))
            entry.config_error = None
            lam = LocalLambda()
            entry.runtime.slack.runner.lambda_client = lam
            try:
                yield LocalDeployment(
                    slack, ice, lam, entry.lambda_handler, env["SLACK_SIGNING_SECRET"]
                )
            finally:
                entry.runtime.services.close()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


_KEYS: dict[str, tuple[str, str]] = {
    "n": (ACTION_NEXT, "Next page"),
    "d": (ACTION_DETAILS, "Details"),
    "b": (ACTION_BACK, "Back to list"),
    "r": (ACTION_REFRESH, "Refresh"),
}
_SCRIPT = ("n", "d", "b")
"""Without a terminal: Next page, the first job's Details, Back to list; then quit."""


def run_demo(
    text: str,
    *,
    interactive: bool,
    out: Callable[[str], None] = print,
    ask: Callable[[str], str] = input,
) -> int:
    """A slash command, then the buttons as asked (Next page, Details, Back to list,
    Refresh); every answer printed as Slack shows it."""
    with local_deployment(untidy=DEMO_UNTIDY_RATE) as local:
        out(
            f"ICE emulator at {local.ice.url} ({len(local.ice.jobs)} jobs); "
            f"Slack stand-in at {local.slack.url}"
        )
        out(f"\n$ /smartjobs {text}")
        answers = _shown(local, *local.command(text), out)
        if not answers:
            return 1
        message = answers[-1]
        presses = 0
        while offered := _offered(message):
            choice = _choose(interactive, presses, ask, offered)
            if choice == "q":
                return 0
            action, label = _KEYS[choice]
            out(f"\n[pressed {label}]")
            answers = _shown(local, *local.press(action, **offered[choice]), out)
            if not answers:
                return 1
            for answer in answers:
                if answer.get("replace_original", True) is not False:
                    message = answer  # an error arrives beside the list, which stays
            presses += 1
        out("\n(no more buttons to press)")
        return 0


def _shown(
    local: LocalDeployment,
    url: str,
    ack: dict[str, Any],
    ms: float,
    out: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Print a request's ack and every answer it got (none: say so); return the answers."""
    out(f"  ack: HTTP {ack['statusCode']} in {ms:.0f} ms")
    answers = local.answers(url)
    if not answers:
        out("  (no answer reached Slack: see the log lines above)")
    for answer in answers:
        out(indent(message_to_text(answer)))
    return answers


def _offered(message: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The keys this message's buttons answer to, each with what pressing it sends."""
    offered: dict[str, dict[str, str]] = {}
    for key, (action, _) in _KEYS.items():
        if (value := find_button(message, action)) is not None:
            offered[key] = {"value": value}
    for block in message.get("blocks") or []:  # the first job's Details control
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ACTION_DETAILS:
            overflow = accessory.get("type") == "overflow"
            value = accessory["options"][0]["value"] if overflow else accessory.get("value")
            offered["d"] = {
                "value": str(value),
                "block_id": str(block.get("block_id", "")),
                "element": "overflow" if overflow else "button",
            }
            break
    return offered


def _choose(
    interactive: bool, presses: int, ask: Callable[[str], str], offered: dict[str, Any]
) -> str:
    """A key of ``offered`` or q; anything else asks again. Without a terminal: the script."""
    if not interactive:
        wanted = _SCRIPT[presses] if presses < len(_SCRIPT) else "q"
        return wanted if wanted in offered else "q"
    words = {"n": "[n]ext page", "d": "[d]etails of the first job", "b": "[b]ack to list"}
    words["r"] = "[r]efresh"
    prompt = "\n" + ", ".join(words[k] for k in _KEYS if k in offered) + ", [q]uit > "
    while True:
        try:
            choice = ask(prompt).strip().lower()
        except EOFError:
            return "q"
        if choice in offered or choice == "q":
            return choice


def ack_message(ack: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The message an ack's body carries (help, an error, a page answered inline), if any."""
    try:
        answered = json.loads((ack or {}).get("body") or "")
    except ValueError:
        return []
    return [answered] if isinstance(answered, dict) and answered.get("blocks") else []


def indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
