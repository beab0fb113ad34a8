"""The emulator's GetSmartHandleJob over real HTTP: shapes per state, seeded failures, not
found, faults, untidy details, and requests exactly as the official SDK sends them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.ice._enums import ACTION, GET_JOB_ACTION, JobType
from bot.ice.emulator import Emulator
from bot.ice.emulator._details import FAILURES, details_body, failure_of
from tests.emulator_helpers import call, error_of, official_sdk_client, replay, sdk_requests

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
SDK_CASES = ["v3_get_job", "v3_get_job_sts"]
DETAIL_KEYS = {"RequestId", "JobId", "State", "UserData", "SmartJobInfo"}
INFO_KEYS = {"Title", "Description", "UserId", "JobType", "CreateTime", "ModifiedTime"}


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulator]:
    with Emulator(count=500, seed=7) as emulator:
        yield emulator


def details(emulator: Emulator, job_id: str) -> dict[str, Any]:
    response = call(emulator, {"JobId": job_id}, action=GET_JOB_ACTION)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    return body


def jobs_in(emulator: Emulator, state: str) -> list[dict[str, Any]]:
    return [job for job in emulator.jobs if job.get("JobState") == state]


def test_a_failed_job_has_a_code_and_message_and_no_result(ice: Emulator) -> None:
    job = jobs_in(ice, "Failed")[0]
    body = details(ice, job["JobId"])
    assert (body["ErrorCode"], body["ErrorMessage"]) == failure_of(job, seed=7)
    assert "JobResult" not in body
    assert body["State"] == "Failed" and body["JobId"] == job["JobId"]


def test_failures_are_a_handful_per_type_and_seeded(ice: Emulator) -> None:
    codes: dict[str, Counter[str]] = {job_type: Counter() for job_type in JobType}
    for job in jobs_in(ice, "Failed"):
        codes[job["JobType"]][details(ice, job["JobId"])["ErrorCode"]] += 1
    for job_type, seen in codes.items():
        known = {code for code, _ in FAILURES[job_type]}
        assert set(seen) <= known
        assert len(seen) >= 2, f"{job_type}: one code for every failure is not realistic"
    with Emulator(count=500, seed=7) as same, Emulator(count=500, seed=8) as other:
        job = jobs_in(same, "Failed")[0]
        assert details(same, job["JobId"])["ErrorCode"] == details(ice, job["JobId"])["ErrorCode"]
        assert [failure_of(j, seed=8) for j in jobs_in(other, "Failed")] != [
            failure_of(j, seed=7) for j in jobs_in(other, "Failed")
        ]


def test_a_missing_input_names_the_file(ice: Emulator) -> None:
    job = next(
        j for j in jobs_in(ice, "Failed") if failure_of(j, seed=7)[0] == "InvalidInput.NotExist"
    )
    assert job["InputConfig"]["InputFile"] in details(ice, job["JobId"])["ErrorMessage"]


def test_a_finished_job_has_a_result_and_output(ice: Emulator) -> None:
    for job in jobs_in(ice, "Finished")[:40]:
        body = details(ice, job["JobId"])
        result = body["JobResult"]
        assert len(result["MediaId"]) == 32 and "ErrorCode" not in body
        if isinstance(job.get("OutputConfig"), dict):
            assert result["MediaUrl"].endswith("/" + job["OutputConfig"]["Object"])
        assert json.loads(body["Output"])["MediaId"] == result["MediaId"]
        if job["JobType"] in ("ASR", "VideoTranslation"):
            assert json.loads(result["AiResult"])
        else:
            assert "AiResult" not in result
        assert ("Usage" in result) is (job["JobType"] == "VideoTranslation")


def test_job_info_is_built_from_the_job(ice: Emulator) -> None:
    job = next(j for j in ice.jobs if set(INFO_KEYS) <= set(j))
    info = details(ice, job["JobId"])["SmartJobInfo"]
    assert set(info) == INFO_KEYS | {"InputConfig", "OutputConfig"}
    assert info["UserId"] == str(job["UserId"]), "a string here, an integer in the list"
    assert info["InputConfig"] == {"InputFile": job["InputConfig"]["InputFile"]}
    assert info["OutputConfig"] == job["OutputConfig"]
    assert all(info[k] == job[k] for k in INFO_KEYS - {"UserId"})


def test_a_running_job_has_only_its_info(ice: Emulator) -> None:
    for state in ("Executing", "Created"):
        body = details(ice, jobs_in(ice, state)[0]["JobId"])
        assert set(body) <= DETAIL_KEYS and body["State"] == state


@pytest.mark.parametrize("job_id", ["0" * 32, "no-such-job", "x" * 500])
def test_an_unknown_id_is_resource_not_found(ice: Emulator, job_id: str) -> None:
    response = call(ice, {"JobId": job_id}, action=GET_JOB_ACTION)
    assert response.status_code == 404
    body = error_of(response)
    assert body["Code"] == "ResourceNotFound"
    assert len(body["Message"]) < 200


def test_faults_apply_to_this_action_too(ice: Emulator) -> None:
    job_id = ice.jobs[0]["JobId"]
    before = ice.calls_for(GET_JOB_ACTION), ice.calls_for(ACTION)
    ice.faults.script[:] = ["Throttling.User", "html"]
    first = call(ice, {"JobId": job_id}, action=GET_JOB_ACTION)
    second = call(ice, {"JobId": job_id}, action=GET_JOB_ACTION)
    assert error_of(first)["Code"] == "Throttling.User" and second.status_code == 502
    assert details(ice, job_id)["JobId"] == job_id
    assert (ice.calls_for(GET_JOB_ACTION), ice.calls_for(ACTION)) == (before[0] + 3, before[1])


def test_the_signature_is_checked_for_this_action(ice: Emulator) -> None:
    job_id = ice.jobs[0]["JobId"]
    wrong = call(ice, {"JobId": job_id}, action=GET_JOB_ACTION, secret="wrong-secret")
    assert error_of(wrong)["Code"] == "SignatureDoesNotMatch"
    other = call(ice, {"JobId": job_id}, action="GetSmartHandleJobs")
    assert error_of(other)["Code"] == "InvalidAction.NotFound"


def test_untidy_jobs_stay_untidy_in_their_details() -> None:
    def clock() -> datetime:
        return NOW

    with (
        Emulator(count=80, seed=4, clock=clock) as tidy,
        Emulator(count=80, seed=4, clock=clock, untidy=0.5) as untidy,
    ):
        pairs = [
            (before, after)
            for before, after in zip(tidy.jobs, untidy.jobs, strict=True)
            if after != before and isinstance(after, dict) and isinstance(after.get("JobId"), str)
        ]
        assert len(pairs) >= 20
        for before, after in pairs:
            body = details(untidy, after["JobId"])
            body.pop("RequestId")
            assert body != details_body(before, seed=4, region="cn-shanghai")
            assert body != details_body(after, seed=4, region="cn-shanghai"), (
                "one odd value of the details' own on top of the job's"
            )


# --------------------------------------------------------------------------- official SDK

RECORDED_JOB = "9e4a1c2b7d3f40e58a6b0c1d2e3f4a5b"


def _replay_emulator(case: str) -> Emulator:
    tokens = {"testid": "testststoken"} if case.endswith("_sts") else None
    job = {"JobId": RECORDED_JOB, "JobType": "ASR", "JobState": "Failed", "Title": "recorded"}
    return Emulator(
        jobs=[job], credentials={"testid": "testsecret"}, security_tokens=tokens, max_skew=None
    )


@pytest.mark.parametrize("case", SDK_CASES)
def test_official_sdk_requests_for_details_verify(case: str) -> None:
    recorded = sdk_requests()[case]
    assert recorded["method"] == "POST", "the SDK sends GetSmartHandleJob as a POST"
    assert recorded["headers"]["x-acs-action"] == GET_JOB_ACTION
    with _replay_emulator(case) as emulator:
        response = replay(emulator, recorded)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["JobId"] == RECORDED_JOB and body["SmartJobInfo"]["Title"] == "recorded"
    assert body["ErrorCode"] in {code for code, _ in FAILURES[JobType.ASR]}


@pytest.mark.parametrize("how", ["query", "header", "signature", "action"])
@pytest.mark.parametrize("case", SDK_CASES)
def test_tampered_official_sdk_requests_for_details_are_refused(case: str, how: str) -> None:
    tampered: dict[str, Any] = json.loads(json.dumps(sdk_requests()[case]))
    if how == "query":
        tampered["url"] = tampered["url"].replace(RECORDED_JOB, RECORDED_JOB[::-1])
    elif how == "header":
        tampered["headers"]["user-agent"] += " tampered"
    elif how == "action":
        tampered["headers"]["x-acs-action"] = ACTION
    else:
        auth = tampered["headers"]["Authorization"]
        tampered["headers"]["Authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    with _replay_emulator(case) as emulator:
        response = replay(emulator, tampered)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


def test_the_official_sdk_reads_the_emulator_s_details() -> None:
    from alibabacloud_ice20201109.models import GetSmartHandleJobRequest

    with Emulator(count=60, seed=9) as emulator:
        client = official_sdk_client(emulator)
        failed = jobs_in(emulator, "Failed")[0]
        body = client.get_smart_handle_job(GetSmartHandleJobRequest(job_id=failed["JobId"])).body
        finished = jobs_in(emulator, "Finished")[0]
        done = client.get_smart_handle_job(GetSmartHandleJobRequest(job_id=finished["JobId"])).body
    assert (body.error_code, body.error_message) == failure_of(failed, seed=9)
    assert body.smart_job_info.user_id == str(failed["UserId"])
    assert body.smart_job_info.input_config.input_file == failed["InputConfig"]["InputFile"]
    assert done.state == "Finished" and len(done.job_result.media_id) == 32
