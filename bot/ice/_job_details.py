"""``GetSmartHandleJob`` (API version 2020-11-09): its request, its answer as plain data, and
the tolerant reading of that answer by the reader's own rules (:mod:`bot.ice._reader`).

Apart from the list's models so that importing the client (the list path, the Slack lazy
path) does not pay for these until the first details are asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bot.ice._enums import JobState
from bot.ice._errors import IceRequestError
from bot.ice._models import SmartJob, _input_json, _json_view, _output_json, _raw_json, _wire_time
from bot.ice._reader import (
    JOB_STATES,
    Notes,
    read_choice,
    read_job,
    read_json_text,
    read_object,
    read_request_id,
    read_text,
)

JOB_ID_LIMIT: Final = 128
"""Characters a JobId may have: ICE's are 32; four times that is surely not one."""


@dataclass(frozen=True, slots=True)
class GetSmartHandleJobRequest:
    """One ``JobId``, checked before any request: a string of printable ASCII without spaces,
    1 to :data:`JOB_ID_LIMIT` characters. Anything else raises
    :class:`~bot.ice.IceRequestError`; the value itself is never echoed (it may be pasted junk).
    """

    job_id: str

    def __post_init__(self) -> None:
        value: object = self.job_id
        if not isinstance(value, str):
            raise IceRequestError(f"job_id must be a string, not {type(value).__name__}")
        if not value:
            raise IceRequestError("job_id must not be empty")
        if len(value) > JOB_ID_LIMIT:
            raise IceRequestError(
                f"job_id must be at most {JOB_ID_LIMIT} characters, not {len(value)}"
            )
        if not (value.isascii() and value.isprintable()) or " " in value:
            raise IceRequestError(
                "job_id must be printable ASCII without spaces, as ICE's JobIds are"
            )

    def to_params(self) -> dict[str, str]:
        return {"JobId": self.job_id}


@dataclass(frozen=True, slots=True)
class JobResult:
    """``GetSmartHandleJob``'s ``JobResult``: what a finished job produced."""

    media_id: str | None = None
    media_url: str | None = None
    ai_result: str | None = None
    usage: str | None = None

    @property
    def ai_result_json(self) -> Any:
        """``AiResult`` parsed (ASR subtitles, tags…), or None when absent or not valid JSON."""
        return _json_view(self.ai_result)

    @property
    def usage_json(self) -> Any:
        """``Usage`` (token counts) parsed, or None when absent or not valid JSON."""
        return _json_view(self.usage)


@dataclass(frozen=True, slots=True)
class SmartHandleJob:
    """One job's details as ``GetSmartHandleJob`` answered them, read tolerantly.

    ``job_info`` is ``SmartJobInfo`` read as a :class:`SmartJob` (what renderers of a list
    already take), carrying this answer's ``JobId``, ``State`` and ``UserData`` too; None when
    the answer had no readable ``SmartJobInfo``. ``degraded`` names, dotted from the body
    (``SmartJobInfo.Title``, ``JobResult.Usage``), the values read as something sensible
    instead; ``job_info.degraded`` names its own relative to ``SmartJobInfo``. ``raw`` is the
    body exactly as it came.
    """

    request_id: str | None = None
    job_id: str | None = None
    state: JobState | str | None = None
    error_code: str | None = None
    error_message: str | None = None
    output: str | None = None
    user_data: str | None = None
    job_result: JobResult | None = None
    job_info: SmartJob | None = None
    degraded: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Any) -> SmartHandleJob:
        """Read a GetSmartHandleJob answer body; never raises on odd values, only on a body
        that is not a mapping at all."""
        return read_smart_handle_job(body)

    @property
    def failed(self) -> bool:
        return self.state == JobState.FAILED

    @property
    def user_data_json(self) -> Any:
        """``UserData`` parsed, or None when it is absent or not valid JSON."""
        return _json_view(self.user_data)

    @property
    def output_json(self) -> Any:
        """``Output`` parsed, or None when it is absent or not valid JSON."""
        return _json_view(self.output)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, the wire's keys (``smartjobs job --json``); a degraded answer adds
        ``Raw``: its degraded top-level fields as they came."""
        result, info = self.job_result, self.job_info
        data: dict[str, Any] = {
            "RequestId": self.request_id,
            "JobId": self.job_id,
            "State": self.state,
            "ErrorCode": self.error_code,
            "ErrorMessage": self.error_message,
            "Output": self.output,
            "UserData": self.user_data,
            "JobResult": result
            and {
                "MediaId": result.media_id,
                "MediaUrl": result.media_url,
                "AiResult": result.ai_result,
                "Usage": result.usage,
            },
            "SmartJobInfo": info
            and {
                "Title": info.title,
                "Description": info.description,
                "UserId": info.user_id,
                "JobType": info.job_type,
                "CreateTime": _wire_time(info.create_time),
                "ModifiedTime": _wire_time(info.modified_time),
                "InputConfig": _input_json(info.input_config),
                "OutputConfig": _output_json(info.output_config),
            },
        }
        if self.degraded:
            data["Raw"] = _raw_json(self.degraded, self.raw)
        return data


# -- one job's details (GetSmartHandleJob) ---------------------------------------------------


def _within(name: str, inner: Iterable[str], notes: Notes) -> None:
    """Note a nested object's degraded fields under its own name: ``JobResult.Usage``."""
    notes.extend(f"{name}.{field}" for field in inner)


def read_job_result(value: Any, notes: Notes) -> JobResult | None:
    found = read_object(value, "JobResult", notes)
    if found is None or isinstance(found, str):
        return None
    inner: Notes = []
    result = JobResult(
        read_text(found.get("MediaId"), "MediaId", inner),
        read_text(found.get("MediaUrl"), "MediaUrl", inner),
        read_json_text(found.get("AiResult"), "AiResult", inner),
        read_json_text(found.get("Usage"), "Usage", inner),
    )
    _within("JobResult", inner, notes)
    return result


def read_job_info(
    value: Any,
    notes: Notes,
    *,
    job_id: str | None,
    state: JobState | str | None,
    user_data: str | None,
) -> SmartJob | None:
    """``SmartJobInfo`` read as a list entry is, with the answer's own id, state and user data
    (the info carries none of them; any it does carry are kept when the answer's are unset)."""
    found = read_object(value, "SmartJobInfo", notes)
    if found is None or isinstance(found, str):
        return None
    info = read_job(found)
    _within("SmartJobInfo", info.degraded, notes)
    return dataclasses.replace(
        info,
        job_id=job_id or info.job_id,
        job_state=state or info.job_state,
        user_data=user_data or info.user_data,
    )


def read_smart_handle_job(body: Mapping[str, Any]) -> SmartHandleJob:
    """A whole GetSmartHandleJob success body. Only a body that is not a mapping raises."""
    if not isinstance(body, Mapping):
        raise TypeError(f"a GetSmartHandleJob body is a JSON object, not {type(body).__name__}")
    notes: Notes = []
    get = body.get
    request_id = read_request_id(get("RequestId"), notes)
    job_id = read_text(get("JobId"), "JobId", notes)
    state = read_choice(get("State"), JOB_STATES, "State", notes)
    error_code = read_text(get("ErrorCode"), "ErrorCode", notes)
    error_message = read_text(get("ErrorMessage"), "ErrorMessage", notes)
    output = read_json_text(get("Output"), "Output", notes)
    user_data = read_json_text(get("UserData"), "UserData", notes)
    job_result = read_job_result(get("JobResult"), notes)
    job_info = read_job_info(
        get("SmartJobInfo"), notes, job_id=job_id, state=state, user_data=user_data
    )
    return SmartHandleJob(
        request_id=request_id,
        job_id=job_id,
        state=state,
        error_code=error_code,
        error_message=error_message,
        output=output,
        user_data=user_data,
        job_result=job_result,
        job_info=job_info,
        degraded=tuple(notes),
        raw=body,
    )
