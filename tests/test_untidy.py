"""ICE as it really answers, everywhere a job is used: pages, the terminal, the digest and
alerts render whatever the fields hold, and end to end an untidy dataset costs no job."""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.digest.scan import scan
from bot.ice import SmartJobPage
from bot.ice._enums import WIRE_TIME as WIRE
from bot.ice._enums import JobState, JobType
from bot.ice.emulator import Emulator, generate_jobs
from bot.local import SlackStub, sign_slack, slash_command_body
from bot.local.demo import demo_environment, local_deployment
from bot.local.server import make
from bot.query import Query
from bot.render import PageView, render_digest, render_page, render_page_text
from bot.render._alerts import render_alert
from bot.render._text import render_digest_text
from bot.services import Services
from bot.watch.model import Alert
from tests.ice_bodies import bodies, job_entries
from tests.slack_checks import assert_slack_safe

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


queries = st.builds(
    Query,
    state=st.none() | st.sampled_from(JobState),
    job_type=st.none() | st.sampled_from(JobType),
    since=st.none() | st.just(timedelta(hours=6)),
)


@given(bodies, queries, st.integers(1, 50))
def test_property_any_page_renders_within_limits_and_escaped(
    body: dict[str, Any], query: Query, number: int
) -> None:
    page = SmartJobPage.from_wire(body)
    view = PageView(query=query, page=page, region="cn-shanghai", now=NOW, page_number=number)
    message = render_page(view)
    assert_slack_safe(message)
    if page.unreadable:
        assert "could not be read" in json.dumps(message["blocks"])
    text = render_page_text(view)
    assert not _CONTROLS.search(text)
    assert all(_columns(line) <= 100 for line in text.splitlines()[3:]), "job lines fit 100 columns"
    assert text.count("\n  ") >= len(page.smart_job_list), "a line of detail under every job"


@given(st.lists(bodies, min_size=1, max_size=3))
def test_property_any_pages_aggregate_into_a_digest(pages: list[dict[str, Any]]) -> None:
    read = [SmartJobPage.from_wire(body) for body in pages]
    stats = scan(read, window_start=NOW - timedelta(days=1), window_end=NOW, max_pages=10)
    assert stats.jobs <= sum(len(p.smart_job_list) for p in read)
    assert stats.jobs == sum(stats.counts.values())
    assert_slack_safe(render_digest(stats, region="cn-shanghai", show_failed_value="v"))
    assert not _CONTROLS.search(render_digest_text(stats, region="cn-shanghai"))


@given(st.lists(job_entries, min_size=1, max_size=30))
def test_property_any_jobs_make_a_safe_alert(entries: list[dict[str, Any]]) -> None:
    jobs = SmartJobPage.from_wire({"SmartJobList": entries}).smart_job_list
    for kind in ("root", "thread"):
        alert = Alert(kind, jobs, len(jobs) + 3)  # type: ignore[arg-type]
        message = render_alert(
            alert,
            query=Query(action="watch", state=JobState.FAILED),
            region="cn-shanghai",
            watch_id="w1",
            show_all_value="v",
        )
        assert_slack_safe(message)


# -- end to end with an untidy dataset -------------------------------------------------------------


def failed_on_the_wire(ice: Emulator) -> list[Any]:
    """The jobs the emulator lists for ``JobState=Failed`` (untidy states match nothing)."""
    return [j for j in ice.jobs if isinstance(j, dict) and j.get("JobState") == "Failed"]


def test_an_untidy_dataset_costs_no_job_on_a_page() -> None:
    with local_deployment(count=400, seed=21, untidy=0.3) as local:
        expected = failed_on_the_wire(local.ice)[:100]
        odd = [j for j in expected if any(not isinstance(v, str) for v in j.values())]
        assert odd, "the dataset really is untidy where it is listed"
        url, _, _ = local.command("failed 100")
        (answer,) = local.answers(url)
        blocks = json.dumps(answer["blocks"], ensure_ascii=False)
        assert blocks.count("*Failed*") == len(expected)
        assert "ICE sent an unexpected answer" not in blocks


def test_the_digest_of_an_untidy_dataset_counts_exactly() -> None:
    """Odd values change how a job reads, not where the service lists it: the digest counts
    every job its window holds (undated ones among them), less entries that are not jobs."""
    made = datetime.now(UTC).replace(microsecond=0)
    tidy = generate_jobs(count=600, seed=22, now=made)
    start = made - timedelta(hours=24)
    in_window = [i for i, j in enumerate(tidy) if j["CreateTime"] >= start.strftime(WIRE)]
    with local_deployment(jobs=tidy, seed=22, untidy=0.3, services={"now": lambda: made}) as local:
        untidy = local.ice.jobs
        assert any(untidy[i] != tidy[i] for i in in_window), "the window holds odd jobs"
        entries = [untidy[i] for i in in_window if isinstance(untidy[i], dict)]
        read = SmartJobPage.from_wire({"SmartJobList": entries}).smart_job_list
        failed = sum(1 for j in read if j.job_state is JobState.FAILED)
        url, _, _ = local.command("digest")
        answer = local.answers(url)[-1]
    counted = re.match(r"Last 24 h: ([\d,]+) jobs, ([\d,]+) failed", answer["text"])
    assert counted is not None, answer["text"]
    assert int(counted[1].replace(",", "")) == len(entries)
    assert int(counted[2].replace(",", "")) == failed


@pytest.fixture
def served_untidy() -> Iterator[tuple[str, SlackStub, Emulator, str]]:
    with SlackStub() as slack, Emulator(count=200, seed=23, untidy=0.3) as ice:
        env = demo_environment(slack.api_url, ice.url)
        services = Services(settings=Settings.from_env(env))
        server = make("127.0.0.1", 0, services)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", slack, ice, env["SLACK_SIGNING_SECRET"]
        finally:
            server.shutdown()
            server.server_close()
            services.close()


def test_serve_answers_an_untidy_page_with_every_job(
    served_untidy: tuple[str, SlackStub, Emulator, str],
) -> None:
    base, slack, ice, secret = served_untidy
    body = slash_command_body("failed 100", response_url=slack.response_url())
    headers = {"content-type": "application/x-www-form-urlencoded", **sign_slack(secret, body)}
    assert (
        httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=10).status_code
        == 200
    )
    (answer,) = slack.wait_for(1)
    blocks = json.dumps(answer.body["blocks"], ensure_ascii=False)
    assert blocks.count("*Failed*") == len(failed_on_the_wire(ice)[:100])
