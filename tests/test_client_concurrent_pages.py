"""IceClient.iter_pages_concurrently against the emulator over real HTTP: the same jobs as one
page after another, requests really in flight together and never more than asked, a stop that
wastes at most the rest of its batch, JobIds once while jobs arrive mid-scan, and ICE's
throttling answered by the whole scan."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot._transport import LeanTransport
from bot.ice import (
    Credentials,
    IceAuthError,
    IceClient,
    IceRequestError,
    IceThrottledError,
    RetryPolicy,
    SmartJobPage,
    StaticCredentials,
)
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator, Faults, Live

DEMO = StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002, deadline=5)
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


class Counting(httpx.BaseTransport):
    """The real transport, counting what is in flight; the first ``hold`` requests wait until
    all of them are in flight together (a barrier, not a sleep)."""

    def __init__(self, hold: int = 0) -> None:
        self.inner = LeanTransport()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.page_numbers: list[int] = []
        self.barrier = threading.Barrier(hold) if hold else None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self.page_numbers.append(int(request.url.params.get("PageNo", "0")))
            index = len(self.page_numbers)
        try:
            if self.barrier is not None and index <= self.barrier.parties:
                self.barrier.wait(timeout=10)
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulator]:
    with Emulator(count=950, seed=3, faults=Faults(latency=0.005)) as emulator:
        yield emulator


def client_for(
    emulator: Emulator, transport: httpx.BaseTransport | None = None, **kw: object
) -> IceClient:
    return IceClient(credentials=DEMO, endpoint=emulator.url, transport=transport, retry=FAST, **kw)  # type: ignore[arg-type]


def ids(pages: list[SmartJobPage]) -> list[str | None]:
    return [job.job_id for page in pages for job in page.smart_job_list]


def test_the_same_jobs_as_one_page_after_another(ice: Emulator) -> None:
    with client_for(ice) as client:
        before = ice.calls
        together = list(client.iter_pages_concurrently(page_size=100, concurrency=4))
        calls = ice.calls - before
        one_by_one = list(client.iter_pages(page_size=100))
        failed = list(
            client.iter_pages_concurrently(job_state="Failed", page_size=7, concurrency=3)
        )
    assert ids(together) == ids(one_by_one) == [job["JobId"] for job in ice.jobs]
    assert len(together) == 10
    assert calls == 12, (
        "three batches of 4, 4 and 4 (growing back is capped): the last two are empty"
    )
    assert ids(failed) == [job["JobId"] for job in ice.jobs if job["JobState"] == "Failed"]


def test_requests_are_in_flight_together_and_never_more(ice: Emulator) -> None:
    counting = Counting(hold=4)
    with client_for(ice, counting) as client:
        pages = list(client.iter_pages_concurrently(page_size=50, concurrency=4))
    assert counting.most == 4, "the first batch waited for all four to be in flight at once"
    assert len(pages) == 20, "19 full pages and the empty one that says it was the last"
    assert sorted(counting.page_numbers[:4]) == [1, 2, 3, 4]


def test_stop_ends_the_scan_at_its_page(ice: Emulator) -> None:
    cut = ice.jobs[430]["CreateTime"]

    def past(page: SmartJobPage) -> bool:
        last = page.smart_job_list[-1].raw.get("CreateTime")
        return isinstance(last, str) and last <= cut

    counting = Counting()
    with client_for(ice, counting) as client:
        pages = list(client.iter_pages_concurrently(page_size=100, concurrency=3, stop=past))
    assert len(pages) == 5, "page 5 holds job 430: it is yielded, then the scan stops"
    assert ids(pages) == [job["JobId"] for job in ice.jobs[:500]]
    assert sorted(counting.page_numbers) == [1, 2, 3, 4, 5, 6], "batches of 3: one page wasted"


def test_a_job_is_yielded_once_while_jobs_arrive_mid_scan() -> None:
    clock = type("Clock", (), {"now": NOW, "__call__": lambda self: self.now})()
    with (
        Emulator(count=400, seed=5, live=Live(arrivals_per_hour=600), clock=clock) as emulator,
        client_for(emulator) as client,
    ):
        start = [job["JobId"] for job in emulator.jobs]
        seen: list[str | None] = []
        for page in client.iter_pages_concurrently(page_size=40, concurrency=2):
            seen += [job.job_id for job in page.smart_job_list]
            clock.now += timedelta(minutes=3)  # new jobs push the rest down between batches
        arrived = len(emulator.jobs) - len(start)
    assert arrived > 10
    assert len(seen) == len(set(seen)), "a JobId at a page boundary is yielded once"
    assert set(start) <= set(seen), "nothing that existed at the start is missed"


@dataclass
class Pauses:
    seconds: list[float]

    def __call__(self, pause: float) -> None:
        self.seconds.append(pause)


def test_throttling_pauses_the_scan_once_and_narrows_its_batches() -> None:
    with Emulator(count=1250, seed=4, faults=Faults(script=["Throttling.User"] * 2)) as emulator:
        counting, pauses = Counting(), Pauses([])
        with client_for(emulator, counting, sleep=pauses) as client:
            pages = list(client.iter_pages_concurrently(page_size=100, concurrency=4))
        expected = [job["JobId"] for job in emulator.jobs]
    assert ids(pages) == expected
    assert len(pauses.seconds) == 1, "one pause for the batch, not one per request"
    numbers = counting.page_numbers
    assert sorted(numbers[:4]) == [1, 2, 3, 4]
    assert set(numbers[4:6]) <= {1, 2, 3, 4}, "the two throttled pages, again"
    assert sorted(numbers[6:8]) == [5, 6], "halved after the throttle"
    assert sorted(numbers[8:11]) == [7, 8, 9], "then one page wider per clean batch"
    assert sorted(numbers[11:15]) == [10, 11, 12, 13]
    assert len(numbers) == 15


def test_throttling_that_never_ends_ends_the_scan() -> None:
    faults = Faults(throttle_rate=1.0)
    with Emulator(count=300, seed=4, faults=faults) as emulator, client_for(emulator) as client:
        with pytest.raises(IceThrottledError) as info:
            list(client.iter_pages_concurrently(page_size=100, concurrency=2))
        calls = emulator.calls
    assert info.value.attempts == FAST.max_attempts
    assert calls == 2 * FAST.max_attempts


def test_an_error_that_cannot_be_retried_ends_the_scan_at_once(ice: Emulator) -> None:
    before = ice.calls
    ice.faults.script[:] = ["Forbidden.RAM"]
    with client_for(ice) as client, pytest.raises(IceAuthError) as info:
        list(client.iter_pages_concurrently(page_size=100, concurrency=4))
    assert "ice:ListSmartJobs" in info.value.hint
    assert ice.calls - before == 4, "the batch in flight, nothing after it"


@pytest.mark.parametrize(
    ("page_size", "concurrency"), [(0, 4), (101, 4), (100, 0), (100, 17), (100, True)]
)
def test_odd_arguments_are_refused_before_any_request(
    ice: Emulator, page_size: int, concurrency: int
) -> None:
    before = ice.calls
    with client_for(ice) as client, pytest.raises(IceRequestError):
        client.iter_pages_concurrently(page_size=page_size, concurrency=concurrency)
    assert ice.calls == before
