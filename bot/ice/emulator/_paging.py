"""The listing itself: parameter validation, filtering, ordering, pages and opaque NextTokens.

Pure: plain values in, the success body out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bot.ice._enums import JobState, JobType, SortBy
from bot.ice.emulator._errors import ApiError

INT_PARAMS: Final[dict[str, tuple[int, int | None]]] = {
    "MaxResults": (1, 100),
    "PageSize": (1, 100),
    "PageNo": (1, None),
}
ENUM_PARAMS: Final[dict[str, frozenset[str]]] = {
    "JobType": frozenset(JobType),
    "JobState": frozenset(JobState),
    "SortBy": frozenset(SortBy),
}


@dataclass(frozen=True, slots=True)
class Listing:
    """A validated ``ListSmartJobs`` query."""

    job_type: str | None
    job_state: str | None
    sort_by: str
    size: int
    offset: int

    @property
    def fingerprint(self) -> str:
        """What a NextToken is bound to: the filter and the order, not the page size."""
        key = f"{self.job_type or ''}|{self.job_state or ''}|{self.sort_by}"
        return hashlib.sha256(key.encode()).hexdigest()[:12]


class TokenCodec:
    """Opaque NextTokens: base64url(offset + fingerprint) and an HMAC, so forgeries are caught."""

    def __init__(self, key: bytes, *, lenient: bool = False) -> None:
        self._key = key
        self._lenient = lenient

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:20]

    def encode(self, offset: int, fingerprint: str) -> str:
        payload = base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode()
        payload = payload.rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def decode(self, token: str, fingerprint: str) -> int:
        """The offset a token points at; ``lenient`` reads a token it never issued as 0."""
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(self._mac(payload), mac):
            if self._lenient:
                return 0
            raise ApiError("InvalidParameter", "The specified parameter NextToken is not valid.")
        padded = payload + "=" * (-len(payload) % 4)
        offset, _, bound_to = base64.urlsafe_b64decode(padded).decode().partition(":")
        if bound_to != fingerprint:
            raise ApiError(
                "InvalidParameter",
                "The specified parameter NextToken does not match this query: it was issued "
                "for other JobType, JobState or SortBy values.",
            )
        return int(offset)


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name, "")
    if value == "":
        return None
    low, high = INT_PARAMS[name]
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    number = int(value) if value.isascii() and value.isdigit() else None
    if number is None or number < low or (high is not None and number > high):
        raise ApiError(
            "InvalidParameter",
            f"The specified parameter {name} is not valid: expected an integer {bounds}, "
            f"got {value[:40]!r}.",
        )
    return number


def _enum_param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "")
    if value == "":
        return None
    allowed = ENUM_PARAMS[name]
    if value not in allowed:
        raise ApiError(
            "InvalidParameter",
            f"The specified parameter {name} is not valid: {value[:40]!r} is not one of "
            f"{', '.join(sorted(allowed))}.",
        )
    return value


def parse_listing(params: Mapping[str, str], tokens: TokenCodec) -> Listing:
    """Validate the documented parameters; unknown ones are ignored, as the service does.

    Page size is ``MaxResults``, else ``PageSize``, else 10. A ``NextToken`` wins
    over ``PageNo``; an empty value counts as absent.
    """
    max_results = _int_param(params, "MaxResults")
    page_size = _int_param(params, "PageSize")
    page_no = _int_param(params, "PageNo")
    job_type = _enum_param(params, "JobType")
    job_state = _enum_param(params, "JobState")
    sort_by = _enum_param(params, "SortBy") or SortBy.NEWEST.value
    size = max_results or page_size or 10
    draft = Listing(job_type, job_state, sort_by, size, 0)
    token = params.get("NextToken", "")
    offset = tokens.decode(token, draft.fingerprint) if token else ((page_no or 1) - 1) * size
    return Listing(job_type, job_state, sort_by, size, offset)


def _matches(job: Any, listing: Listing) -> bool:
    """Filter on JobType/JobState; an entry that is not an object cannot be checked and is
    listed whatever the filter, as a broken service would send it."""
    if not isinstance(job, dict):
        return True
    return (listing.job_type is None or job.get("JobType") == listing.job_type) and (
        listing.job_state is None or job.get("JobState") == listing.job_state
    )


def list_page(
    jobs: list[Any], listing: Listing, tokens: TokenCodec, *, total_count: bool = False
) -> dict[str, Any]:
    """The success body without ``RequestId``: one page of the filtered, ordered jobs.

    ``TotalCount`` only when asked: the service "by default" does not return it.
    """
    matching = [job for job in jobs if _matches(job, listing)]
    if listing.sort_by == SortBy.OLDEST:
        matching.reverse()
    end = listing.offset + listing.size
    page = matching[listing.offset : end]
    next_token = tokens.encode(end, listing.fingerprint) if end < len(matching) else ""
    body: dict[str, Any] = {
        "SmartJobList": page,
        "NextToken": next_token,
        "MaxResults": str(listing.size),
    }
    if total_count:
        body["TotalCount"] = str(len(matching))
    return body
