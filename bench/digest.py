"""``digest``: the daily scan over a busy day, 10,000 jobs in the window, vs a 1,000-job day.

The emulator (its own process, so its job list is not in our memory count) holds the
window's jobs newest first and a few hundred older ones behind them; ``build_digest``
must page until the window's edge and stop. Peak memory is tracemalloc's, in a separate
run from the timed one (tracing slows Python down several-fold). The aggregation keeps
fixed-size state, so the busy day's peak should stay within 10 MB of the quiet day's.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from bench._core import Figure, RemoteEmulator, Report

SUITE = "digest"
BUSY = 10_000
QUIET = 1_000
OLDER = 300
WINDOW = timedelta(hours=24)
MAX_PAGES = 200


def _scan(
    url: str, *, trace: bool, concurrency: int = 8, now: datetime | None = None
) -> tuple[float, float, int, bool, float]:
    """One digest scan: seconds, peak traced MB (0 untraced), jobs counted, truncated,
    and this process's CPU seconds (the emulator's filtering is in its own process)."""
    from bot.digest.scan import build_digest
    from bot.ice import Credentials, IceClient, StaticCredentials
    from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        with IceClient(
            credentials=StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)),
            endpoint=url,
        ) as client:
            stats = build_digest(
                client,
                window=WINDOW,
                now=now or datetime.now(UTC),
                max_pages=MAX_PAGES,
                concurrency=concurrency,
            )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
    finally:
        if trace:
            tracemalloc.stop()
    return seconds, peak, stats.jobs, stats.truncated, cpu


def run(report: Report) -> None:
    try:
        from bot.digest.scan import build_digest  # noqa: F401 - availability check
    except ImportError as error:
        report.skip(SUITE, f"bot.digest.scan.build_digest is not available ({error})")
        return
    results: dict[int, tuple[float, float, int, int, float]] = {}
    for size in (QUIET, BUSY):
        with RemoteEmulator(
            count=size + OLDER, seed=7, window_hours=WINDOW.total_seconds() / 3600, in_window=size
        ) as ice:
            _scan(ice.url, trace=False)  # warm-up: imports, connection, first-call costs
            before = ice.calls
            seconds, _, jobs, truncated, cpu = _scan(ice.url, trace=False)
            requests = ice.calls - before
            peak = _scan(ice.url, trace=True)[1]
        if truncated:
            report.note(SUITE, f"{size}-job scan was truncated at {MAX_PAGES} pages")
        results[size] = (seconds, peak, jobs, requests, cpu)
    quiet, busy = results[QUIET], results[BUSY]
    report.add(
        Figure(
            SUITE,
            f"scan time, {BUSY:,} vs {QUIET:,} jobs in the window",
            busy[0] * 1000,
            baseline=quiet[0] * 1000,
            note="wall, includes the emulator filtering every job per page (O(n) a request)",
        )
    )
    report.add(
        Figure(
            SUITE,
            f"scan CPU in this process, {BUSY:,} vs {QUIET:,} jobs",
            busy[4] * 1000,
            baseline=quiet[4] * 1000,
            note=f"{busy[4] * 1e6 / max(busy[2], 1):.0f} µs per job: sign, HTTP, parse, aggregate",
        )
    )
    report.add(
        Figure(
            SUITE,
            f"ICE requests, {BUSY:,} vs {QUIET:,} jobs",
            busy[3],
            "calls",
            baseline=quiet[3],
            note="100 jobs a page, plus the page that crosses the window's edge",
        )
    )
    report.add(
        Figure(
            SUITE,
            f"jobs counted, {BUSY:,} vs {QUIET:,}",
            busy[2],
            "jobs",
            baseline=quiet[2],
        )
    )
    report.add(
        Figure(
            SUITE,
            f"jobs missed or over-counted in the {BUSY:,}-job window",
            abs(busy[2] - BUSY),
            "jobs",
            check="value",
            limit=0,
        )
    )
    report.add(
        Figure(
            SUITE,
            f"peak traced memory, {BUSY:,} vs {QUIET:,} jobs",
            busy[1],
            "MB",
            baseline=quiet[1],
            check="delta",
            limit=10,
        )
    )
    _concurrency(report)


def _concurrency(report: Report) -> None:
    """The same 10,000-job window with 100 ms of ICE latency: 8 pages in flight against one
    after the other, same run, same counts."""
    with RemoteEmulator(
        count=BUSY + OLDER,
        seed=7,
        window_hours=WINDOW.total_seconds() / 3600,
        in_window=BUSY,
        faults={"latency": 0.1},
    ) as ice:
        _scan(ice.url, trace=False, concurrency=8)  # warm-up
        now = datetime.now(UTC)  # one window for both: the counts must be the same
        sequential, _, counted_one, _, _ = _scan(ice.url, trace=False, concurrency=1, now=now)
        before = ice.calls
        concurrent, _, counted_many, _, _ = _scan(ice.url, trace=False, concurrency=8, now=now)
        requests = ice.calls - before
        peak = _scan(ice.url, trace=True, concurrency=8)[1]
    report.add(
        Figure(
            SUITE,
            f"scan of {BUSY:,} jobs at 100 ms ICE latency, 8 pages in flight vs one at a time",
            concurrent * 1000,
            baseline=sequential * 1000,
            check="ratio",
            limit=0.25,
            note=f"{requests} requests; counts {counted_many:,} vs {counted_one:,}",
        )
    )
    report.add(
        Figure(
            SUITE,
            "concurrent scan: jobs counted differently from the sequential one",
            abs(counted_many - counted_one),
            "jobs",
            check="value",
            limit=0,
        )
    )
    report.add(
        Figure(SUITE, "concurrent scan: peak traced memory", peak, "MB", check="value", limit=15)
    )
