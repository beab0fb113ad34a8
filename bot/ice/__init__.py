"""Alibaba Cloud ICE ``ListSmartJobs`` and ``GetSmartHandleJob``: models, a tolerant reader,
signing, and a retrying httpx client.

The names below load on first use (PEP 562): ``from bot.ice import JobState`` costs only
the enums, so the Slack ack path never pays for the models, httpx or the credentials chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot._lazy import exports

if TYPE_CHECKING:
    from bot.ice._client import CallRecord, IceClient, RetryPolicy
    from bot.ice._credentials import (
        Credentials,
        CredentialsProvider,
        DefaultCredentials,
        StaticCredentials,
        credentials_from_env,
    )
    from bot.ice._enums import JobState, JobType, SortBy
    from bot.ice._errors import (
        CredentialsError,
        IceAccountError,
        IceAuthError,
        IceError,
        IceJobNotFoundError,
        IceParameterError,
        IceProtocolError,
        IceRequestError,
        IceServiceError,
        IceThrottledError,
        IceTransportError,
        RepeatedTokenError,
    )
    from bot.ice._job_details import GetSmartHandleJobRequest, JobResult, SmartHandleJob
    from bot.ice._models import (
        InputConfig,
        ListSmartJobsRequest,
        OutputConfig,
        SmartJob,
        SmartJobPage,
    )
    from bot.ice._regions import endpoint_for

_WHERE = {
    "bot.ice._client": ("CallRecord", "IceClient", "RetryPolicy"),
    "bot.ice._regions": ("endpoint_for",),
    "bot.ice._credentials": (
        "Credentials",
        "CredentialsProvider",
        "DefaultCredentials",
        "StaticCredentials",
        "credentials_from_env",
    ),
    "bot.ice._enums": ("JobState", "JobType", "SortBy"),
    "bot.ice._errors": (
        "CredentialsError",
        "IceAccountError",
        "IceAuthError",
        "IceError",
        "IceJobNotFoundError",
        "IceParameterError",
        "IceProtocolError",
        "IceRequestError",
        "IceServiceError",
        "IceThrottledError",
        "IceTransportError",
        "RepeatedTokenError",
    ),
    "bot.ice._job_details": ("GetSmartHandleJobRequest", "JobResult", "SmartHandleJob"),
    "bot.ice._models": (
        "InputConfig",
        "ListSmartJobsRequest",
        "OutputConfig",
        "SmartJob",
        "SmartJobPage",
    ),
}
__all__ = [
    "CallRecord",
    "Credentials",
    "CredentialsError",
    "CredentialsProvider",
    "DefaultCredentials",
    "GetSmartHandleJobRequest",
    "IceAccountError",
    "IceAuthError",
    "IceClient",
    "IceError",
    "IceJobNotFoundError",
    "IceParameterError",
    "IceProtocolError",
    "IceRequestError",
    "IceServiceError",
    "IceThrottledError",
    "IceTransportError",
    "InputConfig",
    "JobResult",
    "JobState",
    "JobType",
    "ListSmartJobsRequest",
    "OutputConfig",
    "RepeatedTokenError",
    "RetryPolicy",
    "SmartHandleJob",
    "SmartJob",
    "SmartJobPage",
    "SortBy",
    "StaticCredentials",
    "credentials_from_env",
    "endpoint_for",
]


__getattr__, __dir__ = exports(__name__, _WHERE, globals())
