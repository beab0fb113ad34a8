"""Errors of the ICE client, classified by the service's ``Code`` (HTTP statuses vary).

One table, :data:`RULES`, says for every code the service documents (the IMS error table
and the gateway's generic codes) which error it becomes, and so whether it is retried,
and the hint a user is shown. Codes are compared case-insensitively: the service itself
spells both ``ServiceUnAvailable`` and ``ServiceUnavailable``.

A hint can depend on the action: a refused permission names the RAM action that was
refused (``ice:ListSmartJobs`` or ``ice:GetSmartHandleJob``), and :data:`ACTION_RULES`
gives an action its own reading of a code (for ``GetSmartHandleJob``, ``ResourceNotFound``
means the job: a wrong id or region, or a job created more than a year ago).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.ice._enums import ACTION, GET_JOB_ACTION


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
        self.hint = hint or hint_for(code)
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


class IceAuthError(IceError):
    """Credentials, signature or permission: retrying cannot help."""


class IceAccountError(IceError):
    """The account cannot use ICE (not activated, or suspended for an overdue bill)."""


class IceParameterError(IceError):
    """The request was rejected as malformed, or named what does not exist: retrying cannot help."""


class IceJobNotFoundError(IceParameterError):
    """``GetSmartHandleJob`` knows no such job: a wrong id or region, or a job created more
    than a year ago (the service keeps only the past year queryable)."""


class IceThrottledError(IceError):
    retryable = True


class IceServiceError(IceError):
    """5xx or an internal error on the service side."""

    retryable = True


class IceTransportError(IceError):
    """No HTTP answer: timeout or connection failure."""

    retryable = True


class IceProtocolError(IceError):
    """An answer that is not the API's JSON (a proxy's HTML page, not a JSON object)."""


class RepeatedTokenError(IceError):
    """The service handed back a NextToken it had already given: paging would never end."""


class CredentialsError(IceError):
    """No usable Alibaba Cloud credentials were found."""


class IceRequestError(ValueError):
    """Arguments outside the API's documented bounds, refused before any request is sent.

    Not an :class:`IceError`: ICE never saw the request, so this is the caller's bug.
    """


_THROTTLED = "ICE is throttling requests: wait a moment and try again."
_ACTION: Final = "{action}"  # in a hint: the action that was called, filled in by hint_for
_RAM = f"The RAM identity may not call ice:{_ACTION}: attach infra/ram-policy.json."
_PARAMETER = "A parameter was rejected: check the filters."
_WRONG_API = f"That endpoint does not serve ICE's {_ACTION}: check ICE_ENDPOINT and ICE_REGION."
_NO_SUCH_JOB = (
    "ICE has no such job: check the JobId and ICE_REGION. Only jobs of the past year can be "
    "looked up."
)
_BAD_JOB_ID = "ICE refused the JobId: copy it from a job list and try again."
_RESIGN = IceServiceError  # re-signed by the retry loop: a fresh date and nonce on each attempt

RULES: Final[tuple[tuple[str, type[IceError], str], ...]] = (
    # (code, or a family prefix ending in "."; kind; hint). Exact codes win over families.
    ("RequestsTooFrequent", IceThrottledError, _THROTTLED),  # HTTP 403, yet throttling
    ("Throttling", IceThrottledError, _THROTTLED),
    ("Throttling.", IceThrottledError, _THROTTLED),
    ("ServiceUnavailable", IceServiceError, "ICE is unavailable right now: try again in a minute."),
    ("InternalError", IceServiceError, "ICE had an internal error: try again in a minute."),
    ("SignatureNonceUsed", _RESIGN, "A request was replayed: send it again with a fresh nonce."),
    (
        "InvalidTimeStamp.Expired",
        _RESIGN,
        "The request time was off by more than 15 minutes: check the clock.",
    ),
    (
        "OperationDenied",
        IceAccountError,
        "ICE is not activated for this Alibaba Cloud account: activate Intelligent Media "
        "Services in the console, then try again.",
    ),
    (
        "OperationDenied.Suspended",
        IceAccountError,
        "The Alibaba Cloud account is overdue, so ICE is suspended: settle the bill in the "
        "console, then try again.",
    ),
    ("Forbidden", IceAuthError, _RAM),
    ("Forbidden.", IceAuthError, _RAM),
    ("NoPermission", IceAuthError, _RAM),
    (
        "ResourceNotFound",
        IceParameterError,
        "ICE has no such resource: check ICE_REGION (jobs live in the region that ran them).",
    ),
    ("InvalidParameter", IceParameterError, _PARAMETER),
    ("InvalidParameter.", IceParameterError, _PARAMETER),
    (
        "MissingParameter",
        IceParameterError,
        "ICE says a required parameter is missing: report this with the RequestId.",
    ),
    ("MissingParameter.", IceParameterError, _PARAMETER),
    (
        "InvalidAccessKeyId.NotFound",
        IceAuthError,
        "The AccessKey ID is unknown: check ALIBABA_CLOUD_ACCESS_KEY_ID.",
    ),
    (
        "InvalidAccessKeyId.Inactive",
        IceAuthError,
        "The AccessKey is disabled: enable it or create a new one in RAM.",
    ),
    (
        "InvalidAccessKeyId.",
        IceAuthError,
        "The AccessKey was refused: check ALIBABA_CLOUD_ACCESS_KEY_ID.",
    ),
    (
        "SignatureDoesNotMatch",
        IceAuthError,
        "The signature was rejected: check the AccessKey secret (ALIBABA_CLOUD_ACCESS_KEY_SECRET).",
    ),
    (
        "IncompleteSignature",
        IceAuthError,
        "The request's signature was incomplete: report this with the RequestId.",
    ),
    (
        "InvalidSecurityToken.Expired",
        IceAuthError,
        "The STS token has expired: refresh the role credentials.",
    ),
    (
        "InvalidSecurityToken.",
        IceAuthError,
        "The STS token is malformed: check ALIBABA_CLOUD_SECURITY_TOKEN.",
    ),
    ("InvalidAction.", IceParameterError, _WRONG_API),
    ("InvalidVersion", IceParameterError, _WRONG_API),
)

ACTION_RULES: Final[Mapping[str, tuple[tuple[str, type[IceError], str], ...]]] = {
    # Rules of one action, looked up before RULES (same form: exact codes win over families).
    GET_JOB_ACTION: (
        ("ResourceNotFound", IceJobNotFoundError, _NO_SUCH_JOB),
        ("ResourceNotFound.", IceJobNotFoundError, _NO_SUCH_JOB),
        ("InvalidParameter.JobId", IceJobNotFoundError, _NO_SUCH_JOB),
        ("InvalidParameter", IceParameterError, _BAD_JOB_ID),
        ("InvalidParameter.", IceParameterError, _BAD_JOB_ID),
    ),
}

_Rule = tuple[type[IceError], str]
_Table = tuple[dict[str, _Rule], tuple[tuple[str, type[IceError], str], ...]]


def _table(rules: tuple[tuple[str, type[IceError], str], ...]) -> _Table:
    """Exact codes by lower-cased code, and the families (prefixes ending in ".")."""
    exact = {code.lower(): (kind, hint) for code, kind, hint in rules if code[-1] != "."}
    families = tuple((code.lower(), kind, hint) for code, kind, hint in rules if code[-1] == ".")
    return exact, families


_COMMON: Final = _table(RULES)
_BY_ACTION: Final = {action: _table(rules) for action, rules in ACTION_RULES.items()}
_GENERIC_HINT: Final = "See the RequestId in the ICE console or logs."


def _lookup(key: str, table: _Table) -> _Rule | None:
    exact, families = table
    found = exact.get(key)
    if found is not None:
        return found
    for prefix, kind, hint in families:
        if key.startswith(prefix):
            return kind, hint
    return None


def _rule(code: str, action: str) -> _Rule | None:
    key = code.lower()
    own = _BY_ACTION.get(action)
    found = _lookup(key, own) if own is not None else None
    return found or _lookup(key, _COMMON)


def _hint(rule: _Rule | None, action: str) -> str:
    return rule[1].replace(_ACTION, action) if rule else _GENERIC_HINT


def hint_for(code: str, action: str = ACTION) -> str:
    """What a user should do about ``code`` (any casing) answered to ``action``."""
    return _hint(_rule(code, action), action)


def classify(
    code: str,
    message: str,
    *,
    status: int | None,
    request_id: str | None,
    action: str = ACTION,
) -> IceError:
    """The typed error for a service error body: by code first, then by HTTP status."""
    rule = _rule(code, action)
    kind: type[IceError]
    if rule is not None:
        kind = rule[0]
    elif status == 429:
        kind = IceThrottledError
    elif status is not None and status >= 500:
        kind = IceServiceError
    else:
        kind = IceError
    return kind(code, message, status=status, request_id=request_id, hint=_hint(rule, action))
