"""Deterministic, wire-shaped smart jobs for the emulator (pure: no I/O, no clock unless asked).

The same ``seed``, ``count`` and ``now`` always give the same jobs, so tests,
benchmarks and the demo can name exact expectations. Awkward values that break
naive renderers (mentions, mrkdwn, RTL, missing fields, invalid JSON) are mixed
in on purpose.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.ice._enums import WIRE_TIME, JobState, JobType
from bot.ice._regions import DEFAULT_REGION

WINDOW = timedelta(days=7)
USER_IDS = (1084506228123456, 1084506228654321)
BUCKETS = ("media-prod-sh", "media-archive-sh", "ice-output-sh")

_TITLES: dict[JobType, tuple[str, ...]] = {
    JobType.ASR: (
        "Subtitles for product launch keynote",
        "Weekly all-hands transcript",
        "Customer interview #{n}",
        "Podcast episode {n} captions",
        "会议纪要 语音转写 {n}",
        "Support call recording {n}",
    ),
    JobType.DYNAMIC_CHART: (
        "Q{q} revenue bar chart race",
        "Daily active users trend",
        "Regional sales animation {n}",
        "销售数据动态图表 {n}",
    ),
    JobType.VIDEO_TRANSLATION: (
        "Translate onboarding video to English",
        "Product demo zh→en #{n}",
        "Training course lesson {n} (ja)",
        "Marketing teaser dub {n}",
    ),
    JobType.TEXT_TO_SPEECH: (
        "Narration for tutorial {n}",
        "Audiobook chapter {n}",
        "IVR greeting update",
        "新闻播报 {n}",
    ),
}

_DESCRIPTIONS = (
    "Requested by the content team.",
    "Re-run after source file was replaced.",
    "Batch import from the media library.",
    "Scheduled nightly job.",
    "",
)

_MEDIA_EXT: dict[JobType, str] = {
    JobType.ASR: "mp4",
    JobType.DYNAMIC_CHART: "csv",
    JobType.VIDEO_TRANSLATION: "mp4",
    JobType.TEXT_TO_SPEECH: "txt",
}

_OUTPUT_EXT: dict[JobType, str] = {
    JobType.ASR: "json",
    JobType.DYNAMIC_CHART: "mp4",
    JobType.VIDEO_TRANSLATION: "mp4",
    JobType.TEXT_TO_SPEECH: "mp3",
}

_KEYWORDS = ("launch", "finance", "onboarding", "客服", "")

_INVALID_USER_DATA = ('{"trace": 42', "not json at all", "{'single': 'quotes'}", "[1, 2,")

LONG_TITLE = ("Very long title for a smart job that keeps going " * 8).strip()

# Each awkward case edits one job in place; the names make test failures readable.
Awkward = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Awkward:
    def edit(job: dict[str, Any]) -> None:
        job[key] = value

    return edit


def _drop(key: str) -> Awkward:
    def edit(job: dict[str, Any]) -> None:
        job.pop(key, None)

    return edit


AWKWARD_CASES: dict[str, Awkward] = {
    "long_title": _set("Title", LONG_TITLE),
    "channel_ping": _set("Title", "<!channel> deploy finished, please check"),
    "here_ping": _set("Title", "<!here> urgent re-run"),
    "user_mention": _set("Title", "<@U123> please review this transcript"),
    "ampersand": _set("Title", "Q&A session & follow-ups <b>"),
    "mrkdwn": _set("Title", "*bold* _italic_ ~strike~ `code` ```block```"),
    "link_injection": _set("Title", "<https://evil.example|click me> now"),
    "emoji": _set("Title", "🎬 Launch recap 🚀 👩🏽‍💻"),
    "rtl_arabic": _set("Title", "تفريغ صوتي لاجتماع الفريق"),
    "rtl_hebrew": _set("Title", "תמלול פגישה שבועית"),
    "newline": _set("Title", "first line\nsecond line\ttabbed"),
    "script_tag": _set("Title", "<script>alert(1)</script>"),
    "whitespace_title": _set("Title", "   "),
    "empty_title": _set("Title", ""),
    "missing_title": _drop("Title"),
    "missing_description": _drop("Description"),
    "missing_input": _drop("InputConfig"),
    "missing_output": _drop("OutputConfig"),
    "invalid_user_data": _set("UserData", _INVALID_USER_DATA[0]),
    "invalid_editing_config": _set("EditingConfig", "{not-json"),
    "long_description": _set("Description", "Δ" * 2000),
}


def wire_time(moment: datetime) -> str:
    """The service's timestamp format: UTC, seconds, trailing ``Z``."""
    return moment.astimezone(UTC).strftime(WIRE_TIME)


def _pick_state(rng: random.Random, age: timedelta) -> JobState:
    """Old jobs are done; only recent ones are still queued or running (as in production)."""
    roll = rng.random()
    if roll < 0.10:
        return JobState.FAILED
    if age < timedelta(hours=6):
        if roll < 0.25:
            return JobState.EXECUTING
        if roll < 0.35:
            return JobState.CREATED
    elif roll < 0.13:
        return JobState.EXECUTING
    elif roll < 0.15:
        return JobState.CREATED
    return JobState.FINISHED


def _editing_config(rng: random.Random, job_type: JobType) -> str:
    config: dict[str, Any]
    if job_type is JobType.ASR:
        config = {"Language": rng.choice(["zh-CN", "en-US", "ja-JP"]), "SpeakerDiarization": True}
    elif job_type is JobType.DYNAMIC_CHART:
        config = {"ChartType": rng.choice(["bar", "line", "pie"]), "Theme": "dark", "Fps": 30}
    elif job_type is JobType.VIDEO_TRANSLATION:
        config = {
            "SourceLanguage": "zh",
            "TargetLanguage": rng.choice(["en", "ja", "es"]),
            "SubtitleConfig": {"Type": "SubtitleTranslate"},
        }
    else:
        config = {"Voice": rng.choice(["zhixiaobai", "aida", "ava"]), "Format": "mp3", "Speed": 0}
    return json.dumps(config, separators=(",", ":"), ensure_ascii=False)


def _user_data(rng: random.Random, job_id: str) -> str | None:
    roll = rng.random()
    if roll < 0.2:
        return None
    if roll < 0.25:
        return rng.choice(_INVALID_USER_DATA)
    return json.dumps({"NotifyAddress": "https://hooks.example.com/ice", "trace": job_id[:8]})


def _job(rng: random.Random, index: int, job_id: str, now: datetime, region: str) -> dict[str, Any]:
    job_type = list(JobType)[index] if index < 4 else rng.choice(list(JobType))
    created = now - timedelta(seconds=rng.randrange(1, int(WINDOW.total_seconds())))
    state = list(JobState)[index] if index < 4 else _pick_state(rng, now - created)
    if state is JobState.CREATED:
        modified = created
    else:
        modified = min(now, created + timedelta(seconds=rng.randrange(5, 2400)))
    return build_job(rng, job_id, job_type, state, created, modified, region=region)


def build_job(
    rng: random.Random,
    job_id: str,
    job_type: JobType,
    state: JobState,
    created: datetime,
    modified: datetime,
    *,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """One wire-shaped job of that type and state; titles, configs and files drawn from ``rng``."""
    title = rng.choice(_TITLES[job_type]).format(n=rng.randrange(1, 400), q=rng.randrange(1, 5))
    bucket = rng.choice(BUCKETS)
    day = created.strftime("%Y/%m/%d")
    job: dict[str, Any] = {
        "JobId": job_id,
        "Title": title,
        "Description": rng.choice(_DESCRIPTIONS),
        "UserId": rng.choice(USER_IDS),
        "JobType": job_type.value,
        "EditingConfig": _editing_config(rng, job_type),
        "UserData": _user_data(rng, job_id),
        "JobState": state.value,
        "CreateTime": wire_time(created),
        "ModifiedTime": wire_time(modified),
        "InputConfig": {
            "InputFile": f"oss://{bucket}.oss-{region}.aliyuncs.com/uploads/{day}/"
            f"{job_id[:12]}.{_MEDIA_EXT[job_type]}",
            "Keyword": rng.choice(_KEYWORDS),
        },
        "OutputConfig": {
            "Bucket": "ice-output-sh",
            "Object": f"output/{job_type.value.lower()}/{job_id}.{_OUTPUT_EXT[job_type]}",
        },
    }
    return {k: v for k, v in job.items() if v is not None}


def new_job_id(rng: random.Random, taken: set[str]) -> str:
    """A JobId as ICE writes them (32 hex digits) that is not in ``taken``; added to it."""
    while True:
        candidate = f"{rng.getrandbits(128):032x}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _unique_ids(rng: random.Random, count: int) -> list[str]:
    taken: set[str] = set()
    return [new_job_id(rng, taken) for _ in range(count)]


def newest_first(jobs: list[Any]) -> list[Any]:
    """Sort by CreateTime descending (wire format sorts as text); ties keep their order.

    Entries that are not objects, or have no CreateTime, sort last.
    """
    return sorted(
        jobs,
        key=lambda job: str(job.get("CreateTime", "")) if isinstance(job, dict) else "",
        reverse=True,
    )


def generate_jobs(
    *, count: int = 500, seed: int = 7, now: datetime | None = None, region: str = DEFAULT_REGION
) -> list[dict[str, Any]]:
    """``count`` wire-shaped jobs created over the 7 days before ``now``, newest first, their
    files in ``region``'s OSS.

    The first four generated jobs cover every type and every state, so even a
    tiny dataset can be filtered on each; awkward cases land on seeded positions
    (all of them once ``count`` is at least twice their number).
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    rng = random.Random(f"smartjobs-emulator:{seed}")  # noqa: S311  (test data, not crypto)
    ids = _unique_ids(rng, count)
    jobs = [_job(rng, index, job_id, moment, region) for index, job_id in enumerate(ids)]
    slots = rng.sample(range(4, count), min(len(AWKWARD_CASES), max(0, count - 4) // 2))
    for slot, edit in zip(slots, AWKWARD_CASES.values(), strict=False):
        edit(jobs[slot])
    return newest_first(jobs)
