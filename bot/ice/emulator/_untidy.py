"""Untidy jobs: every odd value the tolerant reader is built for, mixed into a dataset.

ICE's references disagree on types (see ``bot/ice/_reader.py``); these variants make the
emulator send them, so tests and ``make demo`` see that untidy jobs still read and
render. Pure and seeded: the same jobs, rate and seed always give the same dataset.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from bot.ice._enums import WIRE_TIME

Variant = Callable[[dict[str, Any]], Any]
"""A copy of one job with one odd value (or, for the list itself, something else instead)."""

HUGE_TEXT: Final = "Huge title " * 5_000  # 55,000 characters: more than any bound keeps


def _set(key: str, value: Any) -> Variant:
    return lambda job: {**job, key: value}


def _drop(key: str) -> Variant:
    return lambda job: {k: v for k, v in job.items() if k != key}


def _retimed(key: str, write: Callable[[datetime], Any]) -> Variant:
    """The same instant written another way (or an odd value when ``write`` ignores it)."""

    def edit(job: dict[str, Any]) -> dict[str, Any]:
        stamp = job.get(key)
        if not isinstance(stamp, str):
            return dict(job)
        moment = datetime.strptime(stamp, WIRE_TIME).replace(tzinfo=UTC)
        return {**job, key: write(moment)}

    return edit


def _recoded(key: str, code: Callable[[Any], Any]) -> Variant:
    """The field's own value re-encoded (an object as a JSON string, a JSON string parsed)."""

    def edit(job: dict[str, Any]) -> dict[str, Any]:
        if key not in job:
            return dict(job)
        return {**job, key: code(job[key])}

    return edit


def _numeric_id(job: dict[str, Any]) -> dict[str, Any]:
    job_id = job.get("JobId")
    return {**job, "JobId": int(job_id[:12], 16) if isinstance(job_id, str) else 0}


def _parsed(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return {"unparsed": value}


_EAST = timezone(timedelta(hours=8))

VARIANTS: Final[dict[str, Variant]] = {
    # text fields of the wrong type, empty, huge or unencodable
    "title_number": _set("Title", 12345),
    "title_bool": _set("Title", True),
    "title_object": _set("Title", {"zh": "标题", "en": "Title"}),
    "title_array": _set("Title", ["part one", "part two"]),
    "title_null": _set("Title", None),
    "title_huge": _set("Title", HUGE_TEXT),
    "title_lone_surrogate": _set("Title", "broken \ud83d text"),
    "description_empty": _set("Description", ""),
    "description_number": _set("Description", 3.5),
    "job_id_number": _numeric_id,
    "editing_config_object": _recoded("EditingConfig", _parsed),
    "user_data_array": _set("UserData", ["trace", 1]),
    "user_data_number": _set("UserData", 42),
    # UserId: an integer in ListSmartJobs, a (masked) string elsewhere
    "user_id_masked": _set("UserId", "1084506228******"),
    "user_id_string": _recoded("UserId", str),
    "user_id_float": _recoded("UserId", float),
    "user_id_object": _set("UserId", {"id": 1}),
    # values outside the documented lists, or of the wrong type
    "job_type_unlisted": _set("JobType", "VideoDubbing"),
    "job_type_number": _set("JobType", 3),
    "job_state_unlisted": _set("JobState", "Paused"),
    # times: unset, other ISO 8601 spellings, epochs, nonsense, datetime's limits
    "modified_time_empty": _set("ModifiedTime", ""),
    "modified_time_null": _set("ModifiedTime", None),
    "modified_time_missing": _drop("ModifiedTime"),
    "create_time_offset": _retimed("CreateTime", lambda m: m.astimezone(_EAST).isoformat()),
    "create_time_fraction": _retimed(
        "CreateTime", lambda m: m.strftime("%Y-%m-%dT%H:%M:%S.123456Z")
    ),
    "create_time_space_naive": _retimed("CreateTime", lambda m: m.strftime("%Y-%m-%d %H:%M:%S")),
    "create_time_epoch_seconds": _retimed("CreateTime", lambda m: int(m.timestamp())),
    "create_time_epoch_ms": _retimed("CreateTime", lambda m: int(m.timestamp() * 1000)),
    "create_time_garbage": _set("CreateTime", "yesterday"),
    "modified_time_year_one": _set("ModifiedTime", "0001-01-01T00:00:00+05:00"),
    "modified_time_year_9999": _set("ModifiedTime", "9999-12-31T23:59:59-05:00"),
    "modified_time_object": _set("ModifiedTime", {"seconds": 1}),
    # nested objects sent as strings, or as something else altogether
    "input_config_path": _recoded(
        "InputConfig", lambda c: c.get("InputFile", "") if isinstance(c, dict) else c
    ),
    "input_config_json_string": _recoded("InputConfig", json.dumps),
    "input_config_array": _set("InputConfig", ["oss://bucket/a.mp4"]),
    "input_file_number": _recoded(
        "InputConfig", lambda c: {**c, "InputFile": 7} if isinstance(c, dict) else c
    ),
    "output_config_json_string": _recoded("OutputConfig", json.dumps),
    "output_config_path": _set("OutputConfig", "oss://ice-output-sh/output/x.mp4"),
    "output_config_number": _set("OutputConfig", 0),
    # list entries that are not objects at all
    "entry_string": lambda job: "unreadable entry",
    "entry_null": lambda job: None,
    "entry_number": lambda job: 42,
    "entry_array": lambda job: [job],
}


def _recoded_in(outer: str, key: str, code: Callable[[Any], Any]) -> Variant:
    """A nested object's field re-encoded (``JobResult.Usage`` as an object, say)."""

    def edit(body: dict[str, Any]) -> dict[str, Any]:
        inner = body.get(outer)
        if not isinstance(inner, dict) or key not in inner:
            return dict(body)
        return {**body, outer: {**inner, key: code(inner[key])}}

    return edit


def _digits_as_number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value


DETAIL_VARIANTS: Final[dict[str, Variant]] = {
    # GetSmartHandleJob answers' own odd values, on top of the job's (which carry over)
    "job_result_json_string": _recoded("JobResult", json.dumps),
    "ai_result_object": _recoded_in("JobResult", "AiResult", _parsed),
    "usage_object": _recoded_in("JobResult", "Usage", _parsed),
    "media_id_number": _recoded_in("JobResult", "MediaId", lambda _: 20240101),
    "info_json_string": _recoded("SmartJobInfo", json.dumps),
    "info_user_id_integer": _recoded_in("SmartJobInfo", "UserId", _digits_as_number),
    "error_code_number": _recoded("ErrorCode", lambda _: 40001),
    "error_message_object": _recoded("ErrorMessage", lambda message: {"en": message}),
    "output_object": _recoded("Output", _parsed),
    "state_lower_case": _recoded("State", lambda s: s.lower() if isinstance(s, str) else s),
}


def untidy_details(body: dict[str, Any], *, seed: int, job_id: str) -> dict[str, Any]:
    """An untidy job's details with one more odd value of :data:`DETAIL_VARIANTS`, picked per
    job and seed among those that change this body."""
    changed = [edited for edited in (v(body) for v in DETAIL_VARIANTS.values()) if edited != body]
    if not changed:
        return body
    rng = random.Random(f"smartjobs-untidy-details:{seed}:{job_id}")  # noqa: S311
    return rng.choice(changed)


def untidy_plan(count: int, *, rate: float, seed: int) -> list[tuple[int, str]]:
    """Which positions get which variant: each position at ``rate``, variants in a seeded
    order, round robin, so every variant appears once enough positions are drawn."""
    rng = random.Random(f"smartjobs-untidy:{seed}")  # noqa: S311  (test data, not crypto)
    names = list(VARIANTS)
    rng.shuffle(names)
    chosen = [index for index in range(count) if rng.random() < rate]
    return [(index, names[turn % len(names)]) for turn, index in enumerate(chosen)]


def untidy(jobs: list[Any], *, rate: float, seed: int) -> list[Any]:
    """A copy of ``jobs`` with variants at ``rate``; positions (so the order) are kept."""
    if rate <= 0:
        return list(jobs)
    out = list(jobs)
    for index, name in untidy_plan(len(jobs), rate=rate, seed=seed):
        if isinstance(out[index], dict):
            out[index] = VARIANTS[name](out[index])
    return out
