"""What the "Next page" / "Refresh" buttons carry: the query as typed text, the page number,
and ICE's NextToken when it fits.

A NextToken is opaque and can be anything (spaces, non-ASCII, nearly 2,000 characters): JSON
carries any string, and a token that would push the value past Slack's 2,000 characters is
left out, so the page is fetched by number instead (``PageNo``/``PageSize``, same order, same
size). A token-less value for page 2 or later means exactly that.

A button ``value`` comes back from the Slack client, so it is untrusted input:
the query is re-parsed with the grammar (bounds, regions) rather than trusted,
and anything odd becomes one friendly ``ButtonValueError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bot import filters
from bot.filters import ALL_REGIONS, FilterError, format_query, parse
from bot.ice._enums import JobState
from bot.ice._regions import REGIONS
from bot.query import Query

MAX_VALUE_LENGTH = 2000  # Slack's limit on a button value
MAX_QUERY_LENGTH = 200  # format_query() of any valid query is far shorter
VERSION = 1  # absent means 1; a future format would write "v":2 and old code refuses it

_KEYS = {"v", "q", "t", "p", "u", "i", "k", "c"}
_EPOCHS = (946_684_800, 4_102_444_800)  # 2000 to 2100: a window end outside is tampering
MAX_PAGE = 10_000
_STALE = "This button no longer works (it is old or was changed). Run /smartjobs again."


class ButtonValueError(ValueError):
    """A button value we will not act on; the message can be shown to the person who clicked."""


class Decoded(NamedTuple):
    query: Query
    token: str | None
    page: int
    """1-based number of the page the token leads to (for "page 2 · 11–20 of 110")."""
    ice_page: int = 1
    skip: int = 0
    """Where a window scan resumes (``until`` queries): ICE's page (by ``PageNo``) and how many
    of its jobs were already shown, since a page of the window can end inside an ICE page."""
    cursors: Mapping[str, tuple[int, int]] | None = None
    """``region:all``: where each region goes on (its ICE page and how many were shown);
    None on the first page (every region from its start)."""

    @property
    def by_number(self) -> bool:
        """No token for a later page: fetch it by ``PageNo``."""
        return self.token is None and self.page > 1


def encode(
    query: Query,
    next_token: str | None = None,
    page: int = 1,
    *,
    ice_page: int = 1,
    skip: int = 0,
    cursors: Mapping[str, tuple[int, int]] | None = None,
) -> str:
    """Compact JSON ``{"q":"failed asr","t":"<token>","p":2}``; refuses what decode would refuse."""
    text = format_query(query)
    try:
        reparsed = parse(text)
    except FilterError as error:
        raise ButtonValueError(f"This query cannot go on a button: {error.message}") from error
    if replace(reparsed, until=query.until) != query or query.action == "help":
        raise ButtonValueError("This query cannot go on a button.")
    payload: dict[str, Any] = {"q": text}
    if query.until is not None:
        if query.since is None:
            raise ButtonValueError("A window end needs a window.")
        payload["u"] = int(query.until.timestamp())
    if cursors is not None:
        if query.region != ALL_REGIONS or next_token:
            raise ButtonValueError("Only region:all pages carry a place per region.")
        payload["c"] = {region: [number, seen] for region, (number, seen) in cursors.items()}
    if (ice_page, skip) != (1, 0):
        if query.until is None or not (1 <= ice_page <= MAX_PAGE and 0 <= skip < 100):
            raise ButtonValueError("Only a window scan resumes inside ICE's pages.")
        payload["i"], payload["k"] = ice_page, skip
    if (next_token or page > 1) and query.action != "list":
        raise ButtonValueError("Only a job list has further pages.")
    if not 1 <= page <= MAX_PAGE:
        raise ButtonValueError("The page number is out of range.")
    if page > 1:
        payload["p"] = page
    if next_token:
        with_token = _dumps({**payload, "t": next_token})
        if len(with_token) <= MAX_VALUE_LENGTH or page == 1:
            if len(with_token) > MAX_VALUE_LENGTH:
                raise ButtonValueError("The page token is too long to fit on a button.")
            return with_token
    return _dumps(payload)


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def decode(value: str) -> Decoded:
    """Button value -> (query, next token or None, page); ButtonValueError for anything else."""
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
        raise ButtonValueError(_STALE)
    try:
        data = json.loads(value)
    except (ValueError, RecursionError) as error:
        raise ButtonValueError(_STALE) from error
    if not isinstance(data, dict) or not set(data) <= _KEYS:
        raise ButtonValueError(_STALE)
    version, text, token = data.get("v", VERSION), data.get("q"), data.get("t")
    page, until, cursors = data.get("p", 1), data.get("u"), _cursors(data.get("c"))
    ice_page, skip = data.get("i", 1), data.get("k", 0)
    if type(page) is not int or not 1 <= page <= MAX_PAGE:
        raise ButtonValueError(_STALE)
    if type(version) is not int or version != VERSION:  # True == 1, so check the type
        raise ButtonValueError(_STALE)
    if not isinstance(text, str) or len(text) > MAX_QUERY_LENGTH:
        raise ButtonValueError(_STALE)
    if token is not None and not (isinstance(token, str) and token):
        raise ButtonValueError(_STALE)
    try:
        query = parse(text)
    except FilterError as error:
        raise ButtonValueError(f"This button's query is not valid: {error.message}") from error
    if query.action == "help" or ((token is not None or page > 1) and query.action != "list"):
        raise ButtonValueError(_STALE)
    if until is not None:
        if type(until) is not int or not _EPOCHS[0] <= until <= _EPOCHS[1] or not query.since:
            raise ButtonValueError(_STALE)
        query = replace(query, until=datetime.fromtimestamp(until, UTC))
    if type(ice_page) is not int or type(skip) is not int:
        raise ButtonValueError(_STALE)
    if (ice_page, skip) != (1, 0) and not (
        until is not None and 1 <= ice_page <= MAX_PAGE and 0 <= skip < 100
    ):
        raise ButtonValueError(_STALE)
    if cursors is not None and (query.region != ALL_REGIONS or token is not None):
        raise ButtonValueError(_STALE)
    return Decoded(query, token, page, ice_page, skip, cursors)


def again(where: Decoded) -> str:
    """The value that leads to the same page again (Refresh, Back to list)."""
    return encode(
        where.query,
        where.token,
        where.page,
        ice_page=where.ice_page,
        skip=where.skip,
        cursors=where.cursors,
    )


def _cursors(value: Any) -> dict[str, tuple[int, int]] | None:
    """``{"cn-shanghai": [2, 3], …}``, each region known and each place in bounds."""
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > len(REGIONS):
        raise ButtonValueError(_STALE)
    places: dict[str, tuple[int, int]] = {}
    for region, place in value.items():
        if (
            region not in REGIONS
            or not isinstance(place, list)
            or len(place) != 2
            or not all(type(n) is int for n in place)
            or not (1 <= place[0] <= MAX_PAGE and 0 <= place[1] < 100)
        ):
            raise ButtonValueError(_STALE)
        places[region] = (place[0], place[1])
    return places


def show_failed(window: timedelta, region: str | None, until: datetime | None = None) -> str:
    """The digest's "Show failed jobs" button: the failed jobs of the digest's own window
    (``until`` its end), or of the last ``window`` when there is no end."""
    return encode(Query(state=JobState.FAILED, since=window, region=region, until=until))


# --- the Details control ---------------------------------------------------------------------

MAX_OPTION_VALUE = 150  # Slack's limit on an overflow option's value
MAX_BLOCK_ID = 255


def details_value(job_id: str, region: str | None) -> str | None:
    """``{"j":"<JobId>","r":"cn-beijing"}``, or None for an id no control can carry."""
    try:
        job_id = filters.job_id(job_id)
    except FilterError:
        return None
    value = _dumps({"j": job_id, **({"r": region} if region else {})})
    return value if len(value) <= MAX_OPTION_VALUE else None


def decode_details(value: str) -> tuple[str, str | None]:
    """(job id, region or None) from a Details control; ButtonValueError for anything else."""
    try:
        data = (
            json.loads(value) if isinstance(value, str) and len(value) <= MAX_OPTION_VALUE else None
        )
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not set(data) <= {"j", "r"}:
        raise ButtonValueError(_STALE)
    job, region = data.get("j"), data.get("r")
    if not isinstance(job, str) or details_value(job, None) is None:
        raise ButtonValueError(_STALE)
    if region is not None and (not isinstance(region, str) or region not in REGIONS):
        raise ButtonValueError(_STALE)
    return job, region


def details_block_id(index: int, back: str | None) -> str:
    """A job section's block id: unique in its message, carrying the way back to the page
    (an ephemeral message's own blocks do not come back with a click)."""
    block_id = f"d{index}|{back or ''}"
    return block_id if len(block_id) <= MAX_BLOCK_ID else f"d{index}|"


def back_of(block_id: str) -> str | None:
    """The page a Details control's section came from (a button value), if it carried one."""
    _, sep, back = (block_id or "").partition("|")
    return back if sep and back else None
