"""Properties over untidy bodies (tests/ice_bodies.py): the reader and the real client over HTTP
always return a page with one job per object entry, in order, and never raise; and wherever the
official SDK's model accepts a body, it finds the same jobs."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ice import (
    Credentials,
    IceClient,
    JobState,
    JobType,
    RetryPolicy,
    SmartJob,
    SmartJobPage,
    StaticCredentials,
)
from bot.ice._reader import JSON_TEXT_LIMIT, TEXT_LIMIT
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator
from tests.ice_bodies import bodies, job_lists, object_entries, pages_of_jobs

ONE_TRY = RetryPolicy(max_attempts=1)
ZONES = [timezone(timedelta(hours=h)) for h in (-12, 0, 14)]


def wire(body: Any) -> Any:
    """What a body is after a trip through JSON (NaN stays NaN: Python's JSON allows it)."""
    return json.loads(json.dumps(body))


def same_json(left: Any, right: Any) -> bool:
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def check_job(job: SmartJob) -> None:
    """What every reader of a job may rely on, however odd its entry was."""
    for value in (job.job_id, job.title, job.description, job.user_id):
        assert value is None or (isinstance(value, str) and value and len(value) <= TEXT_LIMIT)
    for value in (job.editing_config, job.user_data):
        assert value is None or (isinstance(value, str) and len(value) <= JSON_TEXT_LIMIT)
    for value in (job.job_type, job.job_state):
        assert value is None or isinstance(value, str)  # an enum member is a str too
    for moment in (job.create_time, job.modified_time):
        if moment is not None:
            assert isinstance(moment, datetime) and moment.tzinfo is not None
            for zone in ZONES:
                moment.astimezone(zone)  # any user's time zone can show it
    nested = []
    if job.input_config is not None:
        nested += [job.input_config.input_file, job.input_config.keyword]
    if job.output_config is not None:
        nested += [job.output_config.bucket, job.output_config.object]
    assert all(value is None or (isinstance(value, str) and value) for value in nested)
    texts = [
        job.job_id,
        job.title,
        job.description,
        job.user_id,
        job.editing_config,
        job.user_data,
        *nested,
    ]
    for text in texts:
        if text:
            text.encode()  # Slack, logs and terminals take UTF-8
    assert all(isinstance(name, str) for name in job.degraded)


def check_page(page: SmartJobPage, body: dict[str, Any]) -> None:
    entries = object_entries(body)
    assert [job.raw for job in page.smart_job_list] == entries, "one job per object, in order"
    listed = body.get("SmartJobList")
    expected_unreadable = len(listed) - len(entries) if isinstance(listed, list) else 0
    assert page.unreadable == expected_unreadable
    for job in page.smart_job_list:
        check_job(job)
    page_level = sum(page.degraded.values()) - sum(len(j.degraded) for j in page.smart_job_list)
    assert 0 <= page_level <= 5
    assert page.total_count is None or page.total_count >= 0
    assert page.next_token is None or (isinstance(page.next_token, str) and page.next_token)
    json.dumps(page.to_json(), ensure_ascii=False).encode()  # `smartjobs query --json`


# -- the reader --------------------------------------------------------------------------------


@given(bodies)
def test_property_from_wire_reads_every_object_entry_and_never_raises(body: dict[str, Any]) -> None:
    check_page(SmartJobPage.from_wire(body), body)


@given(bodies)
def test_property_documented_values_read_as_they_came(body: dict[str, Any]) -> None:
    """Tolerance must not cost the good values: a tidy field reads back unchanged."""
    page = SmartJobPage.from_wire(body)
    for job, entry in zip(page.smart_job_list, object_entries(body), strict=True):
        job_id = entry.get("JobId")
        if isinstance(job_id, str) and job_id and len(job_id) <= TEXT_LIMIT and job_id.isascii():
            assert job.job_id == job_id and "JobId" not in job.degraded
        user_id = entry.get("UserId")
        if isinstance(user_id, int) and not isinstance(user_id, bool):
            assert job.user_id == str(user_id) and "UserId" not in job.degraded
        job_type = entry.get("JobType")
        if isinstance(job_type, str) and job_type in {member.value for member in JobType}:
            assert job.job_type is JobType(job_type)
        state = entry.get("JobState")
        if isinstance(state, str) and state and state.isascii() and len(state) < 100:
            assert job.job_state == state and "JobState" not in job.degraded
            assert (job.job_state in set(JobState)) is (type(job.job_state) is JobState)
        for name in ("JobId", "Title", "UserId", "CreateTime", "InputConfig"):
            if entry.get(name) is None:
                assert name not in job.degraded, "null or absent is not set, not degraded"


# -- the client over HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ice() -> Iterator[tuple[Emulator, IceClient]]:
    """One emulator and one pooled client for every example (a client costs ~10 ms to build)."""
    credentials = StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
    with (
        Emulator(count=0) as emulator,
        IceClient(credentials=credentials, endpoint=emulator.url, retry=ONE_TRY) as client,
    ):
        yield emulator, client


@given(entries=job_lists)
def test_property_the_client_over_http_reads_every_object_entry(
    ice: tuple[Emulator, IceClient], entries: list[Any]
) -> None:
    """The real signed client against the emulator: the emulator sends the entries as given."""
    emulator, client = ice
    emulator.jobs = entries
    page = client.list_smart_jobs(max_results=100)
    sent = wire({"SmartJobList": entries})
    assert page.next_token is None
    assert len(page.smart_job_list) == len(object_entries(sent))
    assert page.unreadable == len(entries) - len(object_entries(sent))
    again = SmartJobPage.from_wire(sent)
    assert [job.job_id for job in page.smart_job_list] == [j.job_id for j in again.smart_job_list]
    for job, entry in zip(page.smart_job_list, object_entries(sent), strict=True):
        assert same_json(job.raw, entry)
        check_job(job)


@given(bodies)
def test_property_the_client_reads_any_page_a_transport_can_carry(body: dict[str, Any]) -> None:
    """Page-level oddities the emulator never sends (a NextToken that is a number, a list that
    is not a list), through the client over an httpx transport."""
    content = json.dumps(body).encode()
    client = IceClient(
        credentials=StaticCredentials(Credentials("id", "secret")),
        endpoint="http://ice.test",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=content)),
        retry=ONE_TRY,
    )
    page = client.list_smart_jobs()
    check_page(page, json.loads(content))
    expected = SmartJobPage.from_wire(json.loads(content))
    assert page.next_token == expected.next_token and page.total_count == expected.total_count
    assert dict(page.degraded) == dict(expected.degraded)


# -- the official SDK --------------------------------------------------------------------------


def sdk_job_ids(body: dict[str, Any]) -> list[Any] | None:
    """The official model's job ids for the object entries, or None when it refuses the body."""
    from alibabacloud_ice20201109.models import ListSmartJobsResponseBody

    try:
        model = ListSmartJobsResponseBody().from_map(body)
    except Exception:  # the SDK raises whatever its code trips on
        return None
    listed = body.get("SmartJobList")
    if not isinstance(listed, list):
        return [] if not model.smart_job_list else None
    # The SDK reads a falsy entry (0, "", []) as an empty job; it is not an object, ours skips it.
    kept = [
        job
        for job, entry in zip(model.smart_job_list, listed, strict=True)
        if isinstance(entry, dict)
    ]
    return [job.job_id for job in kept]


def as_read(sdk_id: Any, ours: str | None) -> bool:
    """Our id for an entry whose id the SDK kept as it came."""
    if sdk_id is None or sdk_id == "":
        return ours is None
    if isinstance(sdk_id, str) and len(sdk_id) <= TEXT_LIMIT and sdk_id.isascii():
        return ours == sdk_id
    if isinstance(sdk_id, int) and not isinstance(sdk_id, bool):
        return ours == str(sdk_id)
    if isinstance(sdk_id, float) and not math.isfinite(sdk_id):
        return ours is None
    return ours is None or isinstance(ours, str)  # other types: degraded either way


@given(st.one_of(bodies, pages_of_jobs, pages_of_jobs.map(wire)))
def test_property_where_the_official_sdk_reads_a_body_we_find_the_same_jobs(
    body: dict[str, Any],
) -> None:
    sdk_ids = sdk_job_ids(body)
    if sdk_ids is None:
        return  # the SDK's model refuses this body; ours reads it (first property)
    page = SmartJobPage.from_wire(body)
    ours = [job.job_id for job in page.smart_job_list]
    assert len(ours) == len(sdk_ids)
    assert all(as_read(sdk, mine) for sdk, mine in zip(sdk_ids, ours, strict=True)), (sdk_ids, ours)


def test_the_sdk_cross_check_is_not_vacuous() -> None:
    """The SDK accepts the tidy and many untidy bodies: the property compares real cases."""
    body = {"SmartJobList": [{"JobId": "a", "UserId": "masked***"}, {"JobId": 7}, {"Title": 1}]}
    assert sdk_job_ids(body) == ["a", 7, None]
    assert [j.job_id for j in SmartJobPage.from_wire(body).smart_job_list] == ["a", "7", None]
    assert sdk_job_ids({"SmartJobList": ["not an object"]}) is None
