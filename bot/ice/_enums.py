"""The API's vocabulary: plain enums and constants, cheap enough for the Slack ack path."""

from __future__ import annotations

from enum import StrEnum

API_VERSION = "2020-11-09"
ACTION = "ListSmartJobs"
"""The list: most calls are this one, so it keeps the plain name."""
GET_JOB_ACTION = "GetSmartHandleJob"
"""One job's details: its state, error code and message, result (RAM: ``ice:GetSmartHandleJob``)."""
ACTIONS = (ACTION, GET_JOB_ACTION)
"""Every action this package calls (and the emulator answers)."""
WIRE_TIME = "%Y-%m-%dT%H:%M:%SZ"
"""The service's timestamps (``x-acs-date``, ``CreateTime``): UTC, whole seconds, ``Z``."""


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
