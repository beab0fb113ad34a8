"""`smartjobs` in a terminal: the same answers as Slack, errors as one line, no tracebacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator
from bot.render._slack_text import find_button, message_to_text


@pytest.fixture
def ice(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(count=300, seed=9, total_count=True) as emu:
        monkeypatch.setenv("ICE_ENDPOINT", emu.url)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_ACCESS_KEY_SECRET)
        monkeypatch.delenv("ALIBABA_CLOUD_ROLE_ARN", raising=False)
        yield emu


def failed_asr(emu: Emulator) -> list[str]:
    return [
        j["JobId"] for j in emu.jobs if j.get("JobType") == "ASR" and j.get("JobState") == "Failed"
    ]


def test_query_prints_a_table_of_the_newest_jobs(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "failed", "asr", "3"]) == 0
    out = capsys.readouterr().out
    expected = failed_asr(ice)
    assert "Failed ASR jobs" in out
    assert all(job_id in out for job_id in expected[:3])
    assert expected[3] not in out
    assert "--token" in out, "the next page's command is shown"


def test_query_json_is_the_page_with_wire_names(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "failed", "asr", "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [j["JobId"] for j in page["SmartJobList"]] == failed_asr(ice)[:10]
    assert page["TotalCount"] == len(failed_asr(ice))


def test_query_token_continues_where_the_first_page_ended(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "failed", "asr", "2", "--json"]) == 0
    token = json.loads(capsys.readouterr().out)["NextToken"]
    assert main(["query", "failed", "asr", "2", "--json", "--token", token]) == 0
    second = json.loads(capsys.readouterr().out)
    assert [j["JobId"] for j in second["SmartJobList"]] == failed_asr(ice)[2:4]


def test_query_help_prints_the_grammar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "help"]) == 0
    assert "since:" in capsys.readouterr().out


def test_a_typo_is_one_line_with_a_suggestion_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["query", "faild"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("smartjobs: ")
    assert "failed" in err.splitlines()[0]
    assert "Traceback" not in err


def test_bad_credentials_name_the_fix_and_exit_1(
    ice: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret-value")
    assert main(["query", "failed"]) == 1
    err = capsys.readouterr().err
    assert "SignatureDoesNotMatch" in err and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in err
    assert "RequestId" in err
    assert "not-the-secret-value" not in err and "Traceback" not in err


def test_unreachable_ice_names_the_endpoint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ICE_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-for-unreachable")
    assert main(["query", "asr"]) == 1
    err = capsys.readouterr().err
    assert "127.0.0.1:9" in err and "ICE_ENDPOINT" in err


def test_digest_prints_counts_for_the_window(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "--window", "7d"]) == 0
    out = capsys.readouterr().out
    assert f"{len(ice.jobs):,} jobs" in out or f"{len(ice.jobs)} jobs" in out


def test_digest_post_without_a_channel_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "cli-test-signing")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-test")
    monkeypatch.delenv("DIGEST_CHANNEL", raising=False)
    assert main(["digest", "--post"]) == 2
    assert "DIGEST_CHANNEL" in capsys.readouterr().err


def test_demo_shows_two_pages_through_the_real_handler(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-input", "failed", "asr"]) == 0
    out = capsys.readouterr().out
    assert "ack: HTTP 200" in out
    assert out.count("Failed ASR jobs") == 2
    assert "[pressed Next page]" in out
    assert "Traceback" not in out


def test_terminal_view_of_a_slack_message() -> None:
    stamp = int(datetime(2026, 1, 2, 3, 4, tzinfo=UTC).timestamp())
    message = {
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Failed ASR jobs"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f":x: *Failed* · &lt;!channel&gt; &amp; co · <!date^{stamp}^{{time}}|fallback>",
                },
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "next_page",
                        "value": "v1",
                        "text": {"type": "plain_text", "text": "Next page"},
                    }
                ],
            },
        ]
    }
    text = message_to_text(message)
    assert "❌ Failed · <!channel> & co · 2026-01-02 03:04 UTC" in text
    assert "[ Next page ]" in text
    assert find_button(message, "next_page") == "v1"
    assert find_button(message, "refresh_page") is None


def test_oldest_with_a_window_is_refused_as_in_slack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "oldest", "since:2h"]) == 2
    err = capsys.readouterr().err
    assert "oldest" in err.splitlines()[0] and "since:" in err.splitlines()[0]
