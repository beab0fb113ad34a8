"""Hypothesis strategies for ListSmartJobs and GetSmartHandleJob answer bodies as an untidy
service could send them.

Built from the references' field lists: in every job, every field is independently absent,
null, of its documented type, of another type (number, string, bool, object, array), huge,
or hostile; list entries need not be objects; the page's own fields vary the same way, and
so do a GetSmartHandleJob answer's, its ``JobResult`` and ``SmartJobInfo`` included.
Shared by the client's tests and by whoever renders or aggregates pages and details.
"""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

from hypothesis import strategies as st

JOB_FIELDS = (
    "JobId",
    "Title",
    "Description",
    "UserId",
    "JobType",
    "EditingConfig",
    "UserData",
    "JobState",
    "CreateTime",
    "ModifiedTime",
    "InputConfig",
    "OutputConfig",
)
PAGE_FIELDS = ("RequestId", "SmartJobList", "NextToken", "MaxResults", "TotalCount")
DETAIL_FIELDS = (
    "RequestId",
    "JobId",
    "State",
    "ErrorCode",
    "ErrorMessage",
    "Output",
    "UserData",
    "JobResult",
    "SmartJobInfo",
)
RESULT_FIELDS = ("MediaId", "MediaUrl", "AiResult", "Usage")
INFO_FIELDS = (
    "Title",
    "Description",
    "UserId",
    "JobType",
    "CreateTime",
    "ModifiedTime",
    "InputConfig",
    "OutputConfig",
)

HOSTILE_TEXT = (
    "",
    " ",
    "<!channel> deploy done",
    "<@U123> & <#C1|x> *b* _i_ ~s~ `c` ```x```",
    "<https://evil.example|click>",
    "\u202eRTL override",
    "tab\tnew\nline\r\x00nul",
    "unpaired \ud800 surrogate",
    "🎬 👩🏽‍💻",
    "1084506228******",
    "1974526429******",
    "1608955870",
    "1608955870123",
    "2020-12-26T04:11:10Z",
    "2020-12-26 04:11:10",
    "2020-12-26T12:11:10.123456+08:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "yesterday",
    '{"InputFile": "oss://b/in.mp4", "Keyword": "k"}',
    '{"Bucket": "b", "Object": "o"}',
    "[1, 2",
    "ASR",
    "Failed",
    "VideoTranslation",
    "null",
)

_scalar_json: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
_small_json = st.recursive(
    _scalar_json,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
huge_text = st.integers(min_value=10_001, max_value=120_000).map(lambda n: ("Ωx" * n)[:n])
hostile_text = st.sampled_from(HOSTILE_TEXT)

wrong_typed: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.dictionaries(st.text(max_size=8), _small_json, max_size=4),
    st.lists(_small_json, max_size=4),
)
"""Any JSON value at all: for a field, usually of the wrong type."""

_offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
)
_stamp = st.datetimes(  # every year from 1 to 9999; naive, or at any fixed UTC offset
    timezones=st.none() | st.builds(timezone, _offsets.map(lambda d: d - d % timedelta(minutes=1)))
).map(lambda d: d.isoformat())


def _documented(name: str) -> st.SearchStrategy[Any]:
    """A value of the type and format the reference documents for ``name``."""
    if name == "UserId":
        return st.integers(min_value=0, max_value=2**63)
    if name == "SmartJobInfo.UserId":  # GetSmartHandleJob's is a string, often masked
        return st.integers(min_value=0, max_value=2**63).map(str) | st.just("1974526429******")
    if name == "JobType":
        return st.sampled_from(["ASR", "DynamicChart", "VideoTranslation", "TextToSpeech"])
    if name in ("JobState", "State"):
        return st.sampled_from(["Finished", "Failed", "Executing", "Created"])
    if name in ("CreateTime", "ModifiedTime"):
        return _stamp | st.just("2020-12-26T04:11:10Z")
    if name in ("EditingConfig", "UserData", "Output", "AiResult", "Usage"):
        return _small_json.map(json.dumps)
    if name == "JobResult":
        return st.fixed_dictionaries(
            {}, optional={field: field_value(field) for field in RESULT_FIELDS}
        )
    if name == "SmartJobInfo":
        return st.fixed_dictionaries(
            {},
            optional={
                field: field_value("SmartJobInfo.UserId" if field == "UserId" else field)
                for field in INFO_FIELDS
            },
        )
    if name == "InputConfig":
        return st.fixed_dictionaries(
            {}, optional={"InputFile": field_value("InputFile"), "Keyword": field_value("Keyword")}
        )
    if name == "OutputConfig":
        return st.fixed_dictionaries(
            {}, optional={"Bucket": field_value("Bucket"), "Object": field_value("Object")}
        )
    if name in ("MaxResults", "TotalCount"):
        return st.integers(min_value=0, max_value=10**6).map(str)
    return st.text(max_size=40)


def field_value(name: str) -> st.SearchStrategy[Any]:
    """Null, documented, wrong-typed, huge or hostile: the five ways a field comes."""
    return st.one_of(
        st.none(),
        st.deferred(lambda: _documented(name)),
        wrong_typed,
        huge_text,
        hostile_text,
    )


job_entries: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {}, optional={name: field_value(name) for name in JOB_FIELDS}
)
"""One ``SmartJobList`` object: every field independently absent or any of the five ways."""

list_entries: st.SearchStrategy[Any] = st.one_of(
    job_entries, job_entries, job_entries, _scalar_json, st.lists(_scalar_json, max_size=2)
)
"""Mostly job objects; sometimes an entry that is not an object at all."""

job_lists = st.lists(list_entries, max_size=12)

bodies: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "RequestId": field_value("RequestId"),
        "SmartJobList": job_lists | wrong_typed | st.none(),
        "NextToken": field_value("NextToken"),
        "MaxResults": field_value("MaxResults"),
        "TotalCount": field_value("TotalCount"),
    },
)
"""A whole success body (a JSON object without ``Code``) as an untidy service could send it."""

pages_of_jobs: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"SmartJobList": st.lists(job_entries, min_size=1, max_size=8)},
    optional={name: field_value(name) for name in PAGE_FIELDS if name != "SmartJobList"},
)
"""A body whose list holds only job objects (whose fields vary as in :data:`bodies`)."""


details_bodies: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {}, optional={name: field_value(name) for name in DETAIL_FIELDS}
)
"""A whole GetSmartHandleJob success body as an untidy service could send it: every field, and
every field of ``JobResult`` and ``SmartJobInfo``, any of the five ways."""


def object_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``SmartJobList`` entries a reader must turn into jobs, in order."""
    entries = body.get("SmartJobList")
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)]
