"""The digest's pure parts: streaming scan over hand-built pages, and its rendering."""

from __future__ import annotations

import gc
import json
import re
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.digest.scan import (
    MAX_EXTRA_STATES,
    MAX_EXTRA_TYPES,
    OTHER,
    DigestStats,
    build_digest,
    scan,
)
from bot.ice import IceAuthError, RepeatedTokenError, SmartJobPage, SortBy
from bot.render._digest import (
    SPARK,
    render_digest,
    render_digest_failure,
    sparkline,
    summary_line,
)
from bot.render._text import render_digest_text
from tests.slack_checks import assert_slack_safe

END = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
START = END - timedelta(hours=24)
WIRE = "%Y-%m-%dT%H:%M:%SZ"
HOSTILE = (
    "<!channel>",
    "<!here|here>",
    "<@U024BE7LH>",
    "<https://evil.example|click me>",
    "&lt;!channel&gt;",
    "a & b < c > d",
    "`code` *bold* _it_ ~strike~",
    "@channel @here",
    "\u202eevil\u202c",
    "line\nbreak\r\x00\x1b[31mred",
    "x" * 5000,
    "&" * 3000,
    "",
    "   ",
)


def wire(
    job_id: str,
    when: datetime | None,
    job_type: str | None = "ASR",
    state: str | None = "Finished",
    title: str | None = "a job",
) -> dict[str, Any]:
    job: dict[str, Any] = {"JobId": job_id, "Title": title}
    if job_type is not None:
        job["JobType"] = job_type
    if state is not None:
        job["JobState"] = state
    if when is not None:
        job["CreateTime"] = when.strftime(WIRE)
    return job


class Pages:
    """Newest-first pages built lazily from wire dicts; counts how many were pulled."""

    def __init__(self, jobs: list[dict[str, Any]], size: int = 100) -> None:
        self.jobs, self.size, self.pulled = jobs, size, 0

    def __iter__(self) -> Iterator[SmartJobPage]:
        for i in range(0, max(len(self.jobs), 1), self.size):
            self.pulled += 1
            more = i + self.size < len(self.jobs)
            yield SmartJobPage.from_wire(
                {
                    "RequestId": f"req-{i}",
                    "SmartJobList": self.jobs[i : i + self.size],
                    "NextToken": f"tok-{i + self.size}" if more else "",
                }
            )


def spaced(
    n: int, step: timedelta, start: datetime = END - timedelta(seconds=1), **kw: Any
) -> list[dict[str, Any]]:
    return [wire(f"job-{i}", start - step * i, **kw) for i in range(n)]


def run(pages: Any, max_pages: int = 50) -> DigestStats:
    return scan(pages, window_start=START, window_end=END, max_pages=max_pages)


# -- scan --------------------------------------------------------------------------------------


def test_scan_counts_a_known_dataset_exactly() -> None:
    types = ["ASR", "DynamicChart", "VideoTranslation", "TextToSpeech"]
    states = ["Finished", "Failed", "Executing", "Created", "Finished"]
    jobs = [
        wire(f"j{i}", END - timedelta(minutes=5 * i + 1), types[i % 4], states[i % 5])
        for i in range(250)
    ]  # 250 jobs over ~20.8 h: all in the window
    stats = run(Pages(jobs))
    assert stats.jobs == 250
    assert stats.pages == 3
    expected: dict[tuple[str, str], int] = {}
    for i in range(250):
        key = (types[i % 4], states[i % 5])
        expected[key] = expected.get(key, 0) + 1
    assert stats.counts == expected
    assert stats.failed == 50 == stats.count(state="Failed")
    assert sum(stats.failure_buckets) == 50
    assert len(stats.failure_buckets) == 24
    assert [f.job_id for f in stats.newest_failures] == ["j1", "j6", "j11", "j16", "j21"]
    assert stats.count("ASR") == sum(1 for i in range(250) if i % 4 == 0)
    assert not stats.truncated and stats.note is None


def test_scan_stops_consuming_at_the_first_older_job() -> None:
    inside = spaced(150, timedelta(minutes=9))  # 150 jobs over 22.35 h
    older = spaced(400, timedelta(minutes=1), start=START - timedelta(seconds=1))
    pages = Pages(inside + older)
    stats = run(pages)
    assert stats.jobs == 150
    assert pages.pulled == 2  # page 2 holds the edge; pages 3..6 never requested
    assert stats.pages == 2
    assert not stats.truncated


def test_the_window_is_half_open_and_newer_jobs_are_skipped() -> None:
    """``[start, end)``: a job created exactly at a boundary is in one digest, never two."""
    jobs = [
        wire("after-end", END + timedelta(seconds=1), state="Failed"),
        wire("at-end", END, state="Failed"),  # the next digest's, at its start
        wire("just-before-end", END - timedelta(seconds=1), state="Failed"),
        wire("middle", END - timedelta(hours=12)),
        wire("at-start", START, state="Failed"),
        wire("before-start", START - timedelta(seconds=1), state="Failed"),
        wire("never-reached", START + timedelta(hours=1), state="Failed"),  # out of order
    ]
    stats = run(Pages(jobs))
    assert stats.jobs == 3
    assert stats.skipped_newer == 2
    assert [f.job_id for f in stats.newest_failures] == ["just-before-end", "at-start"]
    assert stats.failure_buckets[0] == 1  # window start: first bucket
    assert stats.failure_buckets[-1] == 1  # just before the end: last bucket
    following = scan(
        Pages(jobs), window_start=END, window_end=END + timedelta(hours=24), max_pages=5
    )
    assert [f.job_id for f in following.newest_failures] == ["after-end", "at-end"]


def test_bound_hit_marks_truncated_and_makes_no_further_request() -> None:
    pages = Pages(spaced(1000, timedelta(seconds=30)))  # 10 full pages, all in the window
    stats = run(pages, max_pages=3)
    assert stats.truncated
    assert (stats.pages, stats.jobs, pages.pulled) == (3, 300, 3)
    message = render_digest(stats, region="cn-shanghai", show_failed_value="failed")
    assert "Counted the newest 300 jobs only" in json.dumps(message["blocks"])
    assert "(newest 300 jobs only)" in message["text"]
    assert "counted the newest 300 jobs only" in render_digest_text(stats, region="r")


def test_last_page_at_the_bound_is_not_truncation() -> None:
    pages = Pages(spaced(300, timedelta(seconds=30)))  # exactly 3 pages, the last without a token
    stats = run(pages, max_pages=3)
    assert stats.jobs == 300
    assert not stats.truncated


def test_repeated_token_ends_the_scan_with_a_note() -> None:
    def pages() -> Iterator[SmartJobPage]:
        for i in range(2):
            yield SmartJobPage.from_wire(
                {
                    "SmartJobList": spaced(
                        100, timedelta(seconds=1), END - timedelta(minutes=i * 5, seconds=1)
                    ),
                    "NextToken": "same",
                }
            )
        raise RepeatedTokenError("RepeatedNextToken", "again", request_id="RID-9")

    stats = run(pages())
    assert stats.jobs == 200
    assert stats.note is not None
    assert "RID-9" in stats.note and "incomplete" in stats.note
    blocks = json.dumps(render_digest(stats, region="r", show_failed_value="v")["blocks"])
    assert "page token" in blocks


def test_other_ice_errors_propagate() -> None:
    def pages() -> Iterator[SmartJobPage]:
        yield SmartJobPage.from_wire({"SmartJobList": spaced(3, timedelta(minutes=1))})
        raise IceAuthError("Forbidden.RAM", "no", request_id="R1")

    with pytest.raises(IceAuthError):
        run(pages())


@pytest.mark.parametrize(
    "jobs",
    [[], spaced(5, timedelta(minutes=1), start=START - timedelta(minutes=1))],
    ids=["no-jobs-at-all", "all-older"],
)
def test_an_empty_window_is_a_quiet_day(jobs: list[dict[str, Any]]) -> None:
    stats = run(Pages(jobs))
    assert stats.jobs == 0 and stats.failed == 0
    message = render_digest(stats, region="cn-shanghai", show_failed_value="failed")
    assert message["text"] == "Last 24 h: no jobs · cn-shanghai"
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "No jobs in the last 24 h" in text
    assert all(b["type"] != "actions" for b in message["blocks"])
    assert "No jobs in the last 24 h." in render_digest_text(stats, region="cn-shanghai")


def test_jobs_without_create_time_are_counted_but_not_bucketed() -> None:
    jobs = [
        wire("dated", END - timedelta(hours=1), state="Failed"),
        wire("undated-fail", None, state="Failed"),
        wire("undated-ok", None),
        wire("older", START - timedelta(hours=1), state="Failed"),
    ]
    stats = run(Pages(jobs))
    assert (stats.jobs, stats.failed, stats.undated) == (3, 2, 2)
    assert sum(stats.failure_buckets) == 1
    assert [f.job_id for f in stats.newest_failures] == ["dated", "undated-fail"]
    rendered = json.dumps(render_digest(stats, region="r", show_failed_value="v")["blocks"])
    assert "time unknown" in rendered
    assert "2 jobs had no creation time" in rendered


def test_unknown_types_and_states_are_kept_by_wire_string_within_a_bound() -> None:
    jobs = [wire("a", END - timedelta(minutes=1), "Dubbing", "Paused")]
    jobs += [
        wire(f"t{i}", END - timedelta(minutes=2 + i), f"NewType{i}", f"State{i}")
        for i in range(200)
    ]
    jobs.append(wire("none", END - timedelta(hours=5), None, None))
    stats = run(Pages(jobs))
    assert stats.count("Dubbing", "Paused") == 1
    assert stats.jobs == 202
    types = {t for t, _ in stats.counts}
    states = {s for _, s in stats.counts}
    assert len(types - {OTHER, "(none)"}) == MAX_EXTRA_TYPES
    assert len(states - {OTHER, "(none)"}) == MAX_EXTRA_STATES
    assert stats.count(OTHER) == 200 - (MAX_EXTRA_TYPES - 1)
    assert stats.job_types()[-2:] == ["(none)", OTHER]


def test_a_long_window_uses_at_most_48_buckets() -> None:
    stats = scan([], window_start=END - timedelta(days=7), window_end=END, max_pages=1)
    assert len(stats.failure_buckets) == 48
    assert stats.bucket_width == timedelta(hours=3.5)


def test_scan_rejects_naive_or_empty_windows() -> None:
    with pytest.raises(ValueError, match="aware"):
        scan([], window_start=START.replace(tzinfo=None), window_end=END, max_pages=1)
    with pytest.raises(ValueError, match="after"):
        scan([], window_start=END, window_end=END, max_pages=1)
    with pytest.raises(ValueError, match="max_pages"):
        scan([], window_start=START, window_end=END, max_pages=0)


def _synthetic(n: int) -> Iterator[SmartJobPage]:
    """``n`` jobs, 100 a page, built one page at a time (as the client would)."""
    step = timedelta(hours=24) / (n + 1)
    for first in range(0, n, 100):
        yield SmartJobPage.from_wire(
            {
                "SmartJobList": [
                    wire(
                        f"job-{i:06d}",
                        END - step * (i + 1),
                        ("ASR", "TextToSpeech")[i % 2],
                        ("Finished", "Failed", "Executing")[i % 3],
                        f"Title {i} " + "x" * 50,
                    )
                    for i in range(first, min(first + 100, n))
                ],
                "NextToken": f"t{first}" if first + 100 < n else "",
            }
        )


def _peak(n: int) -> tuple[int, DigestStats]:
    gc.collect()
    tracemalloc.start()
    try:
        stats = run(_synthetic(n), max_pages=1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, stats


def test_memory_does_not_grow_with_the_number_of_jobs() -> None:
    _peak(200)  # warm caches (pydantic, datetime parsing) outside the measurement
    small, small_stats = _peak(1_000)
    large, large_stats = _peak(20_000)
    assert (small_stats.jobs, large_stats.jobs) == (1_000, 20_000)
    assert large_stats.failed == 20_000 // 3 + (1 if 20_000 % 3 > 1 else 0)
    # 20x the jobs, same peak (one page at a time) within a small margin.
    assert large < small * 1.25 + 64 * 1024, (small, large)


# -- rendering ---------------------------------------------------------------------------------


def _stats_with(n_jobs: int, n_failed: int) -> DigestStats:
    jobs = [
        wire(
            f"j{i}",
            END - timedelta(seconds=60 * i + 30),
            state="Failed" if i < n_failed else "Finished",
        )
        for i in range(n_jobs)
    ]
    return run(Pages(jobs), max_pages=100)


def test_notification_text_has_thousands_separators() -> None:
    stats = _stats_with(1234, 37)
    assert summary_line(stats) == "Last 24 h: 1,234 jobs, 37 failed (3.0%)"
    message = render_digest(stats, region="cn-shanghai", show_failed_value="failed")
    assert message["text"] == "Last 24 h: 1,234 jobs, 37 failed (3.0%) · cn-shanghai"


def test_digest_blocks_have_the_summary_sparkline_failures_and_button() -> None:
    stats = _stats_with(300, 7)
    message = render_digest(stats, region="cn-shanghai", show_failed_value='{"q":"failed"}')
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    assert "cn-shanghai" in blocks[1]["elements"][0]["text"]
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*ASR* · 300 · 2.3% failed" in text
    assert ":white_check_mark: 293  :x: 7  :hourglass_flowing_sand: 0  :new: 0" in text
    (action,) = [b for b in blocks if b["type"] == "actions"]
    button = action["elements"][0]
    assert button["action_id"] == "show_failed"
    assert button["value"] == '{"q":"failed"}'
    assert "Newest 5 of 7 failures" in text
    assert text.count("{ago}") == 5
    spark = next(b for b in blocks if "Failures per hour" in b.get("text", {}).get("text", ""))
    line = re.search(r"`([▁-█]+)`", spark["text"]["text"])
    assert line is not None and len(line.group(1)) == 24
    assert line.group(1)[-1] == "█" and set(line.group(1)[:-1]) == {"▁"}


def test_sparkline_scales_to_the_max() -> None:
    assert sparkline([0] * 24) == "▁" * 24
    assert sparkline([0, 1, 7, 14]) == "▁▂▅█"
    assert sparkline([1, 1000]) == "▂█"  # non-zero never looks like zero
    assert len(sparkline([3] * 48)) == 48 and set(sparkline([3] * 48)) == {SPARK[-1]}


def test_a_day_without_failures_shows_a_flat_line_and_no_button() -> None:
    message = render_digest(_stats_with(40, 0), region="r", show_failed_value="v")
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "▁" * 24 in text
    assert "No failures in the last 24 h" in text
    assert "show_failed" not in text
    assert message["text"].startswith("Last 24 h: 40 jobs, 0 failed (0.0%)")


def test_hostile_titles_are_escaped_and_cannot_ping() -> None:
    jobs = [
        wire(f"<!channel>{i}`x", END - timedelta(minutes=i + 1), f"<!here>{i}", "Failed", title)
        for i, title in enumerate(HOSTILE)
    ]
    stats = run(Pages(jobs))
    message = render_digest(stats, region="<!everyone>", show_failed_value="v")
    _assert_slack_safe(message)
    assert "&lt;!channel&gt;" in json.dumps(message, ensure_ascii=False)
    terminal = render_digest_text(stats, region="r")
    assert "\x1b" not in terminal and "\x00" not in terminal and "\u202e" not in terminal


def test_text_rendering_in_a_time_zone() -> None:
    stats = _stats_with(10, 2)
    text = render_digest_text(stats, region="cn-shanghai", tz=ZoneInfo("Asia/Shanghai"))
    assert "Last 24 h: 2026-11-04 17:00 → 2026-11-05 17:00 CST" in text
    assert "10 jobs, 2 failed (20.0%)" in text
    assert re.search(r"^ASR\s+10\s+8\s+2\s+0\s+0\s+20\.0%$", text, re.MULTILINE)
    assert "2026-11-05 16:59 (0 s ago)" in text or "2026-11-05 16:59 (30 s ago)" in text


def test_failure_message_names_the_error_and_the_request_id() -> None:
    error = IceAuthError(
        "Forbidden.RAM", "User <!channel> not authorized & denied", request_id="RID-42"
    )
    message = render_digest_failure(error, region="cn-shanghai", window=timedelta(hours=24))
    assert message["text"] == (
        "The digest for the last 24 h could not be built: ICE error Forbidden.RAM (RequestId RID-42)"
    )
    body = message["blocks"][0]["text"]["text"]
    assert "`RID-42`" in body and "infra/ram-policy.json" in body
    assert "&lt;!channel&gt; not authorized &amp; denied" in body
    _assert_slack_safe(message)


def test_build_digest_asks_newest_first_and_notes_a_repeated_token() -> None:
    class FakeClient:
        region = "cn-shanghai"

        def __init__(self) -> None:
            self.kwargs: dict[str, Any] = {}

        def iter_pages(self, **kwargs: Any) -> Iterator[SmartJobPage]:
            self.kwargs = kwargs
            yield SmartJobPage.from_wire(
                {"SmartJobList": spaced(3, timedelta(minutes=1)), "NextToken": "t"}
            )
            raise RepeatedTokenError("RepeatedNextToken", "again")

    client = FakeClient()
    stats = build_digest(client, window=timedelta(hours=24), now=END, concurrency=1)  # type: ignore[arg-type]
    assert client.kwargs == {"sort_by": SortBy.NEWEST, "max_results": 100}
    assert (stats.window_start, stats.window_end, stats.jobs) == (START, END, 3)
    assert stats.note is not None


# -- properties ---------------------------------------------------------------------------------

_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.text(alphabet="<>&`*_~!@#|\\\"' \n\u202e\x00", max_size=3000),
)
_type = st.one_of(
    st.none(), st.sampled_from(["ASR", "DynamicChart", "VideoTranslation", "TextToSpeech"]), _text
)
_state = st.one_of(
    st.none(), st.sampled_from(["Finished", "Failed", "Executing", "Created"]), _text
)
_when = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=24 * 3600).map(lambda s: END - timedelta(seconds=s)),
)
_job = st.builds(
    wire,
    job_id=st.one_of(st.text(min_size=1, max_size=400), st.sampled_from(HOSTILE[:6])),
    when=_when,
    job_type=_type,
    state=_state,
    title=st.one_of(st.none(), _text),
)


@given(
    jobs=st.lists(_job, max_size=40),
    region=_text,
    note=st.one_of(st.none(), _text),
    truncated=st.booleans(),
)
def test_property_digest_holds_slack_limits_and_escapes_everything(
    jobs: list[dict[str, Any]], region: str, note: str | None, truncated: bool
) -> None:
    jobs.sort(key=lambda j: j.get("CreateTime", "~"), reverse=True)
    stats = run(Pages(jobs, size=7))
    stats.note, stats.truncated = note, truncated
    message = render_digest(stats, region=region, show_failed_value="failed")
    _assert_slack_safe(message)
    assert stats.jobs <= len(jobs)
    render_digest_text(stats, region=region).encode("utf-8")


def _assert_slack_safe(message: dict[str, Any]) -> None:
    assert_slack_safe(message)
    json.dumps(message).encode("utf-8")
