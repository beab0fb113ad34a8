"""Alibaba Cloud ICE ``ListSmartJobs``: models, signing, and a retrying httpx client.

``import bot.ice`` stays cheap: ``alibabacloud-credentials`` loads on first use.
"""

from bot.ice._client import CallRecord, IceClient, RetryPolicy, endpoint_for
from bot.ice._credentials import (
    Credentials,
    CredentialsProvider,
    DefaultCredentials,
    StaticCredentials,
    credentials_from_env,
)
from bot.ice._errors import (
    CredentialsError,
    IceAuthError,
    IceError,
    IceParameterError,
    IceProtocolError,
    IceServiceError,
    IceThrottledError,
    IceTransportError,
    RepeatedTokenError,
)
from bot.ice._models import (
    InputConfig,
    JobState,
    JobType,
    ListSmartJobsRequest,
    OutputConfig,
    SmartJob,
    SmartJobPage,
    SortBy,
)

__all__ = [
    "CallRecord",
    "Credentials",
    "CredentialsError",
    "CredentialsProvider",
    "DefaultCredentials",
    "IceAuthError",
    "IceClient",
    "IceError",
    "IceParameterError",
    "IceProtocolError",
    "IceServiceError",
    "IceThrottledError",
    "IceTransportError",
    "InputConfig",
    "JobState",
    "JobType",
    "ListSmartJobsRequest",
    "OutputConfig",
    "RepeatedTokenError",
    "RetryPolicy",
    "SmartJob",
    "SmartJobPage",
    "SortBy",
    "StaticCredentials",
    "credentials_from_env",
    "endpoint_for",
]
