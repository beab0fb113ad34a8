"""Typed request and response of ``ListSmartJobs`` (API version 2020-11-09)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_pascal

from bot.ice._enums import JobState, JobType, SortBy


def _open(kind: type[StrEnum], value: Any) -> Any:
    """Known wire strings become the enum; one the service adds later stays a str."""
    if isinstance(value, str) and not isinstance(value, StrEnum):
        try:
            return kind(value)
        except ValueError:
            return value
    return value


def _bounded(name: str, value: int | None, low: int, high: int | None) -> int | None:
    if value is not None and (value < low or (high is not None and value > high)):
        upper = f" to {high}" if high is not None else " or more"
        raise ValueError(f"{name} must be {low}{upper}, not {value}")
    return value


class ListSmartJobsRequest(BaseModel):
    """The seven documented parameters with their documented bounds.

    No ``pydantic.Field`` in this module: importing it costs ~28 ms (``pydantic.types``,
    ``annotated_types``) on the cold path. Aliases come from ``to_pascal``, bounds from
    validators, and schemas are built on first use (``defer_build``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    job_type: JobType | None = None
    job_state: JobState | None = None
    sort_by: SortBy | None = None
    max_results: int | None = None
    next_token: str | None = None
    page_no: int | None = None
    page_size: int | None = None

    @field_validator("max_results", "page_size")
    @classmethod
    def _one_to_hundred(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _bounded(info.field_name or "value", value, 1, 100)

    @field_validator("page_no")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        return _bounded("page_no", value, 1, None)

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


class _Wire(BaseModel):
    """Response shapes: PascalCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
        defer_build=True,
    )


class InputConfig(_Wire):
    input_file: str | None = None
    keyword: str | None = None


class OutputConfig(_Wire):
    bucket: str | None = None
    object: str | None = None


def _json_view(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class SmartJob(_Wire):
    job_id: str
    title: str | None = None
    description: str | None = None
    user_id: int | None = None
    job_type: JobType | str | None = None
    job_state: JobState | str | None = None
    editing_config: str | None = None
    user_data: str | None = None
    create_time: datetime | None = None
    modified_time: datetime | None = None
    input_config: InputConfig | None = None
    output_config: OutputConfig | None = None

    @field_validator("job_type", mode="before")
    @classmethod
    def _open_type(cls, value: Any) -> Any:
        return _open(JobType, value)

    @field_validator("job_state", mode="before")
    @classmethod
    def _open_state(cls, value: Any) -> Any:
        return _open(JobState, value)

    @field_validator("create_time", "modified_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """The service writes UTC; a naive stamp is read as UTC, never as local time."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @cached_property
    def editing_config_json(self) -> Any:
        """``EditingConfig`` parsed, or None when it is absent or not valid JSON."""
        return _json_view(self.editing_config)

    @cached_property
    def user_data_json(self) -> Any:
        """``UserData`` parsed, or None when it is absent or not valid JSON."""
        return _json_view(self.user_data)


class SmartJobPage(_Wire):
    request_id: str | None = None
    smart_job_list: list[SmartJob] = []  # pydantic copies a default per instance
    next_token: str | None = None
    max_results: int | None = None
    total_count: int | None = None

    @classmethod
    def from_wire(cls, body: Any) -> SmartJobPage:
        """Read a ListSmartJobs answer body (the decoded JSON object)."""
        return cls.model_validate(body)

    def replace(self, **changes: Any) -> SmartJobPage:
        """A copy with some fields changed (``smart_job_list``, ``next_token``, ``total_count``)."""
        return self.model_copy(update=changes)

    def to_json(self) -> dict[str, Any]:
        """The page as JSON-ready data with the wire's PascalCase keys (``smartjobs query --json``)."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return data

    @model_validator(mode="before")
    @classmethod
    def _empty_strings_are_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (v == "" and k != "SmartJobList")}
        return data
