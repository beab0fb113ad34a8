"""Why did it fail: the Details control on every listed job, Back to list, `/smartjobs job`,
and `smartjobs job`, end to end through ``lambda_handler`` against the emulator over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ice import SmartHandleJob
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator
from bot.ice.emulator._details import failure_of
from bot.local.cli import main
from bot.local.demo import LocalDeployment, local_deployment
from bot.render._details import DetailsView, render_details
from bot.render._slack_text import find_button
from tests.ice_bodies import details_bodies
from tests.slack_checks import assert_slack_safe
from tests.test_slack_e2e import answer, blocks_text, job_ids

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def local() -> Iterator[LocalDeployment]:
    with local_deployment(count=300, seed=5, total_count=True) as deployment:
        yield deployment


def controls(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every Details control in a list: (block id, value, element), in the list's order."""
    found = []
    for block in message["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") != "job_details":
            continue
        if accessory["type"] == "button":
            found.append((block["block_id"], accessory["value"], "button"))
        else:
            found += [(block["block_id"], o["value"], "overflow") for o in accessory["options"]]
    return found


def open_details(local: LocalDeployment, control: tuple[str, str, str]) -> dict[str, Any]:
    block_id, value, element = control
    url, ack, _ = local.press("job_details", value, block_id=block_id, element=element)
    assert ack["statusCode"] == 200
    return answer(local, url)


def stored(local: LocalDeployment, job_id: str) -> dict[str, Any]:
    return next(j for j in local.ice.jobs if j["JobId"] == job_id)


def test_every_listed_job_has_a_details_control_carrying_its_id(local: LocalDeployment) -> None:
    url, _, _ = local.command("failed 5")
    page = answer(local, url)
    found = controls(page)
    assert [json.loads(value)["j"] for _, value, _ in found] == job_ids(page)
    assert len(found) == 5 and {element for _, _, element in found} == {"button"}
    assert len({block_id for block_id, _, _ in found}) == 5, "block ids are unique"


def test_details_then_back_then_next_page_continues_where_the_list_was(
    local: LocalDeployment,
) -> None:
    url, _, _ = local.command("failed 4")
    first = answer(local, url)
    next_value = find_button(first, "next_page")
    assert next_value is not None
    url, _, _ = local.press("next_page", next_value)
    second = answer(local, url)
    url, _, _ = local.press("next_page", str(find_button(second, "next_page")))
    third_expected = job_ids(answer(local, url))

    details = open_details(local, controls(second)[2])
    assert details["replace_original"] is True, "Details replaces the list"
    assert job_ids(second)[2] in blocks_text(details)
    back = find_button(details, "back_to_list")
    assert back is not None
    url, _, _ = local.press("back_to_list", back)
    again = answer(local, url)
    assert again["replace_original"] is True
    assert job_ids(again) == job_ids(second), "Back shows exactly the page it came from"
    url, _, _ = local.press("next_page", str(find_button(again, "next_page")))
    assert job_ids(answer(local, url)) == third_expected, "and Next page still continues"


def test_a_failed_job_shows_its_error_code_and_message_first(local: LocalDeployment) -> None:
    url, _, _ = local.command("failed asr 3")
    page = answer(local, url)
    job_id = job_ids(page)[0]
    details = open_details(local, controls(page)[0])
    code, message = failure_of(stored(local, job_id), seed=5)
    text = blocks_text(details)
    assert f"`{code}`" in text and "Why it failed" in text
    why = next(i for i, b in enumerate(details["blocks"]) if "Why it failed" in json.dumps(b))
    facts = next(i for i, b in enumerate(details["blocks"]) if "Job id" in json.dumps(b))
    assert why < facts, "why it failed comes before the facts"
    assert message.split(":")[0] in text
    assert code in details["text"], "the notification names the code too"
    assert_slack_safe(details)
    assert local.ice.calls_for("GetSmartHandleJob") == 1
    assert local.ice.calls_for("ListSmartJobs") == 1, "details cost no extra list call"


def test_a_finished_job_shows_its_result(local: LocalDeployment) -> None:
    url, _, _ = local.command("finished asr 2")
    page = answer(local, url)
    details = open_details(local, controls(page)[0])
    text = blocks_text(details)
    assert "Media id" in text and "Media URL" in text and "Why it failed" not in text
    assert "*Output*" in text and "```" in text, "Output as pretty JSON"


def test_refused_details_still_show_what_the_list_knew_and_say_why(
    local: LocalDeployment,
) -> None:
    url, _, _ = local.command("failed 3")
    page = answer(local, url)
    job_id = job_ids(page)[1]
    local.ice.faults.script.append("Forbidden.RAM")
    details = open_details(local, controls(page)[1])
    text = blocks_text(details)
    title = stored(local, job_id)["Title"]
    assert title in text and job_id in text, "what the list knew"
    assert "ice:GetSmartHandleJob" in text and "ram-policy.json" in text, "what to do"
    assert find_button(details, "back_to_list") is not None
    assert local.ice.calls_for("ListSmartJobs") == 2, "one list call to recall the job"


def test_throttled_details_say_so_and_keep_the_way_back(local: LocalDeployment) -> None:
    url, _, _ = local.command("failed 2")
    page = answer(local, url)
    local.ice.faults.script.extend(["Throttling.User"] * 40)
    details = open_details(local, controls(page)[0])
    assert "throttling" in blocks_text(details).lower()
    assert find_button(details, "back_to_list") is not None
    local.ice.faults.script.clear()


def test_a_job_older_than_a_year_is_listed_but_has_no_details() -> None:
    old = {
        "JobId": "0123456789abcdef0123456789abcdef",
        "Title": "Last year's captions",
        "JobType": "ASR",
        "JobState": "Failed",
        "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 400 * 86400)),
    }
    with local_deployment(jobs=[old]) as local:
        url, _, _ = local.command("failed")
        page = answer(local, url)
        details = open_details(local, controls(page)[0])
        text = blocks_text(details)
        assert "Last year's captions" in text
        assert "past year" in text, "the one line says why"
        assert find_button(details, "back_to_list") is not None


HOSTILE = {
    "JobId": "fedcba9876543210fedcba9876543210",
    "Title": "<!channel> ```deploy``` & <@U0ADMIN> <https://evil.example|click>" + "x" * 3000,
    "JobType": "TextToSpeech",
    "JobState": "Failed",
    "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60)),
    "InputConfig": {"InputFile": "oss://b/<!here>```.txt"},
    "OutputConfig": {"Bucket": "<!everyone>", "Object": "a" * 5000},
    "EditingConfig": json.dumps({"voice": "<!channel>```", "deep": [list(range(50))] * 40}),
    "UserData": "```not json <@U0ADMIN>" + "y" * 8000,
}


def test_hostile_fields_are_escaped_and_cut_within_slack_limits() -> None:
    with local_deployment(jobs=[HOSTILE]) as local:
        url, _, _ = local.command("failed")
        page = answer(local, url)
        details = open_details(local, controls(page)[0])
        assert_slack_safe(details)
        text = json.dumps(details, ensure_ascii=False)
        assert "<!channel>" not in text and "<!here>" not in text and "<@U0ADMIN>" not in text
        assert "fedcba9876543210fedcba9876543210" in text


def test_slash_job_answers_privately_without_a_way_back(local: LocalDeployment) -> None:
    job = next(j for j in local.ice.jobs if j["JobState"] == "Failed")
    url, ack, _ = local.command(f"job {job['JobId']}")
    assert ack["statusCode"] == 200
    details = answer(local, url)
    assert details["response_type"] == "ephemeral"
    assert failure_of(job, seed=5)[0] in blocks_text(details)
    assert find_button(details, "back_to_list") is None


def test_slash_job_for_an_unknown_id_says_there_is_no_such_job(local: LocalDeployment) -> None:
    url, _, _ = local.command("job 00000000000000000000000000000000")
    details = answer(local, url)
    text = blocks_text(details)
    assert "ICE has no such job" in text and "past year" in text
    assert "Traceback" not in json.dumps(details)


def test_slash_job_with_a_malformed_id_is_answered_in_the_ack(local: LocalDeployment) -> None:
    url, ack, _ = local.command("job ../../etc/passwd")
    assert "is not a job id" in ack["body"], "in the ack itself"
    assert "is not a job id" in json.dumps(answer(local, url))
    assert local.ice.calls == 0


def test_a_long_page_packs_its_details_into_overflow_menus(local: LocalDeployment) -> None:
    url, _, _ = local.command("failed 40")
    page = answer(local, url)
    found = controls(page)
    assert {element for _, _, element in found} == {"overflow"}
    assert [json.loads(v)["j"] for _, v, _ in found] == job_ids(page)
    assert_slack_safe(page)
    details = open_details(local, found[7])
    assert job_ids(page)[7] in blocks_text(details)
    back = find_button(details, "back_to_list")
    assert back is not None
    url, _, _ = local.press("back_to_list", back)
    assert job_ids(answer(local, url)) == job_ids(page)


def test_a_tampered_details_value_gets_the_stale_button_answer(local: LocalDeployment) -> None:
    url, ack, _ = local.press("job_details", '{"j": "<!channel>"}', block_id="d0|junk")
    assert ack["statusCode"] == 200
    message = answer(local, url)
    assert "<!channel>" not in json.dumps(message)
    assert local.ice.calls == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=details_bodies,
    problem=st.none() | st.text(max_size=900),
    back=st.none() | st.just('{"q":"failed"}'),
)
def test_any_details_answer_renders_within_limits(
    body: dict[str, Any], problem: str | None, back: str | None
) -> None:
    details = SmartHandleJob.from_wire(body)
    view = DetailsView(
        job_id="job-1", region="cn-shanghai", now=NOW, details=details, back_value=back
    )
    assert_slack_safe(render_details(view))
    missing = DetailsView(
        job_id="job-1",
        region="cn-shanghai",
        now=NOW,
        job=details.job_info,
        problem=problem,
        back_value=back,
    )
    assert_slack_safe(render_details(missing))


# --- the terminal ---------------------------------------------------------------------------


@pytest.fixture
def ice(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(count=120, seed=3) as emu:
        monkeypatch.setenv("ICE_ENDPOINT", emu.url)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_ACCESS_KEY_SECRET)
        monkeypatch.delenv("ALIBABA_CLOUD_ROLE_ARN", raising=False)
        yield emu


def test_cli_job_prints_why_it_failed(ice: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    job = next(j for j in ice.jobs if j["JobState"] == "Failed")
    assert main(["job", job["JobId"]]) == 0
    out = capsys.readouterr().out
    code, message = failure_of(job, seed=3)
    assert f"Why it failed: {code}" in out and job["JobId"] in out
    assert message.split(":")[0] in out
    assert all(len(line) <= 100 for line in out.splitlines())


def test_cli_job_json_is_the_answer_with_wire_names(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    job = next(j for j in ice.jobs if j["JobState"] == "Finished" and j.get("Title"))
    assert main(["job", job["JobId"], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["JobId"] == job["JobId"] and data["State"] == "Finished"
    assert data["JobResult"]["MediaId"] and data["SmartJobInfo"]["Title"] == job["Title"]


def test_cli_query_job_is_the_same_as_job(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    job = ice.jobs[0]
    assert main(["job", job["JobId"]]) == 0
    direct = capsys.readouterr().out
    assert main(["query", "job", job["JobId"]]) == 0
    assert capsys.readouterr().out.splitlines()[:6] == direct.splitlines()[:6]


def test_cli_job_unknown_is_one_line_and_exit_1(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["job", "00000000000000000000000000000000"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ICE has no such job" in err


@pytest.mark.parametrize("typed", ["bad id!", "../x", ""])
def test_cli_job_with_a_malformed_id_is_one_line_and_exit_2(
    ice: Emulator, typed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["job", typed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "job id" in err
    assert ice.calls == 0


def test_the_list_shows_an_error_code_once_details_have_been_seen(
    local: LocalDeployment,
) -> None:
    url, _, _ = local.command("failed 3")
    page = answer(local, url)
    job_id = job_ids(page)[0]
    code, _ = failure_of(stored(local, job_id), seed=5)
    assert f"`{code}`" not in blocks_text(page), "not known without an extra call"
    open_details(local, controls(page)[0])
    url, _, _ = local.press("refresh_page", str(find_button(page, "refresh_page")))
    assert f"`{code}`" in blocks_text(answer(local, url)), "known now: shown on its line"


def test_each_details_view_costs_one_ice_call(local: LocalDeployment) -> None:
    """Details are one GetSmartHandleJob: never a scan of the list."""
    url, _, _ = local.command("failed 10")
    page = answer(local, url)
    before = local.ice.calls
    for control in controls(page)[:3]:
        open_details(local, control)
    assert local.ice.calls - before == 3
    assert local.ice.calls_for("GetSmartHandleJob") == 3
