"""``GetSmartHandleJob``: one stored job's details as the service would answer them (pure).

Built from the job as the list serves it, so the two answers never disagree: the same
title, type, times and state (odd values included: an untidy job stays untidy here). What
the list does not carry is made up deterministically per job and seed: a failed job's
``ErrorCode``/``ErrorMessage`` (a handful of plausible pairs per job type), a finished
job's ``JobResult`` (media id and URL, subtitles as an ``AiResult`` for ASR-like jobs, token
``Usage`` for translations) and its ``Output``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from bot.ice._enums import WIRE_TIME, JobState, JobType
from bot.ice.emulator._errors import ApiError

QUERYABLE_FOR: Final = timedelta(days=365)
"""The service: "only jobs created within the past year can be queried"."""

Failure = tuple[str, str]
"""An ``ErrorCode`` and its ``ErrorMessage``."""

_NO_INPUT: Final = (
    "InvalidInput.NotExist",
    "The input file does not exist or cannot be read: {input}",
)
FAILURES: Final[Mapping[str, tuple[Failure, ...]]] = {
    JobType.ASR: (
        _NO_INPUT,
        ("InvalidInput.NoAudioStream", "The input media has no audio stream."),
        ("ASR.NoSpeechDetected", "No speech was recognized in the audio."),
        ("InvalidParameter.Language", "The specified recognition language is not supported."),
        ("Media.DecodeFailed", "Failed to decode the input media: the file may be corrupt."),
    ),
    JobType.DYNAMIC_CHART: (
        _NO_INPUT,
        ("InvalidInput.DataFormat", "The chart data could not be parsed: expected a CSV header."),
        ("InvalidParameter.ChartType", "The specified chart type is not supported."),
        ("Render.Failed", "Rendering the chart video failed."),
    ),
    JobType.VIDEO_TRANSLATION: (
        _NO_INPUT,
        ("ASR.NoSpeechDetected", "No speech was recognized in the source video."),
        ("InvalidParameter.TargetLanguage", "The specified target language is not supported."),
        ("VoiceClone.AudioTooShort", "Voice cloning needs at least 10 seconds of clear speech."),
        ("Job.Timeout", "The job did not finish within 24 hours and was stopped."),
    ),
    JobType.TEXT_TO_SPEECH: (
        _NO_INPUT,
        ("InvalidInput.TextTooLong", "The text is longer than the 100,000 characters allowed."),
        ("InvalidParameter.Voice", "The specified voice does not exist."),
        ("TTS.SynthesisFailed", "Speech synthesis failed: try again later."),
    ),
}
"""Per job type, the failures a job of that type is given (one per job, seeded)."""
_ANY_TYPE: Final = (_NO_INPUT, ("InternalError", "The job failed because of an internal error."))

_SUBTITLES: Final = (
    "Welcome everyone, let's get started.",
    "Here are this week's numbers.",
    "欢迎大家参加本次会议。",
    "Any questions before we wrap up?",
    "The launch moves to next Tuesday.",
    "谢谢大家。",
)


def job_key(value: Any) -> str | None:
    """What a JobId is looked up by: its text (the list may send a number; the client asks
    for the text it read)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value) or None
    return None


def find_job(jobs: Sequence[Any], job_id: str) -> dict[str, Any] | None:
    for job in jobs:
        if isinstance(job, dict) and job_key(job.get("JobId")) == job_id:
            return job
    return None


def created_at(job: Mapping[str, Any]) -> datetime | None:
    """The job's creation time, from its ``CreateTime`` however it is written; None when the
    value tells no time (the job then counts as recent)."""
    value = job.get("CreateTime")
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value >= 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, WIRE_TIME)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def failure_of(job: Mapping[str, Any], *, seed: int) -> Failure:
    """The job's own ``ErrorCode``/``ErrorMessage``: the same for the same job and seed."""
    choices = FAILURES.get(str(job.get("JobType")), _ANY_TYPE)
    code, message = _rng(seed, job, "failure").choice(choices)
    return code, message.replace("{input}", _input_file(job) or "(none)")


def _rng(seed: int, job: Mapping[str, Any], purpose: str) -> random.Random:
    return random.Random(f"smartjobs-{purpose}:{seed}:{job_key(job.get('JobId'))}")  # noqa: S311


def _input_file(job: Mapping[str, Any]) -> str | None:
    config = job.get("InputConfig")
    value = config.get("InputFile") if isinstance(config, dict) else None
    return value if isinstance(value, str) else None


def _media_id(seed: int, job: Mapping[str, Any]) -> str:
    return hashlib.sha256(f"media:{seed}:{job_key(job.get('JobId'))}".encode()).hexdigest()[:32]


def _media_url(job: Mapping[str, Any], region: str) -> str | None:
    config = job.get("OutputConfig")
    if not isinstance(config, dict):
        return None
    bucket, key = config.get("Bucket"), config.get("Object")
    if not isinstance(bucket, str) or not isinstance(key, str):
        return None
    return f"https://{bucket}.oss-{region}.aliyuncs.com/{key}"


def _subtitles(rng: random.Random) -> list[dict[str, Any]]:
    begin, lines = 0, []
    for text in rng.sample(_SUBTITLES, rng.randrange(2, len(_SUBTITLES) + 1)):
        end = begin + rng.randrange(1200, 6000)
        lines.append({"Text": text, "BeginTime": begin, "EndTime": end})
        begin = end + rng.randrange(100, 900)
    return lines


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _result(job: Mapping[str, Any], *, seed: int, region: str) -> dict[str, Any]:
    rng = _rng(seed, job, "result")
    result: dict[str, Any] = {"MediaId": _media_id(seed, job)}
    url = _media_url(job, region)
    if url is not None:
        result["MediaUrl"] = url
    job_type = job.get("JobType")
    if job_type == JobType.ASR:
        result["AiResult"] = _compact({"Sentences": _subtitles(rng)})
    elif job_type == JobType.VIDEO_TRANSLATION:
        result["AiResult"] = _compact({"SubtitleTranslate": _subtitles(rng)})
        tokens = rng.randrange(800, 40_000)
        result["Usage"] = _compact({"total_tokens": tokens, "prompt_tokens": tokens * 2 // 3})
    return result


def _info(job: Mapping[str, Any]) -> dict[str, Any]:
    """``SmartJobInfo``: the job's own fields, as they are (``UserId`` as a string when it is
    the integer the list sends: that is the only change the service's model makes)."""
    info = {
        name: job[name]
        for name in ("Title", "Description", "UserId", "JobType", "CreateTime", "ModifiedTime")
        if name in job
    }
    user_id = info.get("UserId")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        info["UserId"] = str(user_id)
    if "InputConfig" in job:  # GetSmartHandleJob's InputConfig has only InputFile
        config = job["InputConfig"]
        if isinstance(config, dict):
            config = {name: config[name] for name in ("InputFile",) if name in config}
        info["InputConfig"] = config
    if "OutputConfig" in job:
        info["OutputConfig"] = job["OutputConfig"]
    return info


def details_body(
    job: Mapping[str, Any],
    *,
    seed: int,
    region: str,
    failure: Failure | None = None,
) -> dict[str, Any]:
    """The success body without ``RequestId``; ``failure`` overrides a failed job's own."""
    state = job.get("JobState")
    body: dict[str, Any] = {"JobId": job.get("JobId")}
    if "JobState" in job:
        body["State"] = state
    if state == JobState.FAILED:
        body["ErrorCode"], body["ErrorMessage"] = failure or failure_of(job, seed=seed)
        body["Output"] = "{}"
    elif state == JobState.FINISHED:
        result = _result(job, seed=seed, region=region)
        body["JobResult"] = result
        body["Output"] = _compact({k: v for k, v in result.items() if k in ("MediaId", "MediaUrl")})
    if "UserData" in job:
        body["UserData"] = job["UserData"]
    body["SmartJobInfo"] = _info(job)
    return body


def requested_job(params: Mapping[str, str]) -> str:
    """The ``JobId`` parameter, or the refusal the service sends without one."""
    job_id = params.get("JobId", "")
    if not job_id:
        raise ApiError(
            "MissingParameter",
            "The input parameter JobId that is mandatory for processing this request is not "
            "supplied.",
        )
    return job_id


def not_found(job_id: str) -> ApiError:
    """One answer for an id that never existed and for a job older than a year: the service
    cannot tell them apart either (it keeps only the past year queryable)."""
    return ApiError("ResourceNotFound", f"The specified job {job_id[:64]} does not exist.")


def answer(
    jobs: Sequence[Any],
    params: Mapping[str, str],
    *,
    now: datetime,
    seed: int,
    region: str,
    failures: Mapping[str, Failure] | None = None,
) -> dict[str, Any]:
    """The GetSmartHandleJob success body (without ``RequestId``), or :class:`ApiError`."""
    job_id = requested_job(params)
    job = find_job(jobs, job_id)
    if job is None:
        raise not_found(job_id)
    created = created_at(job)
    if created is not None and now - created > QUERYABLE_FOR:
        raise not_found(job_id)
    return details_body(job, seed=seed, region=region, failure=(failures or {}).get(job_id))
