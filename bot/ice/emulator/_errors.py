"""The service's refusals: codes with their HTTP statuses, and the error body it sends."""

from __future__ import annotations

import uuid
from typing import Final

# Code -> (HTTP status, the service's message): the IMS error table with its documented
# statuses (RequestsTooFrequent is throttling, despite the 403), then the POP gateway's
# generic codes (``Throttling*`` really is 400 there, not 429/503).
ERRORS: Final[dict[str, tuple[int, str]]] = {
    "OperationDenied": (403, "The service is not activated for this account."),
    "OperationDenied.Suspended": (
        403,
        "Your account has an overdue payment: the service is suspended.",
    ),
    "Forbidden": (403, "You are not authorized to perform this operation."),
    "RequestsTooFrequent": (403, "Requests are too frequent: try again later."),
    "ResourceNotFound": (404, "The specified resource does not exist."),
    "ServiceUnAvailable": (503, "The service is unavailable: try again later."),
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "MissingParameter": (400, "A required parameter is not supplied."),
    "InvalidParameter": (400, "The specified parameter is not valid."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidAccessKeyId.Inactive": (400, "Specified access key is disabled."),
    "SignatureDoesNotMatch": (400, "Specified signature does not match our calculation."),
    "InvalidSecurityToken.Malformed": (400, "Specified SecurityToken is malformed."),
    "InvalidSecurityToken.Expired": (400, "Specified SecurityToken is expired."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidAction.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "Forbidden.RAM": (403, "User not authorized to operate on the specified resource."),
    "NoPermission": (403, "You are not authorized to perform this operation."),
    "Throttling": (400, "Request was denied due to request throttling."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "InternalError": (
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
    ),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
}


class ApiError(Exception):
    """A refusal the service would send: ``Code`` plus a message; status from :data:`ERRORS`."""

    def __init__(self, code: str, message: str | None = None) -> None:
        status, default = ERRORS.get(code, (400, "The request was refused."))
        self.code = code
        self.status = status
        self.message = message or default
        super().__init__(f"{code}: {self.message}")


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def error_body(error: ApiError, *, request_id: str, host_id: str) -> dict[str, str]:
    recommend = (
        f"https://api.aliyun.com/troubleshoot?q={error.code}&product=ICE&requestId={request_id}"
    )
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
        "Recommend": recommend,
    }
