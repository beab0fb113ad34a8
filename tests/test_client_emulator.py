"""IceClient against the project's emulator over real HTTP, with real signature checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.ice import (
    Credentials,
    IceAuthError,
    IceClient,
    IceParameterError,
    IceProtocolError,
    IceServiceError,
    IceThrottledError,
    JobState,
    JobType,
    RetryPolicy,
    SortBy,
    StaticCredentials,
)
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator, Faults

DEMO = Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.005, deadline=5)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(count=300, seed=5) as emu:
        yield emu


def client_for(emu: Emulator, creds: Credentials = DEMO, **kwargs: object) -> IceClient:
    kwargs.setdefault("retry", FAST)
    return IceClient(credentials=StaticCredentials(creds), endpoint=emu.url, **kwargs)  # type: ignore[arg-type]


def test_iter_pages_reads_every_matching_job_once(emulator: Emulator) -> None:
    expected = [j["JobId"] for j in emulator.jobs if j.get("JobState") == "Failed"]
    with client_for(emulator) as client:
        pages = list(client.iter_pages(job_state=JobState.FAILED, max_results=7))
    ids = [job.job_id for page in pages for job in page.smart_job_list]
    assert ids == expected  # newest first, as the emulator's dataset is ordered
    assert all(p.total_count is None for p in pages), "ICE leaves TotalCount out by default"
    assert all(p.max_results == 7 for p in pages)


def test_total_count_is_read_when_the_service_sends_it() -> None:
    with Emulator(count=40, seed=5, total_count=True) as emu, client_for(emu) as client:
        page = client.list_smart_jobs(job_state=JobState.FINISHED, max_results=3)
        expected = sum(j.get("JobState") == "Finished" for j in emu.jobs)
    assert page.total_count == expected and len(page.smart_job_list) == 3


def test_oldest_first_is_the_reverse_of_newest_first(emulator: Emulator) -> None:
    with client_for(emulator) as client:
        newest = [
            j.job_id
            for p in client.iter_pages(job_type=JobType.ASR, max_results=50)
            for j in p.smart_job_list
        ]
        oldest = [
            j.job_id
            for p in client.iter_pages(job_type=JobType.ASR, sort_by=SortBy.OLDEST, max_results=50)
            for j in p.smart_job_list
        ]
    assert newest and oldest == list(reversed(newest))


def test_page_number_paging_reads_the_same_jobs(emulator: Emulator) -> None:
    with client_for(emulator) as client:
        by_token = [
            j.job_id
            for p in client.iter_pages(job_type="TextToSpeech", max_results=9)
            for j in p.smart_job_list
        ]
        by_number = [
            j.job_id
            for p in client.iter_pages(job_type="TextToSpeech", page_size=9)
            for j in p.smart_job_list
        ]
    assert by_token and by_number == by_token


def test_times_are_aware_and_within_the_last_week(emulator: Emulator) -> None:
    with client_for(emulator) as client:
        page = client.list_smart_jobs(max_results=100)
    now = datetime.now(UTC)
    stamps = [j.create_time for j in page.smart_job_list if j.create_time]
    assert stamps and all(s.tzinfo is not None for s in stamps)
    assert all(
        now - timedelta(days=7, minutes=5) <= s <= now + timedelta(minutes=1) for s in stamps
    )


def test_sts_credentials_are_signed_and_accepted() -> None:
    creds = Credentials("sts-id", "sts-secret", "sts-token")
    with Emulator(
        count=20, credentials={"sts-id": "sts-secret"}, security_tokens={"sts-id": "sts-token"}
    ) as emu:
        with client_for(emu, creds) as client:
            assert len(client.list_smart_jobs(max_results=5).smart_job_list) == 5
        wrong = Credentials("sts-id", "sts-secret", "other-token")
        with client_for(emu, wrong) as client, pytest.raises(IceAuthError) as info:
            client.list_smart_jobs()
    assert info.value.code.startswith("InvalidSecurityToken")


@pytest.mark.parametrize(
    ("creds", "code"),
    [
        (Credentials("nobody", "x"), "InvalidAccessKeyId.NotFound"),
        (Credentials(DEMO_ACCESS_KEY_ID, "wrong-secret"), "SignatureDoesNotMatch"),
    ],
)
def test_auth_failures_are_typed_and_not_retried(creds: Credentials, code: str) -> None:
    with Emulator(count=5) as emu, client_for(emu, creds) as client:
        with pytest.raises(IceAuthError) as info:
            client.list_smart_jobs()
        assert emu.calls == 1
    assert info.value.code == code
    assert info.value.request_id
    assert "wrong-secret" not in str(info.value)


def test_clock_skew_is_refused_with_the_clock_hint() -> None:
    skewed = lambda: datetime.now(UTC) - timedelta(minutes=20)  # noqa: E731
    retry = RetryPolicy(max_attempts=1)
    with Emulator(count=5) as emu:
        client = IceClient(
            credentials=StaticCredentials(DEMO), endpoint=emu.url, clock=skewed, retry=retry
        )
        with pytest.raises(IceServiceError) as info:
            client.list_smart_jobs()
    assert info.value.code == "InvalidTimeStamp.Expired"
    assert "clock" in info.value.hint


def test_a_token_from_another_filter_is_a_parameter_error(emulator: Emulator) -> None:
    with client_for(emulator) as client:
        token = client.list_smart_jobs(job_state="Failed", max_results=2).next_token
        assert token
        with pytest.raises(IceParameterError) as info:
            client.list_smart_jobs(job_state="Finished", next_token=token)
    assert "NextToken" in info.value.message


def test_throttling_and_5xx_are_retried_until_success() -> None:
    faults = Faults(script=["Throttling.User", "ServiceUnavailable", "html"])
    with (
        Emulator(count=30, faults=faults) as emu,
        client_for(emu, retry=RetryPolicy(5, 0.001, 0.005, 5)) as client,
    ):
        page = client.list_smart_jobs(max_results=3)
        assert len(page.smart_job_list) == 3
        assert emu.calls == 4


def test_a_malformed_body_is_a_protocol_error_not_a_crash() -> None:
    with Emulator(count=30, faults=Faults(script=["malformed"])) as emu, client_for(emu) as client:
        with pytest.raises(IceProtocolError) as info:
            client.list_smart_jobs()
        assert emu.calls == 1
    assert "not the API's JSON" in info.value.message


def test_persistent_throttling_ends_with_the_throttling_error() -> None:
    faults = Faults(throttle_rate=1.0)
    with Emulator(count=5, faults=faults) as emu, client_for(emu) as client:
        with pytest.raises(IceThrottledError) as info:
            client.list_smart_jobs()
        assert emu.calls == FAST.max_attempts
    assert info.value.attempts == FAST.max_attempts
    assert "try again" in info.value.hint


def test_an_untidy_dataset_reads_every_job_over_http(caplog: pytest.LogCaptureFixture) -> None:
    with Emulator(count=300, seed=5, untidy=0.3) as emu, client_for(emu) as client:
        with caplog.at_level("WARNING", logger="bot.ice"):
            pages = list(client.iter_pages(max_results=50))
        entries = json.loads(json.dumps(emu.jobs))  # as they went over the wire
    objects = [entry for entry in entries if isinstance(entry, dict)]
    jobs = [job for page in pages for job in page.smart_job_list]
    assert [job.raw for job in jobs] == objects, "one job per object entry, in order"
    assert sum(page.unreadable for page in pages) == len(entries) - len(objects) > 0
    ids = [e.get("JobId") for e in objects]
    assert [job.job_id for job in jobs] == [i if isinstance(i, str) else str(i) for i in ids]
    assert sum(bool(job.degraded) for job in jobs) >= 0.2 * len(jobs)
    warnings = [r for r in caplog.records if r.name == "bot.ice" and r.levelname == "WARNING"]
    untidy_pages = [page for page in pages if page.degraded or page.unreadable]
    assert len(warnings) == len(untidy_pages) > 0, "one line per untidy page"
    for page, warning in zip(untidy_pages, warnings, strict=True):
        assert page.request_id and page.request_id in warning.getMessage()
