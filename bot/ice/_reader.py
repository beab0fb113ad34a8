"""The tolerant reader: ``ListSmartJobs`` and ``GetSmartHandleJob`` bodies as ICE really
sends them, field by field.

ICE's references disagree on types and the official SDK keeps every value as it came,
so one odd value must cost that field, never the job or the page. Pure: decoded JSON in,
:class:`~bot.ice.SmartJobPage` out (and, through :mod:`bot.ice._job_details`, a
:class:`~bot.ice.SmartHandleJob`), no I/O, never raises on a value.

A value is *degraded* when it was not of the documented type or format and was read as
something sensible instead; its wire name goes into ``SmartJob.degraded`` (nested ones
dotted, ``InputConfig.InputFile``) and the page counts them. Null, absent and ``""``
mean "not set": None, not degraded.

=========================  ==============================================  =========
field                      value as it came → as read                      degraded
=========================  ==============================================  =========
any text field             string → itself                                 no
(JobId, Title,             number → its JSON text (``12`` → ``"12"``);     yes
Description, nested        bool → ``"true"``/``"false"``; NaN/±inf → None
InputFile, Keyword,        object or array → None                          yes
Bucket, Object)            longer than 10 000 characters → cut to them     yes
                           unpaired surrogates → U+FFFD (not UTF-8 able)   yes
EditingConfig, UserData    string → itself, parsed or not                  no
                           (``editing_config_json`` is None if it is not)
                           object or array → its compact JSON text         yes
                           number or bool → its JSON text                  yes
                           longer than 100 000 characters → cut            yes
UserId                     integer → its digits; string (masked            no
                           ``"1084506228******"`` too) → itself
                           integral float → its digits                     yes
                           anything else → None                            yes
JobType, JobState          a known wire string → the enum                  no
                           any other string → kept as it came              no
                           number → its text; object/array → None          yes
CreateTime, ModifiedTime   ISO 8601: ``Z``, offsets, fractions, a space    no
                           for ``T``, basic format; naive → UTC
                           epoch number, or a digit string (seconds, or    yes
                           milliseconds from 10^11 on) → that instant
                           anything else, or a time so close to            yes
                           datetime's limits that some time zone could
                           not show it (year 1, year 9999) → None
InputConfig, OutputConfig  object → read by the rules above                no
                           string holding a JSON object → that object      yes
                           other string: InputConfig → ``InputFile``;      yes
                           OutputConfig → None
                           number, bool, array → None                      yes
SmartJobList               absent or null → no jobs                        no
                           not an array → no jobs                          yes
                           an entry that is not an object → skipped,       (counted
                           counted in ``unreadable``                       apart)
NextToken                  string → itself; ``""`` → None (last page)      no
                           number → its text                               yes
                           other, or longer than 10 000 → None             yes
MaxResults, TotalCount     integer ≥ 0, or a digit string → int            no
                           anything else → None                            yes
RequestId                  string → itself; anything else → None           yes
=========================  ==============================================  =========

``GetSmartHandleJob`` (:mod:`bot.ice._job_details`) by the same rules, field for field:

=========================  ==============================================  =========
field                      read as                                         degraded
=========================  ==============================================  =========
JobId, ErrorCode,          any text field                                  as there
ErrorMessage, and in
JobResult MediaId,
MediaUrl
State                      JobState                                        as there
Output, UserData, and in   EditingConfig                                   as there
JobResult AiResult, Usage
JobResult, SmartJobInfo    object → read field by field                    no
                           string holding a JSON object → that object      yes
                           anything else → None                            yes
SmartJobInfo's fields      a ``SmartJobList`` entry's (``UserId`` is a     as there
                           string here, an integer there: both read)
RequestId                  as in a page                                    as there
=========================  ==============================================  =========

Degraded names are dotted from the body (``SmartJobInfo.Title``, ``JobResult.Usage``,
``SmartJobInfo.InputConfig.InputFile``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from bot.ice._enums import JobState, JobType
from bot.ice._models import InputConfig, OutputConfig, SmartJob, SmartJobPage

TEXT_LIMIT: Final = 10_000
"""Characters kept of a text field: far above any real title, well below harm."""
JSON_TEXT_LIMIT: Final = 100_000
"""Characters kept of ``EditingConfig`` / ``UserData``, which hold whole configurations."""
_TIME_TEXT_LIMIT: Final = 64  # no ISO 8601 stamp is longer; longer text is not tried
_EPOCH_MS_FROM: Final = 10**11  # as seconds that is the year 5138: larger means milliseconds
_EARLIEST: Final = datetime(1, 1, 2, tzinfo=UTC)  # a day inside datetime's range, so that
_LATEST: Final = datetime(9999, 12, 30, tzinfo=UTC)  # every time zone can still show it

JOB_TYPES: Final[Mapping[str, JobType]] = {member.value: member for member in JobType}
JOB_STATES: Final[Mapping[str, JobState]] = {member.value: member for member in JobState}

Notes = list[str]
"""Wire names of the fields degraded so far (one job's, or the page's own)."""

_Choice = TypeVar("_Choice", bound=StrEnum)


# -- single values ---------------------------------------------------------------------------


def _scalar_text(value: Any) -> str | None:
    """A number's or bool's JSON text; None for NaN, infinities and other types."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than int->str allows
            return None
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return None


def _encodable(value: str) -> bool:
    """False for text with unpaired surrogates, which no UTF-8 writer (Slack, logs) accepts."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _clean(value: str, name: str, notes: Notes, limit: int) -> str:
    """Cut to ``limit``; unpaired surrogates become U+FFFD."""
    degraded = len(value) > limit
    value = value[:limit]
    if not value.isascii() and not _encodable(value):
        degraded = True
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if degraded:
        notes.append(name)
    return value


def read_text(value: Any, name: str, notes: Notes, limit: int = TEXT_LIMIT) -> str | None:
    if isinstance(value, str):
        if not value:
            return None
        if len(value) <= limit and value.isascii():
            return value  # the common case, in one check
        return _clean(value, name, notes, limit)
    if value is None:
        return None
    notes.append(name)
    return _scalar_text(value)


def read_json_text(value: Any, name: str, notes: Notes) -> str | None:
    """``EditingConfig``/``UserData``: JSON strings; an object or array reads well as JSON."""
    if isinstance(value, dict | list):
        notes.append(name)
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError):
            return None
        return _clean(text, name, [], JSON_TEXT_LIMIT) or None
    return read_text(value, name, notes, JSON_TEXT_LIMIT)


def read_user_id(value: Any, notes: Notes) -> str | None:
    """Always the string form: an integer in ListSmartJobs, a (masked) string elsewhere."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = _scalar_text(value)
        if text is None:
            notes.append("UserId")
        return text
    if isinstance(value, str) or value is None:
        return read_text(value, "UserId", notes)
    notes.append("UserId")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return None


def read_choice(
    value: Any, known: Mapping[str, _Choice], name: str, notes: Notes
) -> _Choice | str | None:
    """A known wire string becomes its enum; a string the service adds later stays a str."""
    if isinstance(value, str):
        member = known.get(value)
        if member is not None:
            return member
    return read_text(value, name, notes)


def _safe(moment: datetime) -> datetime | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the service writes UTC; never local time
    if 1 < moment.year < 9999:  # a year from datetime's limits: every zone can show it
        return moment
    return moment if _EARLIEST <= moment <= _LATEST else None


def _from_epoch(number: float) -> datetime | None:
    if not math.isfinite(number):
        return None
    seconds = number / 1000 if abs(number) >= _EPOCH_MS_FROM else number
    try:
        return _safe(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    tidy = text.strip().upper()  # " …z" from a hand-written stamp
    try:
        return datetime.fromisoformat(tidy)
    except ValueError:
        return None


def read_time(value: Any, name: str, notes: Notes) -> datetime | None:
    """An aware datetime; naive stamps are UTC. Epoch numbers are read, but noted."""
    if isinstance(value, str):
        if not value:
            return None
        if len(value) <= _TIME_TEXT_LIMIT:
            moment = _parse_time(value)
            if moment is not None:
                safe = _safe(moment)
                if safe is None:
                    notes.append(name)
                return safe
            digits = value.strip()
            if digits.isascii() and digits.isdigit():
                notes.append(name)
                return _from_epoch(int(digits))
        notes.append(name)
        return None
    if value is None:
        return None
    notes.append(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an int too large for a float
            return None
    return None


def read_request_id(value: Any, notes: Notes) -> str | None:
    """``RequestId``: only a string is one (a number is no id to quote to support)."""
    if not isinstance(value, str) and value is not None:
        notes.append("RequestId")
        return None
    return read_text(value, "RequestId", notes)


def read_count(value: Any, name: str, notes: Notes) -> int | None:
    """``MaxResults``/``TotalCount``: strings on the wire, integers in the reference."""
    if isinstance(value, str):
        digits = value.strip()
        if not digits:
            return None
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(digits)
    elif value is None:
        return None
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    notes.append(name)
    return None


def read_token(value: Any, notes: Notes) -> str | None:
    """``NextToken``; empty means there is no next page. A token is never cut: it would break."""
    if isinstance(value, str):
        if not value:
            return None
        if len(value) <= TEXT_LIMIT and (value.isascii() or _encodable(value)):
            return value
    elif value is None:
        return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        notes.append("NextToken")
        return _scalar_text(value)
    notes.append("NextToken")
    return None


# -- nested objects ----------------------------------------------------------------------------


def read_object(value: Any, name: str, notes: Notes) -> Mapping[str, Any] | str | None:
    """A nested object; a string holding one as JSON gives that object, another string
    comes back as itself (both noted); anything else is None (noted unless unset)."""
    if value.__class__ is dict or isinstance(value, Mapping):
        return value
    if value is None or value == "":
        return None
    notes.append(name)
    if not isinstance(value, str):
        return None
    if not value.lstrip().startswith("{"):
        return value
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return value
    return parsed if isinstance(parsed, dict) else value


def read_input_config(value: Any, notes: Notes) -> InputConfig | None:
    found = read_object(value, "InputConfig", notes)
    if isinstance(found, str):  # a bare path is the input file, the field's whole point
        return InputConfig(input_file=read_text(found, "InputConfig", []))
    if found is None:
        return None
    return InputConfig(
        read_text(found.get("InputFile"), "InputConfig.InputFile", notes),
        read_text(found.get("Keyword"), "InputConfig.Keyword", notes),
    )


def read_output_config(value: Any, notes: Notes) -> OutputConfig | None:
    found = read_object(value, "OutputConfig", notes)
    if found is None or isinstance(found, str):
        return None
    return OutputConfig(
        read_text(found.get("Bucket"), "OutputConfig.Bucket", notes),
        read_text(found.get("Object"), "OutputConfig.Object", notes),
    )


# -- a job, a page ---------------------------------------------------------------------------


def read_job(entry: Mapping[str, Any]) -> SmartJob:
    """One ``SmartJobList`` entry; every field read on its own."""
    notes: Notes = []
    get = entry.get
    job_id = read_text(get("JobId"), "JobId", notes)
    title = read_text(get("Title"), "Title", notes)
    description = read_text(get("Description"), "Description", notes)
    user_id = read_user_id(get("UserId"), notes)
    job_type = read_choice(get("JobType"), JOB_TYPES, "JobType", notes)
    job_state = read_choice(get("JobState"), JOB_STATES, "JobState", notes)
    editing_config = read_json_text(get("EditingConfig"), "EditingConfig", notes)
    user_data = read_json_text(get("UserData"), "UserData", notes)
    create_time = read_time(get("CreateTime"), "CreateTime", notes)
    modified_time = read_time(get("ModifiedTime"), "ModifiedTime", notes)
    input_config = read_input_config(get("InputConfig"), notes)
    output_config = read_output_config(get("OutputConfig"), notes)
    return SmartJob(  # positional: a frozen dataclass pays per keyword
        job_id,
        title,
        description,
        user_id,
        job_type,
        job_state,
        editing_config,
        user_data,
        create_time,
        modified_time,
        input_config,
        output_config,
        tuple(notes),
        entry,
    )


def read_page(body: Mapping[str, Any]) -> SmartJobPage:
    """A whole success body. Only a body that is not a mapping raises (``TypeError``)."""
    if not isinstance(body, Mapping):
        raise TypeError(f"a ListSmartJobs body is a JSON object, not {type(body).__name__}")
    notes: Notes = []
    entries = body.get("SmartJobList")
    jobs: list[SmartJob] = []
    unreadable = 0
    if isinstance(entries, list | tuple):
        for entry in entries:
            if entry.__class__ is dict or isinstance(entry, Mapping):
                jobs.append(read_job(entry))
            else:
                unreadable += 1
    elif entries is not None:
        notes.append("SmartJobList")
    request_id = read_request_id(body.get("RequestId"), notes)
    next_token = read_token(body.get("NextToken"), notes)
    max_results = read_count(body.get("MaxResults"), "MaxResults", notes)
    total_count = read_count(body.get("TotalCount"), "TotalCount", notes)
    return SmartJobPage(
        request_id=request_id,
        smart_job_list=tuple(jobs),
        next_token=next_token,
        max_results=max_results,
        total_count=total_count,
        unreadable=unreadable,
        degraded=count_degraded(jobs, notes),
    )


def count_degraded(jobs: Iterable[SmartJob], page_level: Iterable[str]) -> dict[str, int]:
    """Field name -> how many values were degraded, over a page's jobs and its own fields."""
    counts: dict[str, int] = {}
    for name in page_level:
        counts[name] = counts.get(name, 0) + 1
    for job in jobs:
        for name in job.degraded:
            counts[name] = counts.get(name, 0) + 1
    return counts
