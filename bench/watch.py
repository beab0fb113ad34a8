"""``watch``: one watch poll of 10 watches over a lookback holding 10,000 jobs.

ICE (the emulator, its own process) holds 10,000 jobs created in the last 24 h plus 300
older ones, ~10 % failed. Ten watches on seven distinct filters (some share one) in a SQLite
store, each with what matched at creation remembered; then one poll, as the schedule runs
it: wall time, ListSmartJobs requests, peak memory (tracemalloc, a separate run). Baseline,
same run: reading the whole lookback unfiltered, as a poll that could not ask ICE to filter
would (100 requests of 100 jobs).
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._core import Figure, RemoteEmulator, Report

SUITE = "watch"
WATCHES = (
    "watch failed asr",
    "watch failed tts",
    "watch failed translation",
    "watch failed chart",
    "watch failed",
    "watch failed",  # a second channel's watch on the same filter: one scan serves both
    "watch failed asr",
    "watch executing translation",
    "watch created",
    "watch failed tts",
)


def _client(url: str) -> Any:
    from bot.ice import Credentials, IceClient, StaticCredentials
    from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

    return IceClient(
        credentials=StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)),
        endpoint=url,
    )


def _prepared(store: Any, client: Any, now: datetime) -> None:
    from bot.filters import parse
    from bot.watch.model import Watch
    from bot.watch.poll import PollReport, matching

    lookback = timedelta(hours=24)
    for number, text in enumerate(WATCHES):
        watch = Watch(
            id=f"w{number}",
            channel=f"C{number % 3}",
            query=text,
            created_by="U1",
            created=now,
        )
        store.add(watch)
        known = matching(client, parse(text), since=now - lookback, report=PollReport())
        store.remember(watch.id, [j.job_id for j in known if j.job_id], until=now + lookback)


def run(report: Report) -> None:
    from slack_sdk import WebClient

    from bot.local import SlackStub
    from bot.watch.poll import poll
    from bot.watch.store import SqliteWatches

    spec = {"count": 10_300, "seed": 5, "window_hours": 24, "in_window": 10_000}
    with RemoteEmulator(**spec) as ice, SlackStub() as slack, tempfile.TemporaryDirectory() as tmp:
        client = _client(ice.url)
        now = datetime.now(UTC)
        store = SqliteWatches(Path(tmp) / "watches.db")
        _prepared(store, client, now)
        web = WebClient(token="xoxb-bench", base_url=slack.api_url)

        def one_poll() -> Any:
            return poll(
                store,
                lambda region: client,
                web,
                now=now,
                lookback=timedelta(hours=24),
                default_region="cn-shanghai",
            )

        before = ice.calls
        started = time.perf_counter()
        result = one_poll()
        wall = (time.perf_counter() - started) * 1000
        requests = ice.calls - before
        tracemalloc.start()
        one_poll()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        before = ice.calls
        started = time.perf_counter()
        pages = client.iter_pages(max_results=100)
        for page in pages:
            created = [j.create_time for j in page.smart_job_list if j.create_time]
            if created and min(created) < now - timedelta(hours=24):
                break
        full_wall = (time.perf_counter() - started) * 1000
        full_requests = ice.calls - before
        client.close()
    report.add(
        Figure(
            SUITE,
            "one poll, 10 watches over 10,000 jobs: ListSmartJobs requests",
            requests,
            unit="calls",
            baseline=full_requests,
            check="ratio",
            limit=0.25,
            note=f"{result.watches} watches, {result.alerts} alerts (nothing new)",
        )
    )
    report.add(
        Figure(
            SUITE, "one poll: wall time", wall, baseline=full_wall, note="vs reading the lookback"
        )
    )
    report.add(
        Figure(SUITE, "one poll: peak memory", peak / 1e6, unit="MB", check="value", limit=20)
    )
