"""`smartjobs` in a terminal: the same answers as Slack, errors as one line, no tracebacks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator
from bot.local.cli import main
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


def test_demo_shows_a_page_the_next_a_job_and_back_through_the_real_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--no-input", "failed", "asr"]) == 0
    out = capsys.readouterr().out
    assert "ack: HTTP 200" in out
    pressed = [line for line in out.splitlines() if line.startswith("[pressed")]
    assert pressed == ["[pressed Next page]", "[pressed Details]", "[pressed Back to list]"]
    assert out.count("Failed ASR jobs") == 3, "the first page, the second, the second again"
    assert "Why it failed" in out
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


# -- every error is one line, exit 2 for the user's mistake, 1 for a service failure ----------


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("smartjobs: "), err
    assert "Traceback" not in err
    return err


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "cli-test-signing")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-test")


def test_a_port_in_use_is_one_line(slack_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
        assert f"port {port} on 127.0.0.1 is in use" in one_line(capsys)
        assert main(["emulator", "--port", str(port)]) == 2
        assert "is in use" in one_line(capsys)


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_one_line(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", port]) == 2
    assert "a port is a number from 0 to 65535" in one_line(capsys)


def test_a_bad_host_is_one_line(slack_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "no-such-host.invalid", "--port", "0"]) == 2
    assert "cannot listen on 'no-such-host.invalid'" in one_line(capsys)


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("ftp://127.0.0.1:8787", "must be a URL like"),
        ("127.0.0.1:8787", "must be a URL like"),
        ("http://127.0.0.1:99999", "bad port"),
        ("http://admin:hunter2-password@127.0.0.1:8787", "without a user or password"),
        ("http://127.0.0.1:8787/some/path?x=1", "without a path or query"),
    ],
)
def test_a_malformed_ice_endpoint_is_refused_and_never_echoes_a_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], endpoint: str, says: str
) -> None:
    monkeypatch.setenv("ICE_ENDPOINT", endpoint)
    assert main(["query", "failed"]) == 2
    err = one_line(capsys)
    assert "ICE_ENDPOINT" in err and says in err
    assert "hunter2" not in err


def test_an_unknown_ice_region_is_refused_like_region(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ICE_REGION", "cn-bejing")
    assert main(["query", "failed"]) == 2
    err = one_line(capsys)
    assert "ICE_REGION" in err and 'Did you mean "cn-beijing"?' in err


def test_filter_errors_show_terminal_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "fialed"]) == 2
    err = one_line(capsys)
    assert 'Did you mean "failed"?' in err
    assert "usage: smartjobs query [state]" in err
    assert "/smartjobs" not in err and "`" not in err and "*" not in err


def test_query_help_is_terminal_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "help"]) == 0
    out = capsys.readouterr().out
    assert "smartjobs query failed asr" in out
    assert "/smartjobs" not in out and "`" not in out and "*State*" not in out


def test_options_and_filters_mix_in_any_order(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "failed", "--json", "asr"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [j["JobId"] for j in page["SmartJobList"]] == failed_asr(ice)[:10]
    assert main(["query", "failed", "--bogus", "asr"]) == 2
    assert "unrecognized arguments: --bogus" in one_line(capsys)


@pytest.mark.parametrize("window", ["2h failed", "yesterday", "0m", "400d"])
def test_digest_window_is_a_duration_only(window: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--window", window]) == 2
    assert "--window" in one_line(capsys)


@pytest.mark.usefixtures("bot_logs")
def test_retries_are_quiet_unless_verbose(
    ice: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ice.faults.script.extend(["Throttling.User"])
    assert main(["query", "failed"]) == 0
    assert capsys.readouterr().err == ""
    ice.faults.script.extend(["Throttling.User"])
    assert main(["query", "-v", "failed"]) == 0
    assert "Throttling.User" in capsys.readouterr().err


def test_missing_credentials_are_one_line_without_the_chains_noise(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent-home-for-the-test")
    monkeypatch.setenv("ICE_ENDPOINT", "http://127.0.0.1:9")
    assert main(["query", "failed"]) == 2
    err = one_line(capsys)
    assert "No Alibaba Cloud credentials" in err and "ALIBABA_CLOUD_ACCESS_KEY_ID" in err


@pytest.mark.parametrize(
    ("command", "needed"),
    [
        (["serve"], ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]),
        (["digest", "--post"], ["SLACK_BOT_TOKEN"]),  # it posts; it answers no request
        (["watch", "poll"], ["SLACK_BOT_TOKEN"]),
    ],
)
def test_commands_that_need_slack_settings_name_them(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    needed: list[str],
) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SECRETS_ARN"):
        monkeypatch.delenv(name, raising=False)
    assert main(command) == 2
    err = one_line(capsys)
    assert all(name in err for name in needed)
    assert ("SLACK_SIGNING_SECRET" in err) == ("SLACK_SIGNING_SECRET" in needed)


def test_watch_list_needs_no_slack_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SECRETS_ARN", "WATCH_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMARTJOBS_DB", str(tmp_path / "state.db"))
    assert main(["watch", "list"]) == 0
    assert "No watches" in capsys.readouterr().out


def test_a_broken_pipe_ends_quietly(ice: Emulator) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    reader = subprocess.Popen(
        [sys.executable, "-m", "bot.local.cli", "query", "finished", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.read(10)
    reader.stdout.close()  # `| head -c 10`
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


# -- the demo shows every answer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("help", "Examples"), ("fialed", 'Did you mean "failed"?'), ("digest", "Smart jobs digest")],
)
def test_the_demo_prints_answers_given_in_the_ack_too(text: str, shown: str) -> None:
    from bot.local.demo import run_demo

    lines: list[str] = []
    assert run_demo(text, interactive=False, out=lines.append) == 0
    printed = "\n".join(lines)
    assert shown in printed
    assert "no answer reached" not in printed


def test_the_demo_asks_again_on_any_other_key() -> None:
    from bot.local.demo import run_demo

    keys = iter(["x", "", "next please", "n", "?", "q"])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(keys)

    lines: list[str] = []
    assert run_demo("failed asr 3", interactive=True, out=lines.append, ask=ask) == 0
    assert len(asked) == 6, "asked again after x, an empty line, a sentence and ?"
    assert sum("[pressed Next page]" in line for line in lines) == 1
