"""Properties over untidy GetSmartHandleJob bodies (tests/ice_bodies.py): the reader and the real
client over HTTP always return the details and never raise, tidy values read as they came, and
wherever the official SDK's model accepts a body, it finds the same values."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import given

from bot.ice import (
    Credentials,
    IceClient,
    IceJobNotFoundError,
    JobState,
    RetryPolicy,
    SmartHandleJob,
    StaticCredentials,
)
from bot.ice._reader import JSON_TEXT_LIMIT, TEXT_LIMIT
from bot.ice.emulator import Emulator
from bot.ice.emulator._details import QUERYABLE_FOR, created_at
from tests.ice_bodies import DETAIL_FIELDS, details_bodies, job_entries
from tests.test_client_tolerance import as_read, check_job, wire
from tests.test_client_tolerance import ice as ice  # the shared emulator and client fixture

ONE_TRY = RetryPolicy(max_attempts=1)
TOP_NAMES = set(DETAIL_FIELDS)


def _object_like(value: Any) -> bool:
    """A value the reader takes as a nested object: one, or a string holding one as JSON."""
    if isinstance(value, dict):
        return True
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except (ValueError, RecursionError):
        return False


def check_details(details: SmartHandleJob, body: dict[str, Any]) -> None:
    """What every reader of a job's details may rely on, however odd the body was."""
    for value in (details.request_id, details.job_id, details.error_code, details.error_message):
        assert value is None or (isinstance(value, str) and value and len(value) <= TEXT_LIMIT)
        if value:
            value.encode()
    for value in (details.output, details.user_data):
        assert value is None or (isinstance(value, str) and len(value) <= JSON_TEXT_LIMIT)
        if value:
            value.encode()
    assert details.state is None or isinstance(details.state, str)
    result = details.job_result
    assert (result is not None) is _object_like(body.get("JobResult"))
    if result is not None:
        for value in (result.media_id, result.media_url, result.ai_result, result.usage):
            assert value is None or (isinstance(value, str) and value)
            if value:
                value.encode()
    info = details.job_info
    assert (info is not None) is _object_like(body.get("SmartJobInfo"))
    if info is not None:
        check_job(info)
        assert info.job_id == details.job_id or details.job_id is None
        assert info.job_state == details.state or details.state is None
    assert all(name.partition(".")[0] in TOP_NAMES for name in details.degraded)
    json.dumps(details.to_json(), ensure_ascii=False).encode()  # `smartjobs job --json`


@given(details_bodies)
def test_property_from_wire_reads_any_details_and_never_raises(body: dict[str, Any]) -> None:
    check_details(SmartHandleJob.from_wire(body), body)


@given(details_bodies)
def test_property_documented_details_read_as_they_came(body: dict[str, Any]) -> None:
    details = SmartHandleJob.from_wire(body)
    for name, value in (("JobId", details.job_id), ("ErrorCode", details.error_code)):
        sent = body.get(name)
        if isinstance(sent, str) and sent and len(sent) <= TEXT_LIMIT and sent.isascii():
            assert value == sent and name not in details.degraded
    state = body.get("State")
    if isinstance(state, str) and state and state.isascii() and len(state) < 100:
        assert details.state == state and "State" not in details.degraded
        assert (details.state in set(JobState)) is (type(details.state) is JobState)
    info = body.get("SmartJobInfo")
    if isinstance(info, dict) and details.job_info is not None:
        user_id = info.get("UserId")
        if isinstance(user_id, str) and user_id and user_id.isascii() and len(user_id) < 100:
            assert details.job_info.user_id == user_id
            assert "SmartJobInfo.UserId" not in details.degraded, "a string is its type here"
    for name in DETAIL_FIELDS:
        if body.get(name) is None:
            assert name not in details.degraded, "null or absent is not set, not degraded"


# -- the client over HTTP ------------------------------------------------------------------------


@given(entry=job_entries)
def test_property_the_client_over_http_reads_the_details_of_any_job(
    ice: tuple[Emulator, IceClient], entry: dict[str, Any]
) -> None:
    """The real signed client against the emulator, which builds the details from the entry."""
    emulator, client = ice
    emulator.jobs = [{**entry, "JobId": "probe"}]
    try:
        details = client.get_smart_handle_job("probe")
    except IceJobNotFoundError:  # only a job created more than a year ago
        created = created_at(entry)
        assert created is not None and emulator.now() - created > QUERYABLE_FOR
        return
    assert details.job_id == "probe"
    check_details(details, details.raw)  # type: ignore[arg-type]
    assert details == SmartHandleJob.from_wire(wire(details.raw))


@given(details_bodies)
def test_property_the_client_reads_any_details_a_transport_can_carry(body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    client = IceClient(
        credentials=StaticCredentials(Credentials("id", "secret")),
        endpoint="http://ice.test",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=content)),
        retry=ONE_TRY,
    )
    details = client.get_smart_handle_job("any")
    check_details(details, json.loads(content))
    assert details.degraded == SmartHandleJob.from_wire(json.loads(content)).degraded


# -- the official SDK --------------------------------------------------------------------------


def sdk_details(body: dict[str, Any]) -> Any:
    """The official model of the body, or None when it refuses the body."""
    from alibabacloud_ice20201109.models import GetSmartHandleJobResponseBody

    try:
        return GetSmartHandleJobResponseBody().from_map(body)
    except Exception:  # the SDK raises whatever its code trips on
        return None


@given(details_bodies)
def test_property_where_the_official_sdk_reads_details_we_read_the_same(
    body: dict[str, Any],
) -> None:
    model = sdk_details(body)
    if model is None:
        return  # the SDK's model refuses this body; ours reads it (first property)
    ours = SmartHandleJob.from_wire(body)
    assert as_read(model.job_id, ours.job_id)
    assert as_read(model.error_code, ours.error_code)
    assert as_read(model.error_message, ours.error_message)
    if isinstance(body.get("JobResult"), dict):
        assert ours.job_result is not None
        assert as_read(model.job_result.media_id, ours.job_result.media_id)
        assert as_read(model.job_result.media_url, ours.job_result.media_url)
    if isinstance(body.get("SmartJobInfo"), dict):
        assert ours.job_info is not None
        assert as_read(model.smart_job_info.title, ours.job_info.title)
        assert as_read(model.smart_job_info.user_id, ours.job_info.user_id)


def test_the_sdk_cross_check_of_details_is_not_vacuous() -> None:
    body = {
        "JobId": "a",
        "ErrorCode": 7,
        "JobResult": {"MediaId": "m"},
        "SmartJobInfo": {"Title": "t", "UserId": "1974526429******"},
    }
    model = sdk_details(body)
    assert model.job_id == "a" and model.error_code == 7 and model.job_result.media_id == "m"
    ours = SmartHandleJob.from_wire(body)
    assert (ours.error_code, ours.job_info and ours.job_info.user_id) == ("7", "1974526429******")
    assert sdk_details({"SmartJobInfo": "not an object"}) is None
