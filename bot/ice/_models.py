"""Typed request and response of ``ListSmartJobs`` (API version 2020-11-09): plain data.

The response types are frozen, slotted dataclasses filled by the tolerant reader
(:mod:`bot.ice._reader`); the request validates its documented bounds itself. No
pydantic: reading ICE as it really answers means deciding field by field, which a
validating model fights.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice._errors import IceRequestError

_Enum = TypeVar("_Enum", bound=StrEnum)


def _member(kind: type[_Enum], name: str, value: _Enum | str | None) -> _Enum | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(kind)
        raise IceRequestError(f"{name} must be one of {allowed}, not {value!r}") from None


def _bounded(name: str, value: int | None, low: int, high: int | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise IceRequestError(f"{name} must be an integer, not {value!r}")
    if value < low or (high is not None and value > high):
        upper = f" to {high}" if high is not None else " or more"
        raise IceRequestError(f"{name} must be {low}{upper}, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class ListSmartJobsRequest:
    """The seven documented parameters with their documented bounds.

    Strings for the enum parameters become their enum; anything out of bounds raises
    :class:`~bot.ice.IceRequestError` (a ``ValueError``) here, before any request.
    """

    job_type: JobType | None = None
    job_state: JobState | None = None
    sort_by: SortBy | None = None
    max_results: int | None = None
    next_token: str | None = None
    page_no: int | None = None
    page_size: int | None = None

    def __post_init__(self) -> None:
        checked = {
            "job_type": _member(JobType, "job_type", self.job_type),
            "job_state": _member(JobState, "job_state", self.job_state),
            "sort_by": _member(SortBy, "sort_by", self.sort_by),
            "max_results": _bounded("max_results", self.max_results, 1, 100),
            "page_size": _bounded("page_size", self.page_size, 1, 100),
            "page_no": _bounded("page_no", self.page_no, 1, None),
        }
        if self.next_token is not None and not isinstance(self.next_token, str):
            raise IceRequestError(f"next_token must be a string, not {self.next_token!r}")
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: the checked values replace the given

    def to_params(self) -> dict[str, str]:
        """Wire parameters: unset ones dropped, everything a string."""
        pairs = {
            "JobType": self.job_type,
            "JobState": self.job_state,
            "SortBy": self.sort_by,
            "MaxResults": self.max_results,
            "NextToken": self.next_token or None,
            "PageNo": self.page_no,
            "PageSize": self.page_size,
        }
        return {k: str(v) for k, v in pairs.items() if v is not None}


@dataclass(frozen=True, slots=True)
class InputConfig:
    input_file: str | None = None
    keyword: str | None = None


@dataclass(frozen=True, slots=True)
class OutputConfig:
    bucket: str | None = None
    object: str | None = None


def _json_view(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True, slots=True)
class SmartJob:
    """One job as read. ``degraded`` names (wire names) the fields whose value was not of
    the documented type or format and was read as something sensible instead; ``raw`` is
    the entry exactly as it came."""

    job_id: str | None = None
    title: str | None = None
    description: str | None = None
    user_id: str | None = None
    job_type: JobType | str | None = None
    job_state: JobState | str | None = None
    editing_config: str | None = None
    user_data: str | None = None
    create_time: datetime | None = None
    modified_time: datetime | None = None
    input_config: InputConfig | None = None
    output_config: OutputConfig | None = None
    degraded: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def editing_config_json(self) -> Any:
        """``EditingConfig`` parsed, or None when it is absent or not valid JSON."""
        return _json_view(self.editing_config)

    @property
    def user_data_json(self) -> Any:
        """``UserData`` parsed, or None when it is absent or not valid JSON."""
        return _json_view(self.user_data)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, wire keys; a degraded job adds ``Raw``: its degraded fields as they came."""
        data: dict[str, Any] = {
            "JobId": self.job_id,
            "Title": self.title,
            "Description": self.description,
            "UserId": self.user_id,
            "JobType": self.job_type,
            "JobState": self.job_state,
            "EditingConfig": self.editing_config,
            "UserData": self.user_data,
            "CreateTime": _wire_time(self.create_time),
            "ModifiedTime": _wire_time(self.modified_time),
            "InputConfig": _input_json(self.input_config),
            "OutputConfig": _output_json(self.output_config),
        }
        if self.degraded:
            data["Raw"] = _raw_json(self.degraded, self.raw)
        return data


@dataclass(frozen=True, slots=True)
class SmartJobPage:
    """One page as read. ``unreadable`` counts list entries that were not objects (skipped);
    ``degraded`` counts, per wire field name, the values read as something sensible instead."""

    request_id: str | None = None
    smart_job_list: tuple[SmartJob, ...] = ()
    next_token: str | None = None
    max_results: int | None = None
    total_count: int | None = None
    unreadable: int = 0
    degraded: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, body: Any) -> SmartJobPage:
        """Read a ListSmartJobs answer body (the decoded JSON object); never raises on odd
        values, only on a body that is not a mapping at all."""
        from bot.ice._reader import read_page

        return read_page(body)

    def replace(self, **changes: Any) -> SmartJobPage:
        """A copy with some fields changed (``smart_job_list``, ``next_token``, ``total_count``).

        ``unreadable`` and ``degraded`` keep describing the page as it was read.
        """
        jobs = changes.get("smart_job_list")
        if jobs is not None and not isinstance(jobs, tuple):
            changes["smart_job_list"] = tuple(jobs)
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The page as JSON-ready data with the wire's PascalCase keys (``smartjobs query --json``)."""
        data: dict[str, Any] = {
            "RequestId": self.request_id,
            "SmartJobList": [job.to_json() for job in self.smart_job_list],
            "NextToken": self.next_token,
            "MaxResults": self.max_results,
            "TotalCount": self.total_count,
        }
        if self.unreadable:
            data["Unreadable"] = self.unreadable
        return data


def _input_json(config: InputConfig | None) -> dict[str, Any] | None:
    return None if config is None else {"InputFile": config.input_file, "Keyword": config.keyword}


def _output_json(config: OutputConfig | None) -> dict[str, Any] | None:
    return None if config is None else {"Bucket": config.bucket, "Object": config.object}


def _raw_json(degraded: tuple[str, ...], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields holding degraded values (``A.B`` is in ``A``), as they came."""
    top = dict.fromkeys(name.partition(".")[0] for name in degraded)
    return {name: _json_ready(raw.get(name)) for name in top}


def _wire_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.isoformat()
    return text[:-6] + "Z" if moment.utcoffset() == timedelta(0) else text


def _json_ready(value: Any) -> Any:
    """``value`` when JSON and UTF-8 can carry it (it came from JSON), else its ``ascii()``."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except (TypeError, ValueError, RecursionError):
        return ascii(value)
    return value
