"""``load``: ``smartjobs serve`` under a burst of signed slash commands and button clicks.

The real WSGI app (``bot.local.server.make``) on 127.0.0.1, its Slack Web API and response_urls
on a ``SlackStub``, ICE on the emulator (its own process) throttling 5 % and failing 2 %
of requests with 20 ms of latency. 50 client threads send the commands, then "Next page"
clicks made from the answers' own button values. Every request must be acked (HTTP 200)
within Slack's 3 s and every one answered exactly once on its own response_url.

The same-run baseline is the same path unloaded: a few commands sent one at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bench._core import Figure, RemoteEmulator, Report, percentile

SUITE = "load"
COMMANDS = 500
CLICKS = 100
CONCURRENCY = 50
UNLOADED = 10
FAULTS = {"throttle_rate": 0.05, "error_rate": 0.02, "latency": 0.02, "seed": 11}
TEXTS = ("failed asr", "executing tts oldest 20", "finished", "chart 5", "since:2d failed")
ANSWER_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sent:
    response_url: str
    sent: float
    acked: float
    status: int | None
    error: str | None

    @property
    def ack_ms(self) -> float:
        return (self.acked - self.sent) * 1000


class _Capture(logging.Handler):
    """Every WARNING+ record the product logs during the run, counted by where and what."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: Counter[tuple[str, str, str]] = Counter()
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.levelname, record.name, str(record.msg)[:120])
        with self._guard:
            self.records[key] += 1


@contextmanager
def _captured_logs() -> Iterator[_Capture]:
    """Route the product's loggers to one counting handler (an earlier suite may have
    given the ``bot`` loggers Powertools' stdout handler), restore them afterwards."""
    capture = _Capture()
    names = [
        n
        for n in logging.root.manager.loggerDict
        if n.startswith(("bot", "slack_bolt", "slack_sdk"))
    ]
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    root_handlers = logging.root.handlers[:]
    for lg in loggers:
        lg.handlers = []
        lg.propagate = True
        lg.setLevel(logging.NOTSET)  # Powertools may have raised it; the root's WARNING rules
    logging.root.handlers = [capture]
    try:
        yield capture
    finally:
        logging.root.handlers = root_handlers
        for lg, handlers, propagate, level in saved:
            lg.handlers = handlers
            lg.propagate = propagate
            lg.setLevel(level)


class _Clients:
    """One ``httpx.Client`` per sending thread, all closed at the end."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[httpx.Client] = []
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=10.0)
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

    def close(self) -> None:
        for client in self._all:
            client.close()


def _post(clients: _Clients, url: str, secret: str, body: str, response_url: str) -> Sent:
    from bot.local import sign_slack

    headers = {"content-type": "application/x-www-form-urlencoded", **sign_slack(secret, body)}
    started = time.perf_counter()
    try:
        response = clients.get().post(url, content=body, headers=headers)
        return Sent(response_url, started, time.perf_counter(), response.status_code, None)
    except httpx.HTTPError as error:
        return Sent(response_url, started, time.perf_counter(), None, type(error).__name__)


@dataclass
class Outcome:
    """What the burst got: acks, answers, and where each answer went."""

    sent: list[Sent]
    answer_ms: list[float]
    results: list[dict[str, Any]]
    errors: Counter[str]
    duplicates: int
    missing: int


def _collect(slack: Any, sent: list[Sent], expected_total: int) -> tuple[Outcome, str | None]:
    from bot.names import ACTION_REFRESH
    from bot.render._slack_text import find_button

    waited: str | None = None
    try:
        slack.wait_for(expected_total, timeout=ANSWER_TIMEOUT)
    except TimeoutError as error:
        waited = str(error)
    by_path: dict[str, list[Any]] = {}
    for post in slack.posts:
        by_path.setdefault(post.path, []).append(post)
    outcome = Outcome(sent, [], [], Counter(), 0, 0)
    for item in sent:
        path = "/" + item.response_url.split("://", 1)[-1].partition("/")[2]
        got = by_path.get(path, [])
        if not got:
            outcome.missing += 1
            continue
        outcome.duplicates += len(got) - 1
        outcome.answer_ms.append((got[0].received - item.sent) * 1000)
        body = got[0].body
        if find_button(body, ACTION_REFRESH) is not None:
            outcome.results.append(body)
        else:
            outcome.errors[str(body.get("text", "(no text)"))[:80]] += 1
    return outcome, waited


def _burst(
    pool: ThreadPoolExecutor,
    clients: _Clients,
    slack: Any,
    url: str,
    secret: str,
    bodies: list[tuple[str, str]],
) -> tuple[Outcome, str | None, float]:
    before = len(slack.posts)
    started = time.perf_counter()
    sent = list(pool.map(lambda b: _post(clients, url, secret, b[1], b[0]), bodies))
    outcome, waited = _collect(slack, sent, before + len(bodies))
    return outcome, waited, time.perf_counter() - started


def _report(
    report: Report, label: str, outcome: Outcome, base: Outcome, waited: str | None, seconds: float
) -> None:
    acks = [s.ack_ms for s in outcome.sent if s.status is not None]
    failed = [s for s in outcome.sent if s.status != 200]
    n = len(outcome.sent)
    report.add(
        Figure(
            SUITE,
            f"{label}: ack p50",
            percentile(acks, 50),
            baseline=percentile([s.ack_ms for s in base.sent], 50),
            note=f"n={n}; baseline: unloaded",
        )
    )
    report.add(Figure(SUITE, f"{label}: ack p99", percentile(acks, 99)))
    report.add(
        Figure(SUITE, f"{label}: slowest ack", max(acks, default=None), check="value", limit=3000)
    )
    report.add(
        Figure(SUITE, f"{label}: acks not HTTP 200", len(failed), "count", check="value", limit=0)
    )
    if failed:
        kinds = Counter(s.error or f"HTTP {s.status}" for s in failed)
        report.note(SUITE, f"{label}: failed acks: {dict(kinds)}")
    report.add(
        Figure(
            SUITE,
            f"{label}: answer p50 (send→response_url)",
            percentile(outcome.answer_ms, 50),
            baseline=percentile(base.answer_ms, 50),
            note="baseline: unloaded",
        )
    )
    report.add(Figure(SUITE, f"{label}: answer p99", percentile(outcome.answer_ms, 99)))
    answered = len(outcome.answer_ms)
    report.add(
        Figure(
            SUITE,
            f"{label}: answered exactly once",
            answered - outcome.duplicates,
            "count",
            note=f"of {n}; {len(outcome.results)} results, {sum(outcome.errors.values())} errors; "
            f"{n / seconds:.0f} req/s",
        )
    )
    report.add(
        Figure(
            SUITE,
            f"{label}: duplicate answers",
            outcome.duplicates,
            "count",
            check="value",
            limit=0,
        )
    )
    report.add(
        Figure(SUITE, f"{label}: missing answers", outcome.missing, "count", check="value", limit=0)
    )
    if outcome.errors:
        report.note(SUITE, f"{label}: error answers: {dict(outcome.errors)}")
    if waited:
        report.note(SUITE, f"{label}: gave up waiting after {ANSWER_TIMEOUT:.0f} s: {waited}")


def run(report: Report) -> None:
    from bench.ack import _demo_env
    from bot.config import Settings
    from bot.local import SlackStub, block_actions_body, slash_command_body
    from bot.local.server import make
    from bot.names import ACTION_NEXT
    from bot.render._slack_text import find_button
    from bot.services import Services

    with (
        SlackStub() as slack,
        RemoteEmulator(count=1000, seed=7, faults=FAULTS) as ice,
        _captured_logs() as logs,
    ):
        env = _demo_env() | {"SLACK_API_URL": slack.api_url, "ICE_ENDPOINT": ice.url}
        secret = env["SLACK_SIGNING_SECRET"]
        server = make("127.0.0.1", 0, Services(settings=Settings.from_env(env)))
        serving = threading.Thread(target=server.serve_forever, name="bench-serve", daemon=True)
        serving.start()
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        clients = _Clients()
        try:
            with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="bench-slack") as pool:

                def command(i: int) -> tuple[str, str]:
                    response_url = slack.response_url()
                    text = TEXTS[i % len(TEXTS)]
                    return response_url, slash_command_body(text, response_url=response_url)

                # the unloaded baseline: one at a time, each answer awaited before the next
                base_sent: list[Sent] = []
                for i in range(UNLOADED):
                    response_url, body = command(i)
                    before = len(slack.posts)
                    base_sent.append(_post(clients, url, secret, body, response_url))
                    slack.wait_for(before + 1, timeout=ANSWER_TIMEOUT)
                base, _ = _collect(slack, base_sent, len(slack.posts))
                calls_before = ice.calls

                commands, waited, seconds = _burst(
                    pool, clients, slack, url, secret, [command(i) for i in range(COMMANDS)]
                )
                _report(
                    report, f"{COMMANDS} commands ×{CONCURRENCY}", commands, base, waited, seconds
                )

                values = [v for m in commands.results if (v := find_button(m, ACTION_NEXT))]
                values = (values * (CLICKS // max(len(values), 1) + 1))[:CLICKS]
                pages = len(commands.results)
                if not values:
                    report.note(SUITE, "no answer carried a Next page button: clicks skipped")
                else:
                    bodies = []
                    for value in values:
                        response_url = slack.response_url()
                        bodies.append(
                            (
                                response_url,
                                block_actions_body(ACTION_NEXT, value, response_url=response_url),
                            )
                        )
                    clicks, waited, seconds = _burst(pool, clients, slack, url, secret, bodies)
                    pages += len(clicks.results)
                    _report(
                        report, f"{len(values)} Next page clicks", clicks, base, waited, seconds
                    )
                ice_calls = ice.calls - calls_before
            # late duplicates of the command burst would have arrived by now
            late, _ = _collect(slack, commands.sent, 0)
            if late.duplicates != commands.duplicates:
                report.note(SUITE, f"late duplicate answers to commands: {late.duplicates}")
        finally:
            clients.close()
            server.shutdown()
            server.server_close()
    report.add(
        Figure(
            SUITE,
            "ICE requests during the burst",
            ice_calls,
            "calls",
            note=f"pages answered: {pages}; the rest are retries of injected faults",
        )
    )
    by_level = Counter(level for level, _, _ in logs.records.elements())
    errors = {k: v for k, v in logs.records.items() if k[0] in ("ERROR", "CRITICAL")}
    report.add(
        Figure(
            SUITE,
            "ERROR log records during the run",
            sum(errors.values()),
            "count",
            check="value",
            limit=0,
        )
    )
    report.note(SUITE, f"log records by level: {dict(by_level)}")
    for (level, name, message), count in sorted(logs.records.items(), key=lambda kv: -kv[1])[:6]:
        report.note(SUITE, f"{count}× {level} {name}: {message}")
