"""IceClient behaviour at the network boundary (httpx.MockTransport): retries, errors, paging.

The end-to-end tests against the emulator over real HTTP live in test_client_emulator.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from bot.ice import (
    CallRecord,
    Credentials,
    IceAuthError,
    IceClient,
    IceParameterError,
    IceProtocolError,
    IceRequestError,
    IceServiceError,
    IceThrottledError,
    IceTransportError,
    JobState,
    JobType,
    RepeatedTokenError,
    RetryPolicy,
    StaticCredentials,
)

SECRET = "super-secret-value-1234"
TOKEN = "sts-token-value-5678"

Handler = Callable[[httpx.Request], httpx.Response]


def page_body(ids: list[str], next_token: str = "", total: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "RequestId": "RID-OK",
        "SmartJobList": [
            {"JobId": i, "Title": f"t{i}", "JobType": "ASR", "JobState": "Failed"} for i in ids
        ],
        "NextToken": next_token,
        "MaxResults": "10",
    }
    if total is not None:
        body["TotalCount"] = str(total)
    return body


def error(status: int, code: str, rid: str = "RID-ERR") -> httpx.Response:
    return httpx.Response(
        status, json={"RequestId": rid, "HostId": "ice", "Code": code, "Message": f"{code} msg"}
    )


def make_client(handler: Handler, **kwargs: object) -> tuple[IceClient, list[float]]:
    slept: list[float] = []
    client = IceClient(
        credentials=StaticCredentials(Credentials("id1", SECRET, TOKEN)),
        endpoint="http://ice.test",
        transport=httpx.MockTransport(handler),
        sleep=slept.append,
        rng=random.Random(1),
        **kwargs,  # type: ignore[arg-type]
    )
    return client, slept


def scripted(responses: list[httpx.Response]) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response] = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(queue)

    return handler, seen


def test_parses_a_page_with_string_numbers() -> None:
    handler, seen = scripted([httpx.Response(200, json=page_body(["a", "b"], "tok", 110))])
    client, _ = make_client(handler)
    page = client.list_smart_jobs(job_type=JobType.ASR, job_state="Failed", max_results=2)
    assert [j.job_id for j in page.smart_job_list] == ["a", "b"]
    assert page.total_count == 110 and page.max_results == 10 and page.next_token == "tok"
    query = dict(parse_qsl(urlsplit(str(seen[0].url)).query))
    assert query == {"JobType": "ASR", "JobState": "Failed", "MaxResults": "2"}
    assert seen[0].headers["x-acs-security-token"] == TOKEN


@pytest.mark.parametrize(
    "code", ["Throttling", "Throttling.User", "ServiceUnavailable", "InternalError"]
)
def test_retries_retryable_codes_then_succeeds(code: str) -> None:
    handler, seen = scripted(
        [error(503, code), error(500, code), httpx.Response(200, json=page_body(["x"]))]
    )
    client, slept = make_client(handler)
    page = client.list_smart_jobs()
    assert page.smart_job_list[0].job_id == "x"
    assert len(seen) == 3 and len(slept) == 2
    assert all(0 <= s <= 2.0 for s in slept)
    nonces = {r.headers["x-acs-signature-nonce"] for r in seen}
    assert len(nonces) == 3, "every attempt is re-signed with a fresh nonce"


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (404, "InvalidAccessKeyId.NotFound", IceAuthError),
        (400, "SignatureDoesNotMatch", IceAuthError),
        (403, "Forbidden.RAM", IceAuthError),
        (403, "NoPermission", IceAuthError),
        (400, "InvalidParameter", IceParameterError),
        (400, "MissingParameter", IceParameterError),
    ],
)
def test_never_retries_auth_permission_or_parameter_errors(
    status: int, code: str, kind: type[Exception]
) -> None:
    handler, seen = scripted([error(status, code, "RID-7")])
    client, slept = make_client(handler)
    with pytest.raises(kind) as info:
        client.list_smart_jobs()
    assert len(seen) == 1 and slept == []
    err = info.value
    assert err.code == code and err.request_id == "RID-7" and err.status == status  # type: ignore[attr-defined]
    assert err.hint  # type: ignore[attr-defined]


def test_signature_mismatch_hint_names_the_secret_not_its_value() -> None:
    handler, _ = scripted([error(400, "SignatureDoesNotMatch")])
    client, _ = make_client(handler)
    with pytest.raises(IceAuthError) as info:
        client.list_smart_jobs()
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in info.value.hint
    for text in (str(info.value), repr(info.value), info.value.hint, repr(client)):
        assert SECRET not in text and TOKEN not in text


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    handler, seen = scripted([error(503, "Throttling.User")] * 10)
    client, slept = make_client(handler, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(IceThrottledError) as info:
        client.list_smart_jobs()
    assert len(seen) == 3 and len(slept) == 2 and info.value.attempts == 3


def test_deadline_stops_retries_before_max_attempts() -> None:
    handler, seen = scripted([error(500, "InternalError")] * 10)
    # a deadline shorter than any possible backoff: one attempt, no sleep
    client, slept = make_client(
        handler, retry=RetryPolicy(max_attempts=10, base_delay=5, max_delay=5, deadline=0.001)
    )
    with pytest.raises(IceServiceError):
        client.list_smart_jobs()
    assert len(seen) == 1 and slept == []


def test_timeouts_and_connection_errors_are_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("slow", request=request)
        if calls["n"] == 2:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=page_body(["ok"]))

    client, slept = make_client(handler)
    assert client.list_smart_jobs().smart_job_list[0].job_id == "ok"
    assert calls["n"] == 3 and len(slept) == 2


def test_persistent_connection_failure_names_the_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = make_client(handler, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(IceTransportError) as info:
        client.list_smart_jobs()
    assert "ice.test" in str(info.value) and "ICE_ENDPOINT" in info.value.hint


def test_html_error_page_from_a_proxy_is_a_retryable_service_error() -> None:
    html = httpx.Response(
        502, text="<html><body>Bad Gateway</body></html>", headers={"content-type": "text/html"}
    )
    handler, seen = scripted([html, httpx.Response(200, json=page_body(["a"]))])
    client, _ = make_client(handler)
    assert client.list_smart_jobs().smart_job_list[0].job_id == "a"
    assert len(seen) == 2


def test_malformed_json_is_a_protocol_error_not_a_crash() -> None:
    handler, seen = scripted([httpx.Response(200, text="{not json")])
    client, _ = make_client(handler)
    with pytest.raises(IceProtocolError) as info:
        client.list_smart_jobs()
    assert "HTTP 200" in str(info.value) and len(seen) == 1


def test_one_wrongly_typed_field_costs_that_field_not_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = page_body(["a", "b", "c"])
    jobs: list[dict[str, object]] = body["SmartJobList"]  # type: ignore[assignment]
    jobs[0]["ModifiedTime"] = ""
    jobs[1]["UserId"] = "1084506228******"
    jobs[1]["CreateTime"] = "yesterday"
    jobs[2]["InputConfig"] = "oss://bucket/in.mp4"
    jobs[2]["Title"] = ["a", "list"]
    records: list[CallRecord] = []
    handler, seen = scripted([httpx.Response(200, json=body)])
    client, _ = make_client(handler, observers=(records.append,))
    with caplog.at_level("WARNING", logger="bot.ice"):
        page = client.list_smart_jobs()
    assert [j.job_id for j in page.smart_job_list] == ["a", "b", "c"] and len(seen) == 1
    first, second, third = page.smart_job_list
    assert first.modified_time is None and first.degraded == ()
    assert second.user_id == "1084506228******" and second.create_time is None
    assert second.degraded == ("CreateTime",) and second.raw["CreateTime"] == "yesterday"
    assert third.input_config is not None and third.input_config.input_file == "oss://bucket/in.mp4"
    assert third.title is None and set(third.degraded) == {"Title", "InputConfig"}
    assert page.degraded == {"CreateTime": 1, "Title": 1, "InputConfig": 1}
    assert (records[-1].degraded, records[-1].unreadable) == (3, 0)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.ice"]
    assert "RID-OK" in line and "CreateTime=1" in line and "InputConfig=1" in line
    assert "yesterday" not in line and "oss://" not in line, "values are user data"


def test_entries_that_are_not_objects_are_skipped_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = page_body(["a", "b"])
    body["SmartJobList"] = ["oops", *body["SmartJobList"], None, 7]  # type: ignore[misc]
    records: list[CallRecord] = []
    handler, _ = scripted([httpx.Response(200, json=body)])
    client, _ = make_client(handler, observers=(records.append,))
    with caplog.at_level("WARNING", logger="bot.ice"):
        page = client.list_smart_jobs()
    assert [j.job_id for j in page.smart_job_list] == ["a", "b"]
    assert page.unreadable == 3 and page.degraded == {}
    assert (records[-1].degraded, records[-1].unreadable) == (0, 3)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.ice"]
    assert "3 unreadable" in line and "RID-OK" in line


@pytest.mark.parametrize("job_list", ["not a list", {"JobId": "a"}, 42])
def test_a_job_list_that_is_not_a_list_is_an_empty_page(job_list: object) -> None:
    body = page_body(["a"], next_token="more")
    body["SmartJobList"] = job_list
    handler, _ = scripted([httpx.Response(200, json=body)])
    client, _ = make_client(handler)
    page = client.list_smart_jobs()
    assert page.smart_job_list == () and page.next_token == "more"
    assert page.degraded == {"SmartJobList": 1}


@pytest.mark.parametrize("content", [b"[1, 2]", b'"text"', b"null", b"[" * 100_000])
def test_a_body_that_is_not_a_json_object_is_a_protocol_error(content: bytes) -> None:
    handler, seen = scripted([httpx.Response(200, content=content)])
    client, _ = make_client(handler)
    with pytest.raises(IceProtocolError) as info:
        client.list_smart_jobs()
    assert "not the API's JSON" in info.value.message and len(seen) == 1


def test_an_error_code_on_http_200_is_still_an_error() -> None:
    handler, _ = scripted([error(200, "InvalidParameter")])
    client, _ = make_client(handler)
    with pytest.raises(IceParameterError):
        client.list_smart_jobs()


def test_an_integer_too_long_for_python_costs_only_its_field() -> None:
    digits = "9" * 5000  # int() refuses more than 4300 digits
    jobs = '[{"JobId":"a","UserId":DIGITS},{"JobId":"b"}]'
    raw = '{"RequestId":"R","SmartJobList":JOBS,"TotalCount":DIGITS}'.replace("JOBS", jobs)
    raw = raw.replace("DIGITS", digits)
    handler, _ = scripted([httpx.Response(200, content=raw.encode())])
    client, _ = make_client(handler)
    page = client.list_smart_jobs()
    assert [j.job_id for j in page.smart_job_list] == ["a", "b"]
    assert page.smart_job_list[0].user_id == digits[:10_000]
    assert page.total_count is None and page.degraded == {"TotalCount": 1}


def test_unknown_job_type_from_the_service_still_parses() -> None:
    body = page_body(["a"])
    body["SmartJobList"] = [{"JobId": "a", "JobType": "HologramSynthesis", "JobState": "Paused"}]
    handler, _ = scripted([httpx.Response(200, json=body)])
    client, _ = make_client(handler)
    job = client.list_smart_jobs().smart_job_list[0]
    assert job.job_type == "HologramSynthesis" and job.job_state == "Paused"


def test_known_values_parse_as_enums() -> None:
    handler, _ = scripted([httpx.Response(200, json=page_body(["a"]))])
    client, _ = make_client(handler)
    job = client.list_smart_jobs().smart_job_list[0]
    assert job.job_type is JobType.ASR and job.job_state is JobState.FAILED


def test_iter_pages_follows_next_token_to_the_end() -> None:
    handler, seen = scripted(
        [
            httpx.Response(200, json=page_body(["a"], "t1")),
            httpx.Response(200, json=page_body(["b"], "t2")),
            httpx.Response(200, json=page_body(["c"], "")),
        ]
    )
    client, _ = make_client(handler)
    ids = [j.job_id for p in client.iter_pages(max_results=1) for j in p.smart_job_list]
    assert ids == ["a", "b", "c"]
    assert [dict(parse_qsl(urlsplit(str(r.url)).query)).get("NextToken") for r in seen] == [
        None,
        "t1",
        "t2",
    ]


def test_iter_pages_stops_on_a_repeated_token() -> None:
    handler, _ = scripted(
        [
            httpx.Response(200, json=page_body(["a"], "same")),
            httpx.Response(200, json=page_body(["b"], "same")),
            httpx.Response(200, json=page_body(["c"], "")),
        ]
    )
    client, _ = make_client(handler)
    got: list[str] = []
    with pytest.raises(RepeatedTokenError):
        for page in client.iter_pages():
            got.extend(j.job_id for j in page.smart_job_list)
    assert got == ["a", "b"]


def test_invalid_arguments_fail_before_any_request() -> None:
    handler, seen = scripted([])
    client, _ = make_client(handler)
    bad_arguments = (
        {"max_results": 0},
        {"max_results": 101},
        {"max_results": "10"},
        {"max_results": True},
        {"page_size": 0},
        {"page_no": 0},
        {"job_state": "Nope"},
        {"job_type": "asr"},
        {"sort_by": "newest"},
        {"next_token": 5},
    )
    for bad in bad_arguments:
        with pytest.raises(IceRequestError) as info:
            client.list_smart_jobs(**bad)  # type: ignore[arg-type]
        assert isinstance(info.value, ValueError)
        assert next(iter(bad)) in str(info.value), "the message names the argument"
    assert seen == []


def test_arguments_at_their_bounds_are_sent() -> None:
    handler, seen = scripted([httpx.Response(200, json=page_body([]))] * 2)
    client, _ = make_client(handler)
    client.list_smart_jobs(max_results=100, sort_by="CreationTime:Asc", job_type="ASR")
    client.list_smart_jobs(page_no=1, page_size=1, next_token="")
    queries = [dict(parse_qsl(urlsplit(str(r.url)).query)) for r in seen]
    assert queries == [
        {"MaxResults": "100", "SortBy": "CreationTime:Asc", "JobType": "ASR"},
        {"PageNo": "1", "PageSize": "1"},
    ]


def test_credentials_are_asked_for_on_every_attempt() -> None:
    class Rotating:
        def __init__(self) -> None:
            self.n = 0

        def get_credentials(self) -> Credentials:
            self.n += 1
            return Credentials(f"id{self.n}", "s", f"tok{self.n}")

    rotating = Rotating()
    handler, seen = scripted([error(503, "Throttling"), httpx.Response(200, json=page_body(["a"]))])
    client = IceClient(
        credentials=rotating,
        endpoint="http://ice.test",
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    )
    client.list_smart_jobs()
    assert [r.headers["x-acs-security-token"] for r in seen] == ["tok1", "tok2"]


def test_region_builds_the_endpoint_and_env_overrides() -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "i",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s",
        "ICE_REGION": "cn-beijing",
    }
    assert IceClient.from_env(env).endpoint == "https://ice.cn-beijing.aliyuncs.com"
    assert (
        IceClient.from_env({**env, "ICE_ENDPOINT": "http://127.0.0.1:8787/"}).endpoint
        == "http://127.0.0.1:8787"
    )
    assert IceClient.from_env({}).endpoint == "https://ice.cn-shanghai.aliyuncs.com"


def test_observers_see_every_attempt_with_request_ids() -> None:
    records = []
    handler, _ = scripted(
        [error(503, "Throttling", "R1"), httpx.Response(200, json=page_body(["a"]))]
    )
    client, _ = make_client(handler, observers=(records.append,))
    client.list_smart_jobs()
    assert [(r.attempt, r.code, r.request_id) for r in records] == [
        (0, "Throttling", "R1"),
        (1, None, "RID-OK"),
    ]


def test_json_views_of_string_fields() -> None:
    body = page_body(["a"])
    body["SmartJobList"] = [
        {"JobId": "a", "UserData": json.dumps({"k": 1}), "EditingConfig": "{broken"}
    ]
    handler, _ = scripted([httpx.Response(200, json=body)])
    client, _ = make_client(handler)
    job = client.list_smart_jobs().smart_job_list[0]
    assert job.user_data_json == {"k": 1}
    assert job.editing_config == "{broken" and job.editing_config_json is None


def test_lazy_exports_are_all_listed_and_cheap() -> None:
    import subprocess
    import sys

    import bot.ice
    import bot.render

    for package in (bot.ice, bot.render):
        assert sorted(package.__all__) == dir(package), "every lazy name is exported"
        for name in package.__all__:
            assert getattr(package, name) is not None
    script = "import sys; from bot.ice import JobState, IceError; print(sorted(m for m in ('bot.ice._models', 'bot.ice._reader', 'httpx', 'alibabacloud_credentials') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_role_arn_goes_through_the_credentials_chain_with_the_pair() -> None:
    from bot.ice import DefaultCredentials, credentials_from_env

    provider = credentials_from_env(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "id-for-role",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "role-pair-secret-value",
            "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::123:role/smartjobs",
        }
    )
    assert isinstance(provider, DefaultCredentials)
    config = provider._config
    assert config.type == "ram_role_arn"
    assert config.role_arn == "acs:ram::123:role/smartjobs"
    assert config.role_session_name == "smartjobs"
    assert "role-pair-secret-value" not in repr(provider)


def test_no_credentials_anywhere_fails_fast_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from bot.ice import CredentialsError, DefaultCredentials

    for name in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_CREDENTIALS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aliyun or ~/.alibabacloud files
    client = IceClient(
        credentials=DefaultCredentials(),
        endpoint="http://ice.test",
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
    )
    with pytest.raises(CredentialsError) as info:
        client.list_smart_jobs()
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in info.value.hint
    assert "Traceback" not in str(info.value)
