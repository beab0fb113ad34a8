"""Live mode: jobs arrive and running jobs finish or fail as a fake clock moves, the same for the
same seed however time is sliced; what changed is returned exactly, clients over HTTP see it,
and serving threads never see a half-made change."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.ice import Credentials, IceClient, JobState, RetryPolicy, StaticCredentials
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Change, Emulator, Live
from bot.ice.emulator._dataset import wire_time
from bot.ice.emulator._details import failure_of
from bot.ice.emulator._live import RUNS_FOR

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
DEMO = StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
RUNNING = {"Created", "Executing"}
LONGEST_RUN = max(high for _, high in RUNS_FOR.values())


@dataclass
class FakeClock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


_MADE: list[Emulator] = []


@pytest.fixture(autouse=True)
def _release_ports() -> Iterator[None]:
    yield
    while _MADE:
        _MADE.pop().stop()


def live(**options: Any) -> Emulator:
    """A live emulator on a fake clock at NOW, stopped after the test (advance() and fail()
    need no server; ``with`` starts one)."""
    options.setdefault("count", 120)
    options.setdefault("seed", 4)
    options.setdefault("live", True)
    emulator = Emulator(clock=FakeClock(), **options)
    _MADE.append(emulator)
    return emulator


def by_id(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {job["JobId"]: job for job in emulator.jobs}


def executing(job_type: str, created: datetime, job_id: str) -> dict[str, Any]:
    stamp = wire_time(created)
    return {
        "JobId": job_id,
        "JobType": job_type,
        "JobState": "Executing",
        "CreateTime": stamp,
        "ModifiedTime": stamp,
        "Title": f"{job_type} {job_id}",
    }


def test_nothing_changes_until_time_moves() -> None:
    emulator = live()
    before = list(emulator.jobs)
    assert emulator.advance() == []
    assert emulator.jobs == before


def test_the_same_seed_gives_the_same_history_however_time_is_sliced() -> None:
    whole, sliced, other = live(), live(), live(seed=5)
    at_once = whole.advance(timedelta(hours=3))
    in_steps = [change for _ in range(18) for change in sliced.advance(timedelta(minutes=10))]
    assert at_once == in_steps
    assert len(at_once) > 20
    assert whole.jobs == sliced.jobs
    assert other.advance(timedelta(hours=3)) != at_once


def test_arrivals_are_newest_and_move_through_their_states() -> None:
    emulator = live()
    count = len(emulator.jobs)
    changes = emulator.advance(timedelta(hours=2))
    arrivals = [c for c in changes if c.arrived]
    assert 20 <= len(arrivals) <= 120, "about 30 an hour"
    assert len(emulator.jobs) == count + len(arrivals)
    stamps = [job["CreateTime"] for job in emulator.jobs]
    assert stamps == sorted(stamps, reverse=True), "newest first by creation time"
    jobs = by_id(emulator)
    for arrival in arrivals:
        job = jobs[arrival.job_id]
        assert job["CreateTime"] == wire_time(arrival.at) and job["JobType"] == arrival.job_type
        states = [c.state for c in changes if c.job_id == arrival.job_id]
        assert states[0] == "Created"
        assert states[1:] in ([], ["Executing"], ["Executing", "Finished"], ["Executing", "Failed"])
        assert job["JobState"] == states[-1]
    assert [c.at for c in changes] == sorted(c.at for c in changes)


def test_every_job_running_at_the_start_ends_within_hours() -> None:
    emulator = live(count=300, live=Live(arrivals_per_hour=0))
    running = {job["JobId"] for job in emulator.jobs if job["JobState"] in RUNNING}
    assert len(running) >= 5
    changes = emulator.advance(LONGEST_RUN + timedelta(minutes=31))
    ended = {c.job_id: c for c in changes if c.state in ("Finished", "Failed")}
    assert set(ended) == running
    jobs = by_id(emulator)
    for job_id, change in ended.items():
        assert jobs[job_id]["JobState"] == change.state
        assert jobs[job_id]["ModifiedTime"] == wire_time(change.at)
    assert {c.job_id for c in changes} == running, "finished jobs never change again"


def test_a_long_translation_ends_hours_after_it_was_created() -> None:
    created = NOW - timedelta(minutes=5)
    jobs = [executing("VideoTranslation", created, f"vt-{n:02}") for n in range(30)]
    emulator = live(jobs=jobs, live=Live(arrivals_per_hour=0))
    planned = emulator.upcoming()
    assert len(planned) == 30
    low, high = RUNS_FOR["VideoTranslation"]
    assert all(low <= at - created <= high for at, _, _ in planned)
    assert max(at - created for at, _, _ in planned) > timedelta(hours=2)
    first_at, first_id, first_state = planned[0]
    assert emulator.advance(first_at - NOW - timedelta(seconds=1)) == []
    assert emulator.advance(timedelta(seconds=1)) == [
        Change(first_at, first_id, "VideoTranslation", first_state)
    ]


def test_an_old_job_still_running_fails_soon_after_the_start() -> None:
    """A late failure of a job created days ago: what a watch must look back for."""
    old = executing("TextToSpeech", NOW - timedelta(days=3), "old-tts")
    emulator = live(jobs=[old], live=Live(arrivals_per_hour=0, failure_rate=1.0))
    changes = emulator.advance(timedelta(minutes=30))
    assert [(c.job_id, c.state) for c in changes] == [("old-tts", "Failed")]
    assert changes[0].at > NOW
    assert by_id(emulator)["old-tts"]["CreateTime"] == old["CreateTime"]


def test_fail_now_with_a_code_of_its_own() -> None:
    emulator = live(count=200)
    job = next(j for j in emulator.jobs if j["JobState"] == "Executing")
    change = emulator.fail(job["JobId"], "Custom.Code", "Made to fail by the test.")
    assert change == Change(NOW, job["JobId"], job["JobType"], "Failed")
    assert by_id(emulator)[job["JobId"]]["JobState"] == "Failed"
    later = emulator.advance(LONGEST_RUN + timedelta(hours=1))
    assert job["JobId"] not in {c.job_id for c in later}, "its planned end was dropped"
    with (
        emulator,
        IceClient(credentials=DEMO, endpoint=emulator.url) as client,
    ):
        details = client.get_smart_handle_job(job["JobId"])
    assert (details.error_code, details.error_message) == (
        "Custom.Code",
        "Made to fail by the test.",
    )


def test_fail_without_a_code_uses_the_job_s_own_failure() -> None:
    emulator = live()
    job = next(j for j in emulator.jobs if j["JobState"] == "Finished")
    emulator.fail(job["JobId"])
    with emulator, IceClient(credentials=DEMO, endpoint=emulator.url) as client:
        details = client.get_smart_handle_job(job["JobId"])
    assert (details.error_code, details.error_message) == failure_of(job, seed=4)


def test_live_only_calls_are_refused_elsewhere() -> None:
    still = live(live=False)
    with pytest.raises(RuntimeError, match="live"):
        still.advance(timedelta(minutes=1))
    with pytest.raises(RuntimeError, match="live"):
        still.fail(still.jobs[0]["JobId"])
    with pytest.raises(KeyError):
        live().fail("no-such-job")
    with pytest.raises(ValueError):
        Live(arrivals_per_hour=-1)
    with pytest.raises(ValueError):
        Live(failure_rate=1.5)


def test_clients_see_the_world_move_when_the_clock_does() -> None:
    """No advance(): a request applies what its clock says is due."""
    clock = FakeClock()
    with (
        Emulator(count=200, seed=6, live=Live(arrivals_per_hour=0), clock=clock) as emulator,
        IceClient(
            credentials=DEMO, endpoint=emulator.url, retry=RetryPolicy(max_attempts=1)
        ) as client,
    ):
        running = [
            j.job_id
            for j in client.list_smart_jobs(job_state="Executing", max_results=100).smart_job_list
        ]
        assert running
        clock.now += LONGEST_RUN + timedelta(minutes=31)
        assert client.list_smart_jobs(job_state="Executing").smart_job_list == ()
        states = [client.get_smart_handle_job(job_id or "") for job_id in running]
    assert {s.state for s in states} <= {JobState.FINISHED, JobState.FAILED}
    assert all(s.error_code for s in states if s.state is JobState.FAILED)
    assert all(s.job_result for s in states if s.state is JobState.FINISHED)


def test_serving_threads_never_see_a_half_made_change() -> None:
    with (
        live(count=150, seed=2) as emulator,
        IceClient(credentials=DEMO, endpoint=emulator.url) as client,
    ):
        done = threading.Event()

        def read() -> int:
            pages = 0
            while not done.is_set() or pages == 0:
                page = client.list_smart_jobs(max_results=100)
                times = [job.create_time for job in page.smart_job_list]
                assert times == sorted(times, key=lambda t: t or NOW, reverse=True)
                ids = [job.job_id for job in page.smart_job_list]
                assert len(set(ids)) == len(ids)
                pages += 1
            return pages

        with ThreadPoolExecutor(4) as pool:
            readers = [pool.submit(read) for _ in range(4)]
            changes = [c for _ in range(60) for c in emulator.advance(timedelta(minutes=5))]
            done.set()
            pages = [reader.result(timeout=30) for reader in readers]
    assert changes and all(pages)


@pytest.fixture
def ticking() -> Iterator[Emulator]:
    with live(count=40) as emulator:
        yield emulator


def test_advance_returns_exactly_what_a_list_then_shows(ticking: Emulator) -> None:
    with IceClient(credentials=DEMO, endpoint=ticking.url) as client:
        before = {
            j.job_id: j.job_state for j in client.list_smart_jobs(max_results=100).smart_job_list
        }
        changes = ticking.advance(timedelta(minutes=45))
        after = {
            j.job_id: j.job_state for j in client.list_smart_jobs(max_results=100).smart_job_list
        }
    last = {c.job_id: c.state for c in changes}
    assert {job_id for job_id in after if before.get(job_id) != after[job_id]} == set(last)
    assert all(after[job_id] == state for job_id, state in last.items())
