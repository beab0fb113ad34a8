"""`smartjobs demo watch`: a watch set through the real handler, a live ICE world, polls.

The emulator runs in live mode on a clock the demo moves on five minutes a poll: jobs
arrive, finish and fail (seeded, so every run tells the same story). The watch is set with
a signed ``/smartjobs watch`` through ``lambda_handler``; each poll is the schedule's own
event through ``lambda_handler`` too; whatever reached Slack is printed as it would appear.
Halfway, a translation job created hours ago fails: a late failure still alerts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from bot.ice.emulator import Live
from bot.ice.emulator._details import created_at
from bot.ice.emulator._live import Change
from bot.local import LambdaContext
from bot.local.demo import LocalDeployment, ack_message, indent, local_deployment
from bot.local.slack_stub import SlackPost
from bot.query import duration_words
from bot.render._slack_text import message_to_text

POLL_EVENT: Final = {"smartjobs": "watch-poll"}
STEP: Final = timedelta(minutes=5)
POLLS: Final = 6
LATE_FAILURE_AT: Final = 3
"""The poll before which an old, still running job fails."""
WORLD: Final = Live(arrivals_per_hour=60, failure_rate=0.3)


class DemoClock:
    """The deployment's and the world's time: the demo moves it on, nobody waits."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at


def run_watch_demo(
    filters: Sequence[str],
    *,
    interactive: bool,
    out: Callable[[str], None] = print,
    ask: Callable[[str], str] = input,
) -> int:
    """Watch, then ``POLLS`` polls five world-minutes apart; 0 when an alert was posted."""
    clock = DemoClock()
    text = " ".join(["watch", *filters]) if filters else "watch failed"
    with local_deployment(
        count=300, seed=7, live=WORLD, clock=clock, services={"now": clock}
    ) as local:
        out(
            f"ICE emulator at {local.ice.url}, live: about {WORLD.arrivals_per_hour:.0f} new "
            f"jobs an hour, {WORLD.failure_rate:.0%} of them fail; Slack stand-in at "
            f"{local.slack.url}"
        )
        slack = _Slack(local, out, clock)
        out(f"\n$ /smartjobs {text}        (in #on-call)")
        _, ack, ms = local.command(text)
        out(f"  ack: HTTP {ack['statusCode']} in {ms:.0f} ms")
        slack.show()
        if not _watching(local):
            out("  (no watch was set: see the answer above)")
            return 1
        alerts = 0
        for number in range(1, POLLS + 1):
            if interactive and not _go_on(ask, number):
                break
            clock.at += STEP
            changes = local.ice.advance()
            if number == LATE_FAILURE_AT and (late := _late_failure(local, clock.at)) is not None:
                changes.append(late)
                age = clock.at - (created_at(_job(local, late.job_id)) or clock.at)
                out(f"\n(a {late.job_type} job created {age.seconds // 3600} h ago fails now)")
            out(f"\n[{clock.at:%H:%M} UTC, +{number * 5} min] {_summary(local, changes, clock.at)}")
            answer = local.handler(dict(POLL_EVENT), LambdaContext())
            out(f"  watch poll (the schedule's event through lambda_handler): {answer.get('body')}")
            alerts += sum(1 for p in slack.show() if p.method == "chat.postMessage")
        out("\n$ /smartjobs watches")
        local.command("watches")
        slack.show()
        out(f"\n{alerts} alert message{'s' if alerts != 1 else ''} in #on-call.")
        return 0 if alerts else 1


def _watching(local: LocalDeployment) -> bool:
    import handler.app as entry

    return entry.runtime is not None and bool(entry.runtime.services.watches().watches())


def _go_on(ask: Callable[[str], str], number: int) -> bool:
    try:
        choice = ask(f"\n[Enter] poll {number} of {POLLS} (5 minutes later), [q]uit > ")
    except EOFError:
        return False
    return choice.strip().lower() != "q"


def _lookback() -> timedelta:
    import handler.app as entry

    assert entry.runtime is not None
    return entry.runtime.settings.watch_lookback


def _late_failure(local: LocalDeployment, now: datetime) -> Change | None:
    """The oldest job still running that the watch looks back to fails now: created hours
    before it alerts."""
    running = [
        j
        for j in local.ice.jobs
        if j.get("JobState") in ("Executing", "Created")
        and (created := created_at(j)) is not None
        and now - _lookback() < created < now - timedelta(hours=1)
    ]
    if not running:
        return None
    return local.ice.fail(str(running[-1]["JobId"]))


def _summary(local: LocalDeployment, changes: Sequence[Change], now: datetime) -> str:
    if not changes:
        return "nothing changed in ICE"
    arrived = sum(1 for c in changes if c.arrived)
    moved = Counter(c.state.lower() for c in changes if not c.arrived)
    parts = [f"{arrived} job{'s' if arrived != 1 else ''} arrived"] if arrived else []
    parts += [f"{n} {state}" for state, n in sorted(moved.items())]
    old = [
        c
        for c in changes
        if c.state == "Failed"
        and (created := created_at(_job(local, c.job_id))) is not None
        and created < now - _lookback()
    ]
    if old:
        parts.append(
            f"{len(old)} of the failed created before WATCH_LOOKBACK "
            f"({duration_words(_lookback())}), so not watched"
        )
    return "ICE: " + ", ".join(parts)


def _job(local: LocalDeployment, job_id: str) -> dict[str, Any]:
    return next((j for j in local.ice.jobs if j.get("JobId") == job_id), {})


class _Slack:
    """Prints what reached Slack since it last looked: channel posts, private answers."""

    def __init__(
        self, local: LocalDeployment, out: Callable[[str], None], clock: DemoClock
    ) -> None:
        self.local, self.out, self.clock = local, out, clock
        self.seen = len(local.slack.posts)
        self.acks: set[str] = set()

    def show(self) -> list[SlackPost]:
        for url, ack in list(self.local.acks.items()):  # answers given in the ack itself
            if url not in self.acks:
                self.acks.add(url)
                for message in ack_message(ack):
                    self._print("[only you see]", message)
        posts = list(self.local.slack.posts)
        for post in posts[self.seen :]:
            self._print(_where(post), post.body)
        new, self.seen = posts[self.seen :], len(posts)
        return new

    def _print(self, where: str, message: dict[str, Any]) -> None:
        self.out(f"  {where}")
        self.out(indent(indent(message_to_text(message, now=self.clock()))))


def _where(post: SlackPost) -> str:
    if post.is_response_url:
        return "[only you see]"
    channel = "#on-call" if post.body.get("channel") == "C0DEMO" else post.body.get("channel")
    if post.method == "chat.update":
        return f"[{channel}, the alert above updated]"
    if post.body.get("thread_ts"):
        return f"[{channel}, in the alert's thread]"
    return f"[{channel}]"
