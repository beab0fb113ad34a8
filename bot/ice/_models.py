"""Typed request and response of ``ListSmartJobs`` (API version 2020-11-09)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

API_VERSION = "2020-11-09"
ACTION = "ListSmartJobs"


class JobType(StrEnum):
    ASR = "ASR"
    DYNAMIC_CHART = "DynamicChart"
    VIDEO_TRANSLATION = "VideoTranslation"
    TEXT_TO_SPEECH = "TextToSpeech"


class JobState(StrEnum):
    FINISHED = "Finished"
    FAILED = "Failed"
    EXECUTING = "Executing"
    CREATED = "Created"


class SortBy(StrEnum):
    NEWEST = "CreationTime:Desc"
    OLDEST = "CreationTime:Asc"


# A value the service adds later (a new job type) must parse, not break the page.
OpenJobType = Annotated[JobType | str, Field(union_mode="left_to_right")]
OpenJobState = Annotated[JobState | str, Field(union_mode="left_to_right")]


class ListSmartJobsRequest(BaseModel):
    """The seven documented parameters with their documented bounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_type: JobType | None = None
    job_state: JobState | None = None
    sort_by: SortBy | None = None
    max_results: int | None = Field(default=None, ge=1, le=100)
    next_token: str | None = None
    page_no: int | None = Field(default=None, ge=1)
    page_size: int | None = Field(default=None, ge=1, le=100)

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
    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")


class InputConfig(_Wire):
    input_file: str | None = Field(default=None, alias="InputFile")
    keyword: str | None = Field(default=None, alias="Keyword")


class OutputConfig(_Wire):
    bucket: str | None = Field(default=None, alias="Bucket")
    object: str | None = Field(default=None, alias="Object")


def _json_view(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class SmartJob(_Wire):
    job_id: str = Field(alias="JobId")
    title: str | None = Field(default=None, alias="Title")
    description: str | None = Field(default=None, alias="Description")
    user_id: int | None = Field(default=None, alias="UserId")
    job_type: OpenJobType | None = Field(default=None, alias="JobType")
    job_state: OpenJobState | None = Field(default=None, alias="JobState")
    editing_config: str | None = Field(default=None, alias="EditingConfig")
    user_data: str | None = Field(default=None, alias="UserData")
    create_time: datetime | None = Field(default=None, alias="CreateTime")
    modified_time: datetime | None = Field(default=None, alias="ModifiedTime")
    input_config: InputConfig | None = Field(default=None, alias="InputConfig")
    output_config: OutputConfig | None = Field(default=None, alias="OutputConfig")

    @field_validator("create_time", "modified_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """The service writes UTC; a naive stamp is read as UTC, never as local time."""
        if value is not None and value.tzinfo is None:
            from datetime import UTC

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
    request_id: str | None = Field(default=None, alias="RequestId")
    smart_job_list: list[SmartJob] = Field(default_factory=list, alias="SmartJobList")
    next_token: str | None = Field(default=None, alias="NextToken")
    max_results: int | None = Field(default=None, alias="MaxResults")
    total_count: int | None = Field(default=None, alias="TotalCount")

    @model_validator(mode="before")
    @classmethod
    def _empty_strings_are_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (v == "" and k != "SmartJobList")}
        return data
