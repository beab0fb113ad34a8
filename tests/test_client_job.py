"""IceClient.get_smart_handle_job against the emulator over real HTTP, with real signature
checks: a failed job's code and message, a finished job's result, unknown and year-old ids,
permission refused, throttled then retried, untidy answers, and the JobId checked first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.ice import (
    CallRecord,
    Credentials,
    IceAuthError,
    IceClient,
    IceJobNotFoundError,
    IceParameterError,
    IceRequestError,
    IceServiceError,
    JobState,
    JobType,
    RetryPolicy,
    SmartHandleJob,
    StaticCredentials,
)
from bot.ice._enums import ACTION, GET_JOB_ACTION
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator
from bot.ice.emulator._details import FAILURES, failure_of
from tests.emulator_helpers import call, error_of

DEMO = StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.002, deadline=5)
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulator]:
    with Emulator(count=300, seed=5, clock=lambda: NOW) as emulator:
        yield emulator


@pytest.fixture
def client(ice: Emulator) -> Iterator[IceClient]:
    with IceClient(credentials=DEMO, endpoint=ice.url, retry=FAST) as ice_client:
        yield ice_client


def first(ice: Emulator, **where: str) -> dict[str, Any]:
    return next(j for j in ice.jobs if all(j.get(k) == v for k, v in where.items()))


def test_a_failed_job_says_why(ice: Emulator, client: IceClient) -> None:
    for job_type in JobType:
        job = first(ice, JobState="Failed", JobType=job_type.value)
        details = client.get_smart_handle_job(job["JobId"])
        code, message = failure_of(job, seed=ice.seed)
        assert (details.error_code, details.error_message) == (code, message)
        assert code in {known for known, _ in FAILURES[job_type]}
        assert details.state is JobState.FAILED and details.failed
        assert details.job_result is None
        assert details.degraded == ()
        assert details.request_id


def test_a_finished_job_has_its_result(ice: Emulator, client: IceClient) -> None:
    asr = first(ice, JobState="Finished", JobType="ASR")
    details = client.get_smart_handle_job(asr["JobId"])
    result = details.job_result
    assert result is not None and details.error_code is None and not details.failed
    assert result.media_id and len(result.media_id) == 32
    output = asr["OutputConfig"]
    assert result.media_url == (
        f"https://{output['Bucket']}.oss-cn-shanghai.aliyuncs.com/{output['Object']}"
    )
    sentences = result.ai_result_json["Sentences"]
    assert sentences and all(s["EndTime"] > s["BeginTime"] for s in sentences)
    assert result.usage is None, "only translations report token usage here"
    assert details.output_json == {"MediaId": result.media_id, "MediaUrl": result.media_url}

    translation = first(ice, JobState="Finished", JobType="VideoTranslation")
    usage = client.get_smart_handle_job(translation["JobId"]).job_result
    assert usage is not None and usage.usage_json["total_tokens"] > 0


def test_the_job_info_is_the_list_s_job(ice: Emulator, client: IceClient) -> None:
    """Details and the list agree field for field: renderers can take either."""
    listed = {job.job_id: job for job in client.list_smart_jobs(max_results=100).smart_job_list}
    for job_id, job in list(listed.items())[:25]:
        assert job_id is not None
        info = client.get_smart_handle_job(job_id).job_info
        assert info is not None
        assert (info.job_id, info.job_state, info.user_data) == (
            job.job_id,
            job.job_state,
            job.user_data,
        )
        assert (info.title, info.description, info.user_id, info.job_type) == (
            job.title,
            job.description,
            job.user_id,
            job.job_type,
        )
        assert (info.create_time, info.modified_time) == (job.create_time, job.modified_time)
        assert info.input_config == (
            job.input_config and type(job.input_config)(job.input_config.input_file)
        ), "GetSmartHandleJob's InputConfig carries only InputFile"
        assert info.output_config == job.output_config
        assert info.editing_config is None, "SmartJobInfo has no EditingConfig"


def test_a_running_job_has_neither_result_nor_error(ice: Emulator, client: IceClient) -> None:
    for state in ("Executing", "Created"):
        details = client.get_smart_handle_job(first(ice, JobState=state)["JobId"])
        assert details.state == state
        assert details.job_result is None and details.error_code is None


def test_an_unknown_id_is_not_found_with_a_hint(ice: Emulator, client: IceClient) -> None:
    before = ice.calls_for(GET_JOB_ACTION)
    with pytest.raises(IceJobNotFoundError) as info:
        client.get_smart_handle_job("0" * 32)
    error = info.value
    assert isinstance(error, IceParameterError) and not error.retryable
    assert (error.code, error.status) == ("ResourceNotFound", 404)
    assert "JobId" in error.hint and "ICE_REGION" in error.hint and "year" in error.hint
    assert error.request_id
    assert ice.calls_for(GET_JOB_ACTION) - before == 1, "not found is never retried"


def _aged(days: float) -> dict[str, Any]:
    stamp = (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"JobId": f"job-{days}", "JobState": "Failed", "CreateTime": stamp, "JobType": "ASR"}


def test_a_job_older_than_a_year_is_not_found() -> None:
    jobs = [_aged(364.9), _aged(365.1), _aged(800)]
    with (
        Emulator(jobs=jobs, clock=lambda: NOW) as emulator,
        IceClient(credentials=DEMO, endpoint=emulator.url, retry=FAST) as client,
    ):
        assert client.get_smart_handle_job("job-364.9").error_code
        for old in ("job-365.1", "job-800"):
            with pytest.raises(IceJobNotFoundError) as info:
                client.get_smart_handle_job(old)
            assert "past year" in info.value.hint
        listed = [job.job_id for job in client.list_smart_jobs().smart_job_list]
    assert "job-800" in listed, "the list still shows it: only its details are gone"


@pytest.mark.parametrize("code", ["Forbidden.RAM", "NoPermission", "Forbidden"])
def test_permission_refused_names_the_ram_action(
    ice: Emulator, client: IceClient, code: str
) -> None:
    job_id = first(ice, JobState="Failed")["JobId"]
    before = ice.calls
    ice.faults.script[:] = [code]
    with pytest.raises(IceAuthError) as info:
        client.get_smart_handle_job(job_id)
    assert ice.calls - before == 1, "a refusal is not retried"
    assert "ice:GetSmartHandleJob" in info.value.hint
    assert "infra/ram-policy.json" in info.value.hint
    ice.faults.script[:] = [code]
    with pytest.raises(IceAuthError) as listing:
        client.list_smart_jobs()
    assert "ice:ListSmartJobs" in listing.value.hint
    assert "GetSmartHandleJob" not in listing.value.hint


def test_throttled_then_retried_with_telemetry(ice: Emulator) -> None:
    job_id = first(ice, JobState="Finished")["JobId"]
    records: list[CallRecord] = []
    pauses: list[float] = []
    ice.faults.script[:] = ["Throttling.User", "RequestsTooFrequent"]
    with IceClient(
        credentials=DEMO,
        endpoint=ice.url,
        retry=FAST,
        observers=(records.append,),
        sleep=pauses.append,
    ) as client:
        details = client.get_smart_handle_job(job_id)
    assert details.job_id == job_id and details.job_result is not None
    assert [(r.action, r.attempt, r.status, r.code) for r in records] == [
        (GET_JOB_ACTION, 0, 400, "Throttling.User"),
        (GET_JOB_ACTION, 1, 403, "RequestsTooFrequent"),
        (GET_JOB_ACTION, 2, 200, None),
    ]
    assert records[-1].request_id == details.request_id
    assert len(pauses) == 2


def test_a_failing_service_is_retried_to_the_limit(ice: Emulator, client: IceClient) -> None:
    before = ice.calls_for(GET_JOB_ACTION)
    ice.faults.script[:] = ["InternalError"] * FAST.max_attempts
    with pytest.raises(IceServiceError) as info:
        client.get_smart_handle_job(first(ice)["JobId"])
    assert info.value.attempts == FAST.max_attempts
    assert ice.calls_for(GET_JOB_ACTION) - before == FAST.max_attempts


def test_untidy_jobs_have_untidy_details_read_whole() -> None:
    records: list[CallRecord] = []
    with (
        Emulator(count=60, seed=8, untidy=1.0) as emulator,
        IceClient(
            credentials=DEMO, endpoint=emulator.url, retry=FAST, observers=(records.append,)
        ) as client,
    ):
        ids = [job.job_id for job in client.list_smart_jobs(max_results=100).smart_job_list]
        answers = [client.get_smart_handle_job(job_id) for job_id in ids if job_id]
    assert len(answers) >= 40, "every job the list can name has details"
    degraded = [answer for answer in answers if answer.degraded]
    assert len(degraded) >= 0.8 * len(answers)  # the rest are odd in ways that degrade nothing
    details_records = [r for r in records if r.action == GET_JOB_ACTION]
    assert [r.degraded for r in details_records] == [len(a.degraded) for a in answers]
    for answer in answers:
        json.dumps(answer.to_json(), ensure_ascii=False).encode()  # `smartjobs job --json`


def test_a_numeric_job_id_is_found_by_its_text() -> None:
    """The list may send a JobId as a number; the id the reader makes of it finds the job."""
    with (
        Emulator(
            jobs=[{"JobId": 123456789, "JobState": "Failed", "JobType": "TextToSpeech"}]
        ) as emulator,
        IceClient(credentials=DEMO, endpoint=emulator.url, retry=FAST) as client,
    ):
        (listed,) = client.list_smart_jobs().smart_job_list
        details = client.get_smart_handle_job(listed.job_id or "")
    assert listed.job_id == "123456789"
    assert details.job_id == "123456789" and "JobId" in details.degraded
    assert details.error_code in {code for code, _ in FAILURES[JobType.TEXT_TO_SPEECH]}


@pytest.mark.parametrize(
    "job_id", ["", " ", "a b", "x" * 129, "日本語", "tab\tid", "new\nline", 123, None]
)
def test_an_odd_job_id_is_refused_before_any_request(ice: Emulator, job_id: Any) -> None:
    before = ice.calls
    with IceClient(credentials=DEMO, endpoint=ice.url) as client, pytest.raises(IceRequestError):
        client.get_smart_handle_job(job_id)
    assert ice.calls == before


def test_the_longest_job_id_is_sent(ice: Emulator, client: IceClient) -> None:
    with pytest.raises(IceJobNotFoundError):
        client.get_smart_handle_job("x" * 128)


def test_without_a_job_id_the_service_says_it_is_missing(ice: Emulator) -> None:
    response = call(ice, {}, action=GET_JOB_ACTION)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "MissingParameter"


def test_to_json_reads_back_as_the_same_details(ice: Emulator, client: IceClient) -> None:
    for state in JobState:
        details = client.get_smart_handle_job(first(ice, JobState=state.value)["JobId"])
        again = SmartHandleJob.from_wire(json.loads(json.dumps(details.to_json())))
        assert again == details


def test_list_and_details_share_one_client_and_one_action_each(ice: Emulator) -> None:
    records: list[CallRecord] = []
    with IceClient(
        credentials=DEMO, endpoint=ice.url, retry=FAST, observers=(records.append,)
    ) as client:
        page = client.list_smart_jobs(job_state="Failed", max_results=3)
        for job in page.smart_job_list:
            client.get_smart_handle_job(job.job_id or "")
    assert [r.action for r in records] == [ACTION, *[GET_JOB_ACTION] * 3]
