"""The tolerant reader rule by rule (the table in bot/ice/_reader.py's docstring)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.ice import InputConfig, JobState, JobType, OutputConfig, SmartJob, SmartJobPage
from bot.ice._reader import JSON_TEXT_LIMIT, TEXT_LIMIT, read_job

STAMP = datetime(2020, 12, 26, 4, 11, 10, tzinfo=UTC)


def job_with(**fields: Any) -> SmartJob:
    return read_job({"JobId": "j1", **fields})


def degraded(job: SmartJob) -> set[str]:
    return set(job.degraded)


# -- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ("Launch keynote", "Launch keynote", False),
        ("会议纪要 🎬", "会议纪要 🎬", False),
        ("<!channel> & *bold*", "<!channel> & *bold*", False),  # escaping is the renderer's job
        (None, None, False),
        ("", None, False),
        (12345, "12345", True),
        (-1.5, "-1.5", True),
        (3.0, "3", True),
        (True, "true", True),
        (False, "false", True),
        (float("nan"), None, True),
        (float("inf"), None, True),
        ({"zh": "标题"}, None, True),
        (["a", "b"], None, True),
        ("x" * (TEXT_LIMIT + 5), "x" * TEXT_LIMIT, True),
        ("broken \ud83d text", "broken \ufffd text", True),
    ],
)
def test_text_fields(value: Any, read: str | None, noted: bool) -> None:
    for field, attr in (("Title", "title"), ("Description", "description"), ("JobId", "job_id")):
        job = read_job({field: value})
        assert getattr(job, attr) == read, field
        assert (field in job.degraded) is noted, field
        if read is not None:
            getattr(job, attr).encode()  # every string reads out as UTF-8


@pytest.mark.parametrize("field", ["EditingConfig", "UserData"])
@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ('{"Language":"zh-CN"}', '{"Language":"zh-CN"}', False),
        ("{not-json", "{not-json", False),  # a string is kept; its _json view is None
        ({"Language": "zh-CN", "n": [1]}, '{"Language":"zh-CN","n":[1]}', True),
        (["trace", 1], '["trace",1]', True),
        (42, "42", True),
        ("", None, False),
        ("y" * (JSON_TEXT_LIMIT + 1), "y" * JSON_TEXT_LIMIT, True),
    ],
)
def test_json_text_fields(field: str, value: Any, read: str | None, noted: bool) -> None:
    job = job_with(**{field: value})
    attr = "editing_config" if field == "EditingConfig" else "user_data"
    assert getattr(job, attr) == read
    assert (field in job.degraded) is noted
    if isinstance(value, dict | list):
        assert getattr(job, f"{attr}_json") == value, "the object reads back from its JSON"


def test_json_views() -> None:
    job = job_with(UserData='{"k": 1}', EditingConfig="{broken")
    assert job.user_data_json == {"k": 1} and job.editing_config_json is None
    assert job_with().user_data_json is None


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        (1084506228123456, "1084506228123456", False),
        ("1084506228******", "1084506228******", False),  # masked, as the reference shows it
        ("1084506228123456", "1084506228123456", False),  # a string in GetSmartHandleJob
        (1.0845062281e15, "1084506228100000", True),
        (1.5, None, True),
        (True, None, True),
        ({"id": 1}, None, True),
        ([1], None, True),
        ("", None, False),
        (None, None, False),
    ],
)
def test_user_id(value: Any, read: str | None, noted: bool) -> None:
    job = job_with(UserId=value)
    assert job.user_id == read
    assert ("UserId" in job.degraded) is noted


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ("ASR", JobType.ASR, False),
        ("VideoTranslation", JobType.VIDEO_TRANSLATION, False),
        ("VideoDubbing", "VideoDubbing", False),  # a type the service adds later
        ("asr", "asr", False),  # kept as it came: not guessed
        (3, "3", True),
        ({"t": 1}, None, True),
        ("", None, False),
    ],
)
def test_job_type(value: Any, read: Any, noted: bool) -> None:
    job = job_with(JobType=value)
    assert job.job_type == read and type(job.job_type) is type(read)
    assert ("JobType" in job.degraded) is noted


def test_job_state_is_read_like_job_type() -> None:
    assert job_with(JobState="Failed").job_state is JobState.FAILED
    assert job_with(JobState="Paused").job_state == "Paused"
    assert degraded(job_with(JobState=["Failed"])) == {"JobState"}


# -- times ---------------------------------------------------------------------------------

EAST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ("2020-12-26T04:11:10Z", STAMP, False),
        ("2020-12-26T12:11:10+08:00", STAMP, False),
        ("2020-12-26T12:11:10+0800", STAMP, False),
        ("2020-12-26T04:11:10.250Z", STAMP + timedelta(milliseconds=250), False),
        ("2020-12-26 04:11:10", STAMP, False),  # a space for T, naive: UTC
        ("2020-12-26T04:11:10", STAMP, False),
        ("2020-12-26T04:11:10z", STAMP, False),
        (" 2020-12-26T04:11:10Z ", STAMP, False),
        (1608955870, STAMP, True),
        (1608955870.0, STAMP, True),
        (1608955870000, STAMP, True),
        ("1608955870", STAMP, True),
        ("1608955870000", STAMP, True),
        ("", None, False),
        (None, None, False),
        ("yesterday", None, True),
        ("2020-13-45T99:00:00Z", None, True),
        ("0001-01-01T00:00:00+05:00", None, True),  # before year 1 in UTC
        ("0001-01-01T00:00:00Z", None, True),  # no time zone west of UTC could show it
        ("9999-12-31T23:59:59-05:00", None, True),
        (10**30, None, True),
        (float("nan"), None, True),
        (True, None, True),
        ({"seconds": 1}, None, True),
        ("2020-12-26T04:11:10Z" * 10, None, True),
    ],
)
def test_times(value: Any, read: datetime | None, noted: bool) -> None:
    job = job_with(CreateTime=value, ModifiedTime=value)
    assert job.create_time == read and job.modified_time == read
    assert ("CreateTime" in job.degraded) is noted and ("ModifiedTime" in job.degraded) is noted
    if read is not None:
        assert job.create_time is not None and job.create_time.tzinfo is not None
        for hours in (-14, 14):  # any user's time zone can show it
            job.create_time.astimezone(timezone(timedelta(hours=hours)))


def test_an_offset_is_kept_not_converted() -> None:
    moment = job_with(CreateTime="2020-12-26T12:11:10+08:00").create_time
    assert moment is not None and moment.utcoffset() == timedelta(hours=8)


# -- nested objects -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ({"InputFile": "oss://b/a.mp4", "Keyword": "k"}, InputConfig("oss://b/a.mp4", "k"), set()),
        ({}, InputConfig(), set()),
        ('{"InputFile": "oss://b/a.mp4"}', InputConfig("oss://b/a.mp4"), {"InputConfig"}),
        ("oss://b/a.mp4", InputConfig("oss://b/a.mp4"), {"InputConfig"}),
        ('{"InputFile": 7}', InputConfig("7"), {"InputConfig", "InputConfig.InputFile"}),
        ({"InputFile": ["x"]}, InputConfig(), {"InputConfig.InputFile"}),
        ("[1, 2]", InputConfig("[1, 2]"), {"InputConfig"}),
        (["oss://b/a.mp4"], None, {"InputConfig"}),
        (0, None, {"InputConfig"}),
        ("", None, set()),
        (None, None, set()),
    ],
)
def test_input_config(value: Any, read: InputConfig | None, noted: set[str]) -> None:
    job = job_with(InputConfig=value)
    assert job.input_config == read
    assert degraded(job) == noted


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ({"Bucket": "b", "Object": "o"}, OutputConfig("b", "o"), set()),
        ('{"Bucket": "b", "Object": "o"}', OutputConfig("b", "o"), {"OutputConfig"}),
        ("oss://b/o", None, {"OutputConfig"}),
        ({"Bucket": 5}, OutputConfig("5"), {"OutputConfig.Bucket"}),
        (True, None, {"OutputConfig"}),
        (None, None, set()),
    ],
)
def test_output_config(value: Any, read: OutputConfig | None, noted: set[str]) -> None:
    job = job_with(OutputConfig=value)
    assert job.output_config == read
    assert degraded(job) == noted


# -- the page -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "ids", "unreadable", "noted"),
    [
        ([{"JobId": "a"}, {"JobId": "b"}], ["a", "b"], 0, {}),
        ([{"JobId": "a"}, "oops", None, 7, [], {"JobId": "b"}], ["a", "b"], 4, {}),
        ([{}], [None], 0, {}),  # an object with nothing readable is still a job
        (None, [], 0, {}),
        ("not a list", [], 0, {"SmartJobList": 1}),
        ({"JobId": "a"}, [], 0, {"SmartJobList": 1}),
    ],
)
def test_job_list(
    entries: Any, ids: list[str | None], unreadable: int, noted: dict[str, int]
) -> None:
    body = {"SmartJobList": entries} if entries is not None else {}
    page = SmartJobPage.from_wire(body)
    assert [job.job_id for job in page.smart_job_list] == ids
    assert page.unreadable == unreadable
    assert dict(page.degraded) == noted


@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ("tok.abc", "tok.abc", False),
        ("", None, False),
        (None, None, False),
        (12345, "12345", True),
        (True, None, True),
        ({"t": 1}, None, True),
        ("t" * (TEXT_LIMIT + 1), None, True),  # a cut token would only fail later
    ],
)
def test_next_token(value: Any, read: str | None, noted: bool) -> None:
    page = SmartJobPage.from_wire({"NextToken": value})
    assert page.next_token == read
    assert ("NextToken" in page.degraded) is noted


@pytest.mark.parametrize("field", ["MaxResults", "TotalCount"])
@pytest.mark.parametrize(
    ("value", "read", "noted"),
    [
        ("10", 10, False),
        (" 10 ", 10, False),
        (110, 110, False),
        ("", None, False),
        (None, None, False),
        ("ten", None, True),
        ("-1", None, True),
        (-1, None, True),
        (1.5, None, True),
        (True, None, True),
        ([10], None, True),
        ("9" * 40, None, True),
    ],
)
def test_counts(field: str, value: Any, read: int | None, noted: bool) -> None:
    page = SmartJobPage.from_wire({field: value})
    assert getattr(page, "max_results" if field == "MaxResults" else "total_count") == read
    assert (field in page.degraded) is noted


@pytest.mark.parametrize(
    ("value", "read", "noted"), [("RID", "RID", False), (None, None, False), (5, None, True)]
)
def test_request_id(value: Any, read: str | None, noted: bool) -> None:
    page = SmartJobPage.from_wire({"RequestId": value})
    assert page.request_id == read
    assert ("RequestId" in page.degraded) is noted


def test_page_counts_degraded_values_by_field() -> None:
    page = SmartJobPage.from_wire(
        {
            "RequestId": "R",
            "NextToken": 5,
            "SmartJobList": [
                {"JobId": 1, "CreateTime": "yesterday"},
                {"JobId": 2, "InputConfig": {"InputFile": 3}},
                {"JobId": "c"},
            ],
        }
    )
    assert dict(page.degraded) == {
        "NextToken": 1,
        "JobId": 2,
        "CreateTime": 1,
        "InputConfig.InputFile": 1,
    }
    assert [job.degraded for job in page.smart_job_list] == [
        ("JobId", "CreateTime"),
        ("JobId", "InputConfig.InputFile"),
        (),
    ]


def test_a_body_that_is_not_an_object_is_refused() -> None:
    for body in ([], "text", None, 3):
        with pytest.raises(TypeError):
            SmartJobPage.from_wire(body)


# -- the model's own API ----------------------------------------------------------------------


def test_raw_is_the_entry_as_it_came_and_stays_out_of_eq_and_repr() -> None:
    entry = {"JobId": "a", "Title": ["odd"], "Secretish": "user data"}
    job = read_job(entry)
    assert job.raw is entry
    assert job == read_job({"JobId": "a", "Title": ["odd"]})
    assert "user data" not in repr(job)
    assert hash(job) == hash(read_job(dict(entry)))


def test_replace_keeps_what_was_read_and_takes_a_list() -> None:
    page = SmartJobPage.from_wire(
        {"SmartJobList": [{"JobId": "a"}, {"JobId": 2}, "x"], "NextToken": "t", "TotalCount": "9"}
    )
    kept = page.replace(smart_job_list=[page.smart_job_list[1]], next_token=None, total_count=None)
    assert [job.job_id for job in kept.smart_job_list] == ["2"]
    assert isinstance(kept.smart_job_list, tuple)
    assert kept.next_token is None and kept.total_count is None
    assert kept.unreadable == 1 and dict(kept.degraded) == {"JobId": 1}
    assert page.next_token == "t", "the original is unchanged"


def test_to_json_has_wire_keys_raw_values_of_degraded_jobs_and_unreadable() -> None:
    page = SmartJobPage.from_wire(
        {
            "RequestId": "R",
            "SmartJobList": [
                {
                    "JobId": "a",
                    "JobType": "ASR",
                    "UserId": 7,
                    "CreateTime": "2020-12-26T12:11:10+08:00",
                    "InputConfig": {"InputFile": "in"},
                },
                {"JobId": 5, "ModifiedTime": "soon", "InputConfig": {"InputFile": 1}},
                "unreadable",
            ],
            "MaxResults": "10",
        }
    )
    data = page.to_json()
    json.dumps(data, ensure_ascii=False).encode()
    assert data["RequestId"] == "R" and data["MaxResults"] == 10 and data["TotalCount"] is None
    assert data["Unreadable"] == 1
    first, second = data["SmartJobList"]
    assert first["JobType"] == "ASR" and first["UserId"] == "7"
    assert first["CreateTime"] == "2020-12-26T12:11:10+08:00"
    assert first["InputConfig"] == {"InputFile": "in", "Keyword": None}
    assert "Raw" not in first
    assert second["JobId"] == "5" and second["ModifiedTime"] is None
    assert second["Raw"] == {"JobId": 5, "ModifiedTime": "soon", "InputConfig": {"InputFile": 1}}
    utc = SmartJobPage.from_wire({"SmartJobList": [{"CreateTime": "2020-12-26T04:11:10Z"}]})
    assert utc.to_json()["SmartJobList"][0]["CreateTime"] == "2020-12-26T04:11:10Z"
    assert "Unreadable" not in utc.to_json()


def test_to_json_survives_raw_values_json_cannot_carry() -> None:
    page = SmartJobPage.from_wire({"SmartJobList": [{"JobId": "a\ud800", "Title": {1, 2}}]})
    text = json.dumps(page.to_json(), ensure_ascii=False)
    text.encode()
    assert "\\ud800" in text and "{1, 2}" in text
