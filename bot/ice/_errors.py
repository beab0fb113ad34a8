"""Errors of the ICE client, classified by the service's ``Code`` (HTTP statuses vary)."""

from __future__ import annotations

RETRYABLE_CODES = frozenset(
    {"Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable", "InternalError"}
)
RESIGN_CODES = frozenset({"SignatureNonceUsed", "InvalidTimeStamp.Expired"})

HINTS: dict[str, str] = {
    "InvalidAccessKeyId.NotFound": "The AccessKey ID is unknown: check ALIBABA_CLOUD_ACCESS_KEY_ID.",
    "InvalidAccessKeyId.Inactive": "The AccessKey is disabled: enable it or create a new one in RAM.",
    "SignatureDoesNotMatch": "The signature was rejected: check the AccessKey secret "
    "(ALIBABA_CLOUD_ACCESS_KEY_SECRET).",
    "InvalidSecurityToken.Expired": "The STS token has expired: refresh the role credentials.",
    "InvalidSecurityToken.Malformed": "The STS token is malformed: check ALIBABA_CLOUD_SECURITY_TOKEN.",
    "Forbidden.RAM": "The RAM identity may not call ice:ListSmartJobs: attach infra/ram-policy.json.",
    "NoPermission": "The RAM identity may not call ice:ListSmartJobs: attach infra/ram-policy.json.",
    "InvalidParameter": "A parameter was rejected: check the filters.",
    "MissingParameter": "A required parameter is missing.",
    "InvalidTimeStamp.Expired": "The request time was off by more than 15 minutes: check the clock.",
    "SignatureNonceUsed": "A request was replayed: send it again with a fresh nonce.",
    "Throttling": "ICE is throttling requests: wait a moment and try again.",
    "ServiceUnavailable": "ICE is unavailable right now: try again in a minute.",
    "InternalError": "ICE had an internal error: try again in a minute.",
}


class IceError(Exception):
    """Any failure to get an answer from ICE; ``hint`` says what to do about it."""

    code: str
    message: str
    request_id: str | None
    status: int | None
    hint: str
    retryable: bool = False
    attempts: int = 1

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status
        self.hint = hint or HINTS.get(code) or _family_hint(code)
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = [f"{self.code}: {self.message}"]
        if self.request_id:
            parts.append(f"(RequestId {self.request_id})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"request_id={self.request_id!r})"
        )


def _family_hint(code: str) -> str:
    if code.startswith("Throttling"):
        return HINTS["Throttling"]
    if code.startswith(("InvalidParameter", "MissingParameter")):
        return HINTS["InvalidParameter"]
    if code.startswith(("Forbidden", "NoPermission")):
        return HINTS["Forbidden.RAM"]
    return "See the RequestId in the ICE console or logs."


class IceAuthError(IceError):
    """Credentials, signature or permission: retrying cannot help."""


class IceParameterError(IceError):
    """The request was rejected as malformed: retrying cannot help."""


class IceThrottledError(IceError):
    retryable = True


class IceServiceError(IceError):
    """5xx or an internal error on the service side."""

    retryable = True


class IceTransportError(IceError):
    """No HTTP answer: timeout or connection failure."""

    retryable = True


class IceProtocolError(IceError):
    """An answer that is not the ListSmartJobs JSON (a proxy's HTML page, bad types)."""


class RepeatedTokenError(IceError):
    """The service handed back a NextToken it had already given: paging would never end."""


class CredentialsError(IceError):
    """No usable Alibaba Cloud credentials were found."""


def classify(code: str, message: str, *, status: int | None, request_id: str | None) -> IceError:
    """The typed error for a service error body."""
    kind: type[IceError]
    if code in RETRYABLE_CODES or code.startswith("Throttling"):
        kind = IceThrottledError if code.startswith("Throttling") else IceServiceError
    elif code.startswith(("InvalidParameter", "MissingParameter")):
        kind = IceParameterError
    elif code in RESIGN_CODES:
        kind = IceServiceError  # re-signed by the retry loop: fresh date and nonce each attempt
    elif code.startswith(
        (
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "Forbidden",
            "NoPermission",
            "InvalidSecurityToken",
            "IncompleteSignature",
            "InvalidAction",
            "InvalidVersion",
        )
    ):
        kind = IceAuthError
    elif status is not None and status >= 500:
        kind = IceServiceError
    else:
        kind = IceError
    return kind(code, message, status=status, request_id=request_id)
