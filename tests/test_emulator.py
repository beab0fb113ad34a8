"""The local ICE emulator, over real HTTP: signatures, errors, paging, faults, dataset."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._models import SmartJobPage
from bot.ice.emulator import (
    DEMO_ACCESS_KEY_ID,
    UNTIDY_VARIANTS,
    Emulator,
    Faults,
    generate_jobs,
)
from bot.ice.emulator._untidy import HUGE_TEXT, untidy, untidy_plan
from tests.emulator_helpers import (
    SUCCESS_KEYS,
    call,
    error_of,
    official_sdk_client,
    ok,
    pages,
    replay,
    sdk_requests,
    send,
    sign_for,
    start_process,
    stop_with_ctrl_c,
)

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
REQUEST_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
V3_CASES = ["v3_ak", "v3_sts", "v3_tricky", "v3_region_hz", "v3_region_sg"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulator]:
    """One shared emulator for read-only tests (every request carries a fresh nonce), with
    ``TotalCount`` so that counts can be checked on every page."""
    with Emulator(count=500, seed=7, total_count=True) as emulator:
        yield emulator


@pytest.fixture
def fresh() -> Iterator[Emulator]:
    """A small emulator of its own, for tests that count calls or script faults."""
    with Emulator(count=40, seed=3) as emulator:
        yield emulator


def matching(jobs: list[dict[str, Any]], **where: str) -> list[dict[str, Any]]:
    return [job for job in jobs if all(job.get(k) == v for k, v in where.items())]


# --------------------------------------------------------------------------- dataset


def test_dataset_is_deterministic_per_seed() -> None:
    first = generate_jobs(count=200, seed=11, now=NOW)
    assert first == generate_jobs(count=200, seed=11, now=NOW)
    assert first != generate_jobs(count=200, seed=12, now=NOW)
    assert [j["JobId"] for j in first] != [j["JobId"] for j in generate_jobs(count=200, seed=12)]


def test_dataset_shape() -> None:
    jobs = generate_jobs(count=500, seed=7, now=NOW)
    assert len(jobs) == 500
    ids = [job["JobId"] for job in jobs]
    assert len(set(ids)) == 500
    assert all(re.fullmatch(r"[0-9a-f]{32}", job_id) for job_id in ids)
    created = [datetime.strptime(j["CreateTime"], "%Y-%m-%dT%H:%M:%SZ") for j in jobs]
    assert created == sorted(created, reverse=True), "newest first"
    naive_now = NOW.replace(tzinfo=None)
    assert all(naive_now - timedelta(days=7) <= c <= naive_now for c in created)
    assert all(j["ModifiedTime"] >= j["CreateTime"] for j in jobs)
    assert {j["JobType"] for j in jobs} == set(JobType)
    assert {j["JobState"] for j in jobs} == set(JobState)
    failed = sum(j["JobState"] == JobState.FAILED for j in jobs)
    assert 25 <= failed <= 100, failed
    assert all(
        j["InputConfig"]["InputFile"].startswith("oss://") for j in jobs if "InputConfig" in j
    )
    for job in jobs:
        if "EditingConfig" in job and job["EditingConfig"] != "{not-json":
            json.loads(job["EditingConfig"])


def test_dataset_is_relative_to_now() -> None:
    later = NOW + timedelta(days=30)
    old = generate_jobs(count=50, seed=1, now=NOW)
    new = generate_jobs(count=50, seed=1, now=later)
    assert [j["JobId"] for j in old] == [j["JobId"] for j in new]
    assert new[0]["CreateTime"] > (later - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    naive = generate_jobs(count=50, seed=1, now=NOW.replace(tzinfo=None))
    assert naive == old


def test_dataset_awkward_cases_are_present() -> None:
    jobs = generate_jobs(count=500, seed=7, now=NOW)
    titles = [job.get("Title") for job in jobs]
    text = [t for t in titles if isinstance(t, str)]
    assert any(len(t) >= 300 for t in text)
    for needle in ("<!channel>", "<@U123>", "&", "*bold*", "_italic_", "~strike~", "`code`"):
        assert any(needle in t for t in text), needle
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", t) for t in text), "emoji"
    assert any(re.search(r"[\u0590-\u06FF]", t) for t in text), "right-to-left script"
    assert "" in titles
    assert any("Title" not in job for job in jobs)
    for key in ("InputConfig", "OutputConfig", "Description"):
        assert any(key not in job for job in jobs), key
    invalid = 0
    for job in jobs:
        try:
            json.loads(job.get("UserData", "{}"))
        except ValueError:
            invalid += 1
    assert invalid >= 1
    SmartJobPage.from_wire({"SmartJobList": jobs})  # every awkward job still parses


def test_dataset_small_counts() -> None:
    tiny = generate_jobs(count=4, seed=5, now=NOW)
    assert {j["JobType"] for j in tiny} == set(JobType)
    assert {j["JobState"] for j in tiny} == set(JobState)
    assert generate_jobs(count=0, now=NOW) == []
    with pytest.raises(ValueError):
        generate_jobs(count=-1)


# --------------------------------------------------------------------------- success


def test_total_count_is_left_out_unless_asked_as_the_service_does(fresh: Emulator) -> None:
    page = ok(fresh)
    assert set(page) == SUCCESS_KEYS
    assert len(page["SmartJobList"]) == 10 and page["NextToken"]
    assert SmartJobPage.from_wire(page).total_count is None


def test_page_with_total_count_matches_the_reference_shape(ice: Emulator) -> None:
    response = call(ice)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    page = response.json()
    assert set(page) == SUCCESS_KEYS | {"TotalCount"}
    assert REQUEST_ID.match(page["RequestId"])
    assert response.headers["x-acs-request-id"] == page["RequestId"]
    assert page["MaxResults"] == "10"
    assert page["TotalCount"] == "500"
    assert page["NextToken"]
    assert [j["JobId"] for j in page["SmartJobList"]] == [j["JobId"] for j in ice.jobs[:10]]
    assert isinstance(page["SmartJobList"][0]["UserId"], int)
    parsed = SmartJobPage.from_wire(page)
    assert parsed.total_count == 500
    assert parsed.max_results == 10


def test_every_response_has_a_fresh_request_id(ice: Emulator) -> None:
    ids = {ok(ice)["RequestId"] for _ in range(3)}
    ids |= {error_of(call(ice, {"MaxResults": "0"}))["RequestId"] for _ in range(2)}
    assert len(ids) == 5


@pytest.mark.parametrize(
    "where",
    [
        {"JobType": "ASR"},
        {"JobType": "TextToSpeech"},
        {"JobState": "Failed"},
        {"JobState": "Executing"},
        {"JobType": "VideoTranslation", "JobState": "Finished"},
        {"JobType": "DynamicChart", "JobState": "Created"},
    ],
)
def test_filters(ice: Emulator, where: dict[str, str]) -> None:
    expected = matching(ice.jobs, **where)
    assert expected, "the dataset must hold jobs for this filter"
    page = ok(ice, where | {"MaxResults": "100"})
    assert page["TotalCount"] == str(len(expected))
    assert page["SmartJobList"] == expected[:100]


def test_sort_orders(ice: Emulator) -> None:
    newest = ok(ice, {"SortBy": SortBy.NEWEST, "MaxResults": "50"})["SmartJobList"]
    oldest = ok(ice, {"SortBy": SortBy.OLDEST, "MaxResults": "50"})["SmartJobList"]
    default = ok(ice, {"MaxResults": "50"})["SmartJobList"]
    assert default == newest
    new_times = [j["CreateTime"] for j in newest]
    old_times = [j["CreateTime"] for j in oldest]
    assert new_times == sorted(new_times, reverse=True)
    assert old_times == sorted(old_times)
    assert oldest[0]["CreateTime"] == min(j["CreateTime"] for j in ice.jobs)
    assert newest[0]["CreateTime"] == max(j["CreateTime"] for j in ice.jobs)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"MaxResults": "100"},
        {"JobState": "Failed", "MaxResults": "7"},
        {"JobType": "ASR", "SortBy": "CreationTime:Asc", "MaxResults": "13"},
    ],
)
def test_next_token_pages_every_job_once(ice: Emulator, params: dict[str, str]) -> None:
    where = {k: v for k, v in params.items() if k in ("JobType", "JobState")}
    expected = matching(ice.jobs, **where)
    if params.get("SortBy") == SortBy.OLDEST:
        expected.reverse()
    seen: list[str] = []
    totals: set[str] = set()
    all_pages = list(pages(ice, params))
    for page in all_pages:
        seen += [job["JobId"] for job in page["SmartJobList"]]
        totals.add(page["TotalCount"])
    assert seen == [job["JobId"] for job in expected]
    assert len(seen) == len(set(seen))
    assert totals == {str(len(expected))}
    size = int(params.get("MaxResults", "10"))
    assert len(all_pages) == -(-len(expected) // size)
    assert all(page["MaxResults"] == str(size) for page in all_pages)
    assert all_pages[-1]["NextToken"] == ""


def test_page_no_and_page_size(ice: Emulator) -> None:
    expected = [j["JobId"] for j in matching(ice.jobs, JobState="Finished")]
    seen: list[str] = []
    page_no = 1
    while True:
        page = ok(ice, {"JobState": "Finished", "PageSize": "40", "PageNo": str(page_no)})
        assert page["TotalCount"] == str(len(expected))
        assert page["MaxResults"] == "40"
        if not page["SmartJobList"]:
            break
        seen += [j["JobId"] for j in page["SmartJobList"]]
        page_no += 1
    assert seen == expected
    assert page_no == -(-len(expected) // 40) + 1


def test_unknown_parameters_are_ignored(ice: Emulator) -> None:
    plain = ok(ice, {"JobType": "ASR"})
    extra = ok(ice, {"JobType": "ASR", "Foo": "bar baz", "RegionId": "cn-shanghai"})
    assert extra["SmartJobList"] == plain["SmartJobList"]
    assert extra["TotalCount"] == plain["TotalCount"]


def test_next_token_is_bound_to_its_filter(ice: Emulator) -> None:
    token = ok(ice, {"JobState": "Failed", "MaxResults": "5"})["NextToken"]
    assert token
    # The page size may change between pages: only the filter and the order are bound.
    assert ok(ice, {"JobState": "Failed", "MaxResults": "20", "NextToken": token})["SmartJobList"]
    for other in (
        {"JobState": "Finished"},
        {"JobState": "Failed", "JobType": "ASR"},
        {"JobState": "Failed", "SortBy": "CreationTime:Asc"},
    ):
        response = call(ice, other | {"NextToken": token})
        assert response.status_code == 400
        body = error_of(response)
        assert body["Code"] == "InvalidParameter"
        assert "NextToken" in body["Message"]


@pytest.mark.parametrize("mangle", ["abc", "flip", "truncate", "payload"])
def test_forged_next_token_is_refused(ice: Emulator, mangle: str) -> None:
    token = ok(ice, {"MaxResults": "5"})["NextToken"]
    payload, _, mac = token.partition(".")
    forged = {
        "abc": "abc",
        "flip": f"{payload}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}",
        "truncate": token[:-3],
        "payload": f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{mac}",
    }[mangle]
    response = call(ice, {"MaxResults": "5", "NextToken": forged})
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "InvalidParameter"
    assert "NextToken" in body["Message"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MaxResults", "0"),
        ("MaxResults", "101"),
        ("MaxResults", "abc"),
        ("MaxResults", "-1"),
        ("MaxResults", "1.5"),
        ("PageSize", "0"),
        ("PageSize", "101"),
        ("PageNo", "0"),
        ("PageNo", "-3"),
        ("JobType", "asr"),
        ("JobType", "Transcode"),
        ("JobState", "Running"),
        ("SortBy", "CreationTime:Sideways"),
    ],
)
def test_invalid_parameters(ice: Emulator, name: str, value: str) -> None:
    response = call(ice, {name: value})
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "InvalidParameter"
    assert name in body["Message"]


@pytest.mark.parametrize(("name", "value"), [("MaxResults", "1"), ("MaxResults", "100")])
def test_parameter_bounds_are_inclusive(ice: Emulator, name: str, value: str) -> None:
    page = ok(ice, {name: value})
    assert len(page["SmartJobList"]) == int(value)


def test_custom_jobs_are_served_newest_first() -> None:
    jobs = [
        {
            "JobId": "a" * 32,
            "JobType": "ASR",
            "JobState": "Failed",
            "CreateTime": "2026-01-01T00:00:00Z",
        },
        {
            "JobId": "b" * 32,
            "JobType": "ASR",
            "JobState": "Failed",
            "CreateTime": "2026-01-03T00:00:00Z",
        },
        {"JobId": "c" * 32, "JobType": "TextToSpeech", "CreateTime": "2026-01-02T00:00:00Z"},
    ]
    with Emulator(jobs=jobs, total_count=True) as emulator:
        assert [j["JobId"][0] for j in emulator.jobs] == ["b", "c", "a"]
        page = ok(emulator, {"JobType": "ASR"})
    assert [j["JobId"][0] for j in page["SmartJobList"]] == ["b", "a"]
    assert page["TotalCount"] == "2"
    assert page["NextToken"] == ""


# --------------------------------------------------------------------------- rejections


def test_error_body_shape(ice: Emulator) -> None:
    response = call(ice, key_id="nobody")
    assert response.status_code == 404
    body = error_of(response)
    assert body["Code"] == "InvalidAccessKeyId.NotFound"
    assert REQUEST_ID.match(body["RequestId"])
    assert body["Recommend"].startswith("https://")
    assert body["RequestId"] in body["Recommend"]
    assert body["HostId"] == ice.url.removeprefix("http://")


def test_wrong_secret_is_signature_does_not_match(ice: Emulator) -> None:
    response = call(ice, {"JobType": "ASR"}, secret="not-the-secret")
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "SignatureDoesNotMatch"
    assert "ACS3-HMAC-SHA256\n" in body["Message"], "shows the server's string to sign"


def test_tampered_query_is_signature_does_not_match(ice: Emulator) -> None:
    signed = sign_for(ice, {"JobType": "ASR"})
    tampered = dataclasses.replace(
        signed, url=signed.url.replace("JobType=ASR", "JobType=TextToSpeech")
    )
    assert error_of(send(tampered))["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=-16), timedelta(minutes=16), timedelta(days=-400)]
)
def test_stale_or_future_date(ice: Emulator, skew: timedelta) -> None:
    date = (datetime.now(UTC) + skew).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = call(ice, date=date)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidTimeStamp.Expired"


@pytest.mark.parametrize("date", ["yesterday", "2026-11-20 12:00:00", "2026-11-20T12:00:00+08:00"])
def test_unparseable_date(ice: Emulator, date: str) -> None:
    response = call(ice, date=date)
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "InvalidTimeStamp.Expired"
    assert "x-acs-date" in body["Message"]


def test_date_within_skew_is_accepted(ice: Emulator) -> None:
    date = (datetime.now(UTC) - timedelta(minutes=14)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok(ice, date=date)["TotalCount"] == "500"


def test_relaxed_clock_accepts_any_date() -> None:
    with Emulator(count=5, max_skew=None) as emulator:
        assert len(ok(emulator, date="2024-01-01T00:00:00Z")["SmartJobList"]) == 5
        assert error_of(call(emulator, date="soon"))["Code"] == "InvalidTimeStamp.Expired"


def test_reused_nonce(ice: Emulator) -> None:
    first = call(ice, nonce="fixed-nonce-1")
    assert first.status_code == 200
    again = call(ice, {"JobType": "ASR"}, nonce="fixed-nonce-1")
    assert again.status_code == 400
    assert error_of(again)["Code"] == "SignatureNonceUsed"


def test_rejected_signature_does_not_use_up_the_nonce(ice: Emulator) -> None:
    assert error_of(call(ice, secret="wrong", nonce="n-2"))["Code"] == "SignatureDoesNotMatch"
    assert call(ice, nonce="n-2").status_code == 200


def test_wrong_action(ice: Emulator) -> None:
    response = call(ice, action="ListMediaInfos")
    assert response.status_code == 404
    assert error_of(response)["Code"] == "InvalidAction.NotFound"


def test_wrong_version(ice: Emulator) -> None:
    response = call(ice, version="2017-03-21")
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidVersion"


def test_wrong_path(ice: Emulator) -> None:
    signed = sign_for(ice)
    response = httpx.get(f"{ice.url}/admin", headers=signed.headers)
    assert response.status_code == 404
    assert error_of(response)["Code"] == "InvalidAction.NotFound"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer abc", "ACS3-HMAC-SHA256 garbage", "ACS3-HMAC-SHA256 Credential=x,Signature=y"],
)
def test_missing_or_malformed_authorization(ice: Emulator, authorization: str | None) -> None:
    signed = sign_for(ice)
    headers = {k: v for k, v in signed.headers.items() if k != "Authorization"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = httpx.get(signed.url, headers=headers)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "IncompleteSignature"


@pytest.mark.parametrize(
    "header", ["x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"]
)
def test_missing_required_header(ice: Emulator, header: str) -> None:
    signed = sign_for(ice)
    headers = {k: v for k, v in signed.headers.items() if k != header}
    response = httpx.get(signed.url, headers=headers)
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "MissingParameter"
    assert header in body["Message"]


def test_missing_content_sha256(ice: Emulator) -> None:
    signed = sign_for(ice)
    headers = {k: v for k, v in signed.headers.items() if k != "x-acs-content-sha256"}
    response = httpx.get(signed.url, headers=headers)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "IncompleteSignature"


def test_unsigned_acs_header_is_refused(ice: Emulator) -> None:
    signed = sign_for(ice)
    response = httpx.get(signed.url, headers=signed.headers | {"x-acs-extra": "1"})
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "IncompleteSignature"
    assert "x-acs-extra" in body["Message"]


def test_body_must_match_content_sha256(ice: Emulator) -> None:
    signed = sign_for(ice, method="POST")
    response = send(signed, method="POST", body=b'{"sneaky": true}')
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "SignatureDoesNotMatch"
    assert "x-acs-content-sha256" in body["Message"]
    assert call(ice, method="POST", body=b'{"signed": true}').status_code == 200


def test_host_is_what_the_request_says(ice: Emulator) -> None:
    # Signed for the public endpoint, sent to the emulator with its own Host header.
    signed = sign_for(ice, host="ice.cn-shanghai.aliyuncs.com")
    headers = {k: v for k, v in signed.headers.items() if k != "host"}
    assert error_of(httpx.get(signed.url, headers=headers))["Code"] == "SignatureDoesNotMatch"
    again = sign_for(ice, host="ice.cn-shanghai.aliyuncs.com")
    assert httpx.get(again.url, headers=again.headers).status_code == 200


def test_host_header_option_overrides_the_request_host() -> None:
    with Emulator(count=5, host_header="ice.cn-shanghai.aliyuncs.com") as emulator:
        signed = sign_for(emulator, host="ice.cn-shanghai.aliyuncs.com")
        headers = {k: v for k, v in signed.headers.items() if k != "host"}
        assert httpx.get(signed.url, headers=headers).status_code == 200
        wrong = error_of(call(emulator))  # signed for 127.0.0.1:<port>
    assert wrong["Code"] == "SignatureDoesNotMatch"
    assert wrong["HostId"] == "ice.cn-shanghai.aliyuncs.com"


# --------------------------------------------------------------------------- STS


@pytest.fixture
def sts() -> Iterator[Emulator]:
    with Emulator(
        count=30,
        credentials={"STS.role": "role-secret", "plain": "plain-secret"},
        security_tokens={"STS.role": "the-token"},
    ) as emulator:
        yield emulator


def test_sts_success(sts: Emulator) -> None:
    page = ok(sts, {"MaxResults": "3"}, key_id="STS.role", secret="role-secret", token="the-token")
    assert len(page["SmartJobList"]) == 3


@pytest.mark.parametrize(
    ("key_id", "secret", "token"),
    [
        ("STS.role", "role-secret", None),
        ("STS.role", "role-secret", "another-token"),
        ("plain", "plain-secret", "a-token"),
    ],
)
def test_sts_token_problems(sts: Emulator, key_id: str, secret: str, token: str | None) -> None:
    response = call(sts, key_id=key_id, secret=secret, token=token)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidSecurityToken.Malformed"


# --------------------------------------------------------------------------- official SDK


def _replay_emulator(case: str, **kw: Any) -> Emulator:
    tokens = {"testid": "testststoken"} if case == "v3_sts" else None
    return Emulator(
        count=200,
        credentials={"testid": "testsecret"},
        security_tokens=tokens,
        max_skew=None,
        total_count=True,
        **kw,
    )


@pytest.mark.parametrize("case", V3_CASES)
def test_official_sdk_requests_verify(case: str) -> None:
    recorded = sdk_requests()[case]
    # The recorded NextToken ("abc") was never issued here: read it as the first page.
    with _replay_emulator(case, lenient_tokens=True) as emulator:
        response = replay(emulator, recorded)
        expected = matching(emulator.jobs, JobState="Failed", JobType="ASR")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["MaxResults"] == "20"
    assert page["TotalCount"] == str(len(expected))
    assert page["SmartJobList"] == expected[:20]
    assert page["SmartJobList"]


def test_official_sdk_request_with_foreign_token_is_refused_by_default() -> None:
    with _replay_emulator("v3_ak") as emulator:
        body = error_of(replay(emulator, sdk_requests()["v3_ak"]))
    assert body["Code"] == "InvalidParameter"
    assert "NextToken" in body["Message"]


def _tamper(recorded: dict[str, Any], how: str) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(recorded))
    if how == "query":
        copy["url"] = copy["url"].replace("MaxResults=20", "MaxResults=21")
    elif how == "header":
        copy["headers"]["user-agent"] += " tampered"
    else:
        auth = copy["headers"]["Authorization"]
        last = auth[-1]
        copy["headers"]["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")
    return copy


@pytest.mark.parametrize("how", ["query", "header", "signature"])
@pytest.mark.parametrize("case", V3_CASES)
def test_tampered_official_sdk_requests_are_refused(case: str, how: str) -> None:
    tampered = _tamper(sdk_requests()[case], how)
    with _replay_emulator(case, lenient_tokens=True) as emulator:
        response = replay(emulator, tampered)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


def test_official_sdk_signature_v2_is_refused_clearly() -> None:
    with _replay_emulator("v2_ak") as emulator:
        response = replay(emulator, sdk_requests()["v2_ak"])
    assert response.status_code == 400
    body = error_of(response)
    assert body["Code"] == "IncompleteSignature"
    assert "ACS3-HMAC-SHA256" in body["Message"]


def test_official_sdk_pages_to_the_end() -> None:
    from alibabacloud_ice20201109.models import ListSmartJobsRequest

    with Emulator(count=120, seed=9, total_count=True) as emulator:
        client = official_sdk_client(emulator)
        expected = [j["JobId"] for j in matching(emulator.jobs, JobState="Finished")]
        seen: list[str] = []
        token: str | None = None
        for _ in range(100):
            request = ListSmartJobsRequest(job_state="Finished", max_results=9, next_token=token)
            body = client.list_smart_jobs(request).body
            assert body.total_count == str(len(expected))
            seen += [job.job_id for job in body.smart_job_list]
            token = body.next_token or None
            if token is None:
                break
        calls = emulator.calls
    assert seen == expected
    assert calls == -(-len(expected) // 9)


# --------------------------------------------------------------------------- faults


def test_script_answers_codes_in_order_then_normal() -> None:
    faults = Faults(script=["Throttling", "InternalError", "ServiceUnavailable", "Throttling.User"])
    with Emulator(count=10, faults=faults) as emulator:
        responses = [call(emulator) for _ in range(5)]
        calls = emulator.calls
    assert [r.status_code for r in responses] == [400, 500, 503, 400, 200]
    codes = [error_of(r)["Code"] for r in responses[:4]]
    assert codes == ["Throttling", "InternalError", "ServiceUnavailable", "Throttling.User"]
    assert faults.script == []
    assert calls == 5


def test_script_can_be_extended_on_a_live_emulator(fresh: Emulator) -> None:
    assert call(fresh).status_code == 200
    fresh.faults.script.append("SignatureNonceUsed")
    assert error_of(call(fresh))["Code"] == "SignatureNonceUsed"
    assert call(fresh).status_code == 200
    assert fresh.calls == 3


def test_script_html_page(fresh: Emulator) -> None:
    fresh.faults.script.append("html")
    response = call(fresh)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text


def test_script_malformed_json(fresh: Emulator) -> None:
    fresh.faults.script.append("malformed")
    response = call(fresh)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_script_timeout_holds_the_connection() -> None:
    with Emulator(count=5, faults=Faults(script=["timeout"], hang=30.0)) as emulator:
        with pytest.raises(httpx.ReadTimeout):
            send(sign_for(emulator), timeout=0.3)
        assert call(emulator).status_code == 200
        started = time.monotonic()
    assert time.monotonic() - started < 3, "stop() must not wait for the hung request"


def test_random_faults_at_full_rate() -> None:
    with Emulator(count=5, faults=Faults(throttle_rate=1.0)) as emulator:
        throttled = [call(emulator) for _ in range(3)]
    assert [(r.status_code, error_of(r)["Code"]) for r in throttled] == [
        (400, "Throttling.User")
    ] * 3
    with Emulator(count=5, faults=Faults(error_rate=1.0, seed=4)) as emulator:
        failing = [call(emulator) for _ in range(12)]
    codes = Counter(error_of(r)["Code"] for r in failing)
    assert set(codes) == {"InternalError", "ServiceUnavailable"}
    assert all(r.status_code in (500, 503) for r in failing)


def test_random_faults_are_deterministic_per_seed() -> None:
    def outcomes(seed: int) -> list[int]:
        faults = Faults(throttle_rate=0.3, error_rate=0.3, seed=seed)
        with Emulator(count=5, faults=faults) as emulator:
            return [call(emulator).status_code for _ in range(20)]

    first = outcomes(21)
    assert first == outcomes(21)
    assert 200 in first
    assert set(first) - {200}


def test_latency_is_added() -> None:
    with Emulator(count=5, faults=Faults(latency=0.25)) as emulator:
        started = time.monotonic()
        assert call(emulator).status_code == 200
        elapsed = time.monotonic() - started
    assert elapsed >= 0.25


# --------------------------------------------------------------------------- server


def test_calls_count_errors_too(fresh: Emulator) -> None:
    call(fresh)
    call(fresh, key_id="nobody")
    call(fresh, {"MaxResults": "0"})
    httpx.get(fresh.url)  # unsigned
    assert fresh.calls == 4


def test_keep_alive_reuses_one_connection(fresh: Emulator) -> None:
    with httpx.Client() as client:
        statuses = [send(sign_for(fresh), client=client).status_code for _ in range(4)]
        live = len(fresh._server.connections)
    assert statuses == [200] * 4
    assert live == 1


def test_stop_closes_the_port_and_pooled_connections() -> None:
    emulator = Emulator(count=5).start()
    with httpx.Client() as client:
        assert send(sign_for(emulator), client=client).status_code == 200
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(httpx.TransportError):
            send(sign_for(emulator), client=client)
    with pytest.raises(httpx.ConnectError):
        httpx.get(emulator.url, timeout=2)


def test_server_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    with Emulator(count=5) as emulator:
        call(emulator)
        call(emulator, key_id="nobody")
        httpx.get(emulator.url + "/nowhere")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def _start_cli(env: dict[str, str], **options: object) -> tuple[subprocess.Popen[str], str]:
    extra = "".join(f", {name}={value!r}" for name, value in options.items())
    code = f"from bot.ice.emulator import serve; serve(port=0, count=25, seed=3{extra})"
    return start_process([sys.executable, "-c", code], env)


def _cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    return env | extra


def test_serve_prints_one_line_and_stops_on_ctrl_c() -> None:
    proc, line = _start_cli(_cli_env())
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert DEMO_ACCESS_KEY_ID in line
        port = int(url.group(0).rsplit(":", 1)[1])
        response = send(sign_for(url.group(0)))
        assert response.status_code == 200
        assert len(response.json()["SmartJobList"]) == 10
        assert "TotalCount" not in response.json()
        assert port > 0
    finally:
        code, out, err = stop_with_ctrl_c(proc)
    assert code == 0, err
    assert "Traceback" not in err
    assert "stopped" in out


def test_serve_uses_env_credentials_and_never_prints_the_secret() -> None:
    env = _cli_env(
        ALIBABA_CLOUD_ACCESS_KEY_ID="env-key", ALIBABA_CLOUD_ACCESS_KEY_SECRET="env-secret-value"
    )
    proc, line = _start_cli(env)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        base = url.group(0)
        assert send(sign_for(base, key_id="env-key", secret="env-secret-value")).status_code == 200
        assert send(sign_for(base)).status_code == 404, "the demo pair is not accepted then"
    finally:
        code, out, err = stop_with_ctrl_c(proc)
    assert code == 0, err
    assert "env-secret-value" not in line + out + err
    assert "env-key" in line


def test_serve_with_total_count_and_untidy_jobs() -> None:
    proc, line = _start_cli(_cli_env(), total_count=True, untidy=0.5)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert "50% untidy" in line
        page = send(sign_for(url.group(0), {"MaxResults": "100"})).json()
    finally:
        code, _, err = stop_with_ctrl_c(proc)
    assert code == 0, err
    assert page["TotalCount"] == "25"
    assert any(
        not isinstance(entry, dict) or entry != tidy
        for entry, tidy in zip(page["SmartJobList"], generate_jobs(count=25, seed=3), strict=True)
    )


# --------------------------------------------------------------------------- untidy jobs


def test_untidy_plan_is_seeded_and_holds_every_variant() -> None:
    plan = untidy_plan(2000, rate=0.05, seed=7)
    assert plan == untidy_plan(2000, rate=0.05, seed=7)
    assert plan != untidy_plan(2000, rate=0.05, seed=8)
    assert 60 <= len(plan) <= 140, "about 5 % of the positions"
    assert {name for _, name in plan} == set(UNTIDY_VARIANTS)
    assert untidy_plan(2000, rate=0.0, seed=7) == []


def test_untidy_keeps_positions_and_the_tidy_jobs() -> None:
    tidy = generate_jobs(count=400, seed=7, now=NOW)
    mixed = untidy(tidy, rate=0.25, seed=7)
    edited = dict(untidy_plan(400, rate=0.25, seed=7))
    assert len(mixed) == len(tidy)
    for index, (before, after) in enumerate(zip(tidy, mixed, strict=True)):
        if index not in edited:
            assert after is before
        else:
            assert after == UNTIDY_VARIANTS[edited[index]](before)
    assert tidy == generate_jobs(count=400, seed=7, now=NOW), "the source is not mutated"
    assert untidy(tidy, rate=0.25, seed=7) == mixed


def test_every_untidy_variant_changes_its_job_and_stays_json(ice: Emulator) -> None:
    tidy = ice.jobs[0]
    for name, variant in UNTIDY_VARIANTS.items():
        odd = variant(dict(tidy))
        # JSON text, not ==: the float UserId 1.0e15 equals the int it came from
        assert json.dumps(odd, sort_keys=True) != json.dumps(tidy, sort_keys=True), name


def test_untidy_emulator_serves_every_entry() -> None:
    with Emulator(count=60, seed=3, untidy=0.5) as emulator:
        served = [
            entry
            for page in pages(emulator, {"MaxResults": "25"})
            for entry in page["SmartJobList"]
        ]
        stored = list(emulator.jobs)
    assert served == json.loads(json.dumps(stored))
    assert any(not isinstance(entry, dict) for entry in served), "non-object entries included"
    assert any(isinstance(entry, dict) and entry.get("Title") == HUGE_TEXT for entry in served)
