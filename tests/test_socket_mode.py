"""`smartjobs serve --socket`: the same app over Socket Mode, against a local Socket Mode.

Every session runs the real command (``main(["serve", "--socket"])`` on the main thread, as a
terminal runs it) with slack_sdk's real client, against :class:`SocketModeStub` (the
WebSocket), :class:`SlackStub` (the Web API and response_urls) and the ICE emulator. A
second thread plays Slack and ends the session with SIGINT, as Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.ice.emulator import Emulator
from bot.local import SlackStub
from bot.local.cli import main
from bot.local.demo import demo_environment
from bot.local.socket_stub import (
    DEMO_APP_ID,
    DEMO_APP_TOKEN,
    PING,
    SocketModeStub,
    accept_key,
    encode_frame,
    read_frame,
)
from bot.names import ACTION_NEXT
from bot.render._slack_text import find_button, message_to_text

ACK_BUDGET = 3.0
"""Seconds Slack waits for an envelope's acknowledgement."""
WRONG_APP_TOKEN = "xapp-1-A0DEMO-1-not-the-demo-app-token"


@dataclass
class Slack:
    """One local Slack: Web API and response_urls, Socket Mode, and the ICE behind the bot."""

    web: SlackStub
    socket: SocketModeStub
    ice: Emulator


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Slack]:
    with SlackStub() as web, SocketModeStub(web) as socket_mode, Emulator(count=300, seed=5) as ice:
        for name, value in demo_environment(web.api_url, ice.url).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SLACK_SIGNING_SECRET")  # Socket Mode needs none
        monkeypatch.delenv("SECRETS_ARN", raising=False)
        monkeypatch.setenv("SLACK_APP_TOKEN", DEMO_APP_TOKEN)
        yield Slack(web, socket_mode, ice)


@dataclass
class Session:
    code: int
    out: str
    err: str
    threads_left: list[str]


def serve_socket(
    slack: Slack, capsys: pytest.CaptureFixture[str], play: Callable[[Slack], None]
) -> Session:
    """Run ``smartjobs serve --socket`` until ``play`` (Slack's side, in a thread) is done,
    then press Ctrl-C. Whatever ``play`` raised is raised here."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Ctrl-C reaches the main thread only")
    serving = [True]
    failures: list[BaseException] = []

    def ctrl_c(signum: int, frame: Any) -> None:
        if serving[0]:  # never interrupt the test itself once the command has returned
            raise KeyboardInterrupt

    def slack_side() -> None:
        try:
            slack.socket.wait_hello()
            play(slack)
        except BaseException as error:
            failures.append(error)
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    before = set(threading.enumerate())
    previous = signal.signal(signal.SIGINT, ctrl_c)
    player = threading.Thread(target=slack_side, name="slack-side")
    try:
        player.start()
        code = main(["serve", "--socket"])
    finally:
        serving[0] = False
        signal.signal(signal.SIGINT, previous)
        player.join(timeout=30)
    captured = capsys.readouterr()
    if failures:
        raise AssertionError(f"exit {code}, stderr {captured.err!r}") from failures[0]
    return Session(code, captured.out, captured.err, _threads_started_since(before, player))


def _threads_started_since(before: set[threading.Thread], *ignored: threading.Thread) -> list[str]:
    """Threads started since ``before`` that are still alive once given a moment to end
    (the stand-ins' own request threads finish by themselves; the client's never would)."""
    left = []
    for thread in set(threading.enumerate()) - before - set(ignored):
        thread.join(timeout=5)
        if thread.is_alive():
            left.append(thread.name)
    return left


def failed_asr(ice: Emulator) -> list[str]:
    return [j["JobId"] for j in ice.jobs if (j["JobType"], j["JobState"]) == ("ASR", "Failed")]


def test_a_command_then_next_page_over_socket_mode(
    slack: Slack, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def play(slack: Slack) -> None:
        first_url = slack.web.response_url()
        envelope = slack.socket.slash_command("failed asr 5", response_url=first_url)
        seen["command_ack"] = slack.socket.wait_ack(envelope)
        (first,) = slack.web.wait_to(first_url)
        seen["first"] = first.body

        second_url = slack.web.response_url()
        value = find_button(first.body, ACTION_NEXT)
        assert value is not None, "the first page has a Next page button"
        envelope = slack.socket.block_actions(ACTION_NEXT, value, response_url=second_url)
        seen["click_ack"] = slack.socket.wait_ack(envelope)
        (second,) = slack.web.wait_to(second_url)
        seen["second"] = second.body
        seen["answers_to_first"] = len(slack.web.to(first_url))

    session = serve_socket(slack, capsys, play)

    expected = failed_asr(slack.ice)
    for ack in (seen["command_ack"], seen["click_ack"]):
        assert ack.seconds < ACK_BUDGET
        assert ack.payload is None, "a list is acked silently and answered on the response_url"
    first, second = seen["first"], seen["second"]
    assert first["response_type"] == "ephemeral"
    assert first["blocks"][0]["type"] == "header"
    first_text = message_to_text(first)
    assert all(job_id in first_text for job_id in expected[:5])
    assert expected[5] not in first_text
    assert find_button(first, "refresh_page") and find_button(first, "share_page")
    assert second["replace_original"] is True, "Next page replaces the page it was on"
    second_text = message_to_text(second)
    assert all(job_id in second_text for job_id in expected[5:10])
    assert expected[0] not in second_text
    assert seen["answers_to_first"] == 1, "answered exactly once"

    assert session.code == 130
    assert f"connected to Slack over Socket Mode as app {DEMO_APP_ID}" in session.out
    assert "disconnected from Slack" in session.out
    assert session.err == "", "Ctrl-C: no traceback, no log noise"
    assert session.threads_left == [], "every thread of the session ended"
    slack.socket.wait_closed()
    assert DEMO_APP_TOKEN not in session.out + session.err


def test_help_and_the_digest_preview_are_acked_with_their_text(
    slack: Slack, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def play(slack: Slack) -> None:
        help_url = slack.web.response_url()
        envelope = slack.socket.slash_command("help", response_url=help_url)
        seen["help"] = slack.socket.wait_ack(envelope)
        digest_url = slack.web.response_url()
        envelope = slack.socket.slash_command("digest", response_url=digest_url)
        seen["digest_ack"] = slack.socket.wait_ack(envelope)
        (digest,) = slack.web.wait_to(digest_url, timeout=30)
        seen["digest"] = digest.body
        seen["help_posts"] = slack.web.to(help_url)

    serve_socket(slack, capsys, play)

    help_ack, digest_ack = seen["help"], seen["digest_ack"]
    assert help_ack.seconds < ACK_BUDGET and digest_ack.seconds < ACK_BUDGET
    assert help_ack.payload is not None and "since:" in json.dumps(help_ack.payload)
    assert seen["help_posts"] == [], "help is answered in the ack, nothing else"
    assert digest_ack.payload is not None
    assert "Building the digest" in json.dumps(digest_ack.payload)
    assert "digest" in message_to_text(seen["digest"]).lower()


def test_a_refresh_requested_by_slack_moves_to_a_new_connection(
    slack: Slack, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def play(slack: Slack) -> None:
        slack.socket.disconnect("refresh_requested")
        slack.socket.wait_hello(count=2)
        url = slack.web.response_url()
        envelope = slack.socket.slash_command("failed asr 3", response_url=url)
        seen["ack"] = slack.socket.wait_ack(envelope)
        seen["answer"] = slack.web.wait_to(url)[0].body

    session = serve_socket(slack, capsys, play)

    assert slack.socket.opened == 2, "a fresh URL from apps.connections.open for the new link"
    assert seen["ack"].seconds < ACK_BUDGET
    assert failed_asr(slack.ice)[0] in message_to_text(seen["answer"])
    assert session.code == 130 and session.err == ""


# -- the token and Slack's refusals: one line, exit 2 (yours to fix) or 1 (Slack's) -------------


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("smartjobs: "), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (None, "SLACK_APP_TOKEN is not set"),
        ("", "SLACK_APP_TOKEN is not set"),
        ("xoxb-1234-5678-the-bot-token-instead", "this one is the bot token"),
        ("A0DEMO-something-else", "this one is not an app-level token"),
    ],
)
def test_a_missing_or_malformed_app_token_is_one_line_and_exit_2(
    slack: Slack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str | None,
    says: str,
) -> None:
    if token is None:
        monkeypatch.delenv("SLACK_APP_TOKEN")
    else:
        monkeypatch.setenv("SLACK_APP_TOKEN", token)
    before = set(threading.enumerate())
    assert main(["serve", "--socket"]) == 2
    err = one_line(capsys)
    assert says in err and "xapp-" in err
    assert not token or token not in err
    assert slack.web.calls("apps.connections.open") == [], "nothing was sent to Slack"
    assert _threads_started_since(before) == []


@pytest.mark.parametrize(
    ("refused_with", "token"),
    [(None, WRONG_APP_TOKEN), ("not_allowed_token_type", DEMO_APP_TOKEN)],
)
def test_a_token_slack_refuses_is_one_line_and_exit_2(
    slack: Slack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    refused_with: str | None,
    token: str,
) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", token)
    if refused_with:
        slack.web.api_errors["apps.connections.open"] = refused_with
    before = set(threading.enumerate())
    assert main(["serve", "--socket"]) == 2
    err = one_line(capsys)
    assert f"Slack refused SLACK_APP_TOKEN ({refused_with or 'invalid_auth'})" in err
    assert token not in err
    (call,) = slack.web.calls("apps.connections.open")
    assert call.headers["authorization"] == f"Bearer {token}"
    assert call.body == {}, "the token travels in the Authorization header only"
    assert slack.socket.hellos == 0
    assert _threads_started_since(before) == []


@pytest.mark.parametrize("outage", ["unreachable", "http 503", "no websocket"])
def test_slack_out_of_reach_is_one_line_and_exit_1(
    slack: Slack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], outage: str
) -> None:
    if outage == "unreachable":
        monkeypatch.setenv("SLACK_API_URL", f"http://user:hunter2-pw@127.0.0.1:{_free_port()}/api/")
    elif outage == "http 503":
        slack.web.api_replies["apps.connections.open"] = [{"status": 503}]
    else:
        dead = f"ws://127.0.0.1:{_free_port()}/link/?ticket=t"
        slack.web.api_replies["apps.connections.open"] = [{"ok": True, "url": dead}]
    before = set(threading.enumerate())
    assert main(["serve", "--socket"]) == 1
    err = one_line(capsys)
    assert {
        "unreachable": "did not answer apps.connections.open",
        "http 503": "(HTTP 503)",
        "no websocket": "could not open Slack's Socket Mode WebSocket",
    }[outage] in err
    assert "<html>" not in err, "an outage page is never echoed"
    assert "hunter2" not in err
    assert _threads_started_since(before) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- stopping waits for the answers under way -----------------------------------------------------


def test_stopping_delivers_the_answer_under_way_then_ends_every_thread(slack: Slack) -> None:
    from bot.local import socket as socket_mode
    from bot.services import Services

    before = set(threading.enumerate())
    services = Services(settings=socket_mode.settings_from_env())
    session = socket_mode.connect(services, DEMO_APP_TOKEN)
    stop = threading.Event()
    runner = threading.Thread(target=socket_mode.run, args=(session, stop))
    runner.start()
    slack.ice.faults.latency = 1.0  # the answer is still on its way when stop comes
    url = slack.web.response_url()
    envelope = slack.socket.slash_command("failed", response_url=url)
    assert slack.socket.wait_ack(envelope).seconds < ACK_BUDGET
    assert slack.web.to(url) == []
    stop.set()
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert len(slack.web.to(url)) == 1, "the acked command was answered before the end"
    services.close()
    slack.socket.wait_closed()
    assert _threads_started_since(before) == []


# -- the stand-in itself speaks RFC 6455 ----------------------------------------------------------


def test_accept_key_is_rfc_6455s_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def _masked(opcode: int, payload: bytes, mask: bytes = b"\x01\x02\x03\x04") -> bytes:
    unmasked = encode_frame(opcode, payload)
    header_size = len(unmasked) - len(payload)
    header = bytes([unmasked[0], unmasked[1] | 0x80]) + unmasked[2:header_size]
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _reader(data: bytes) -> Callable[[int], bytes]:
    view = memoryview(data)
    position = [0]

    def read(size: int) -> bytes:
        chunk = bytes(view[position[0] : position[0] + size])
        position[0] += len(chunk)
        return chunk

    return read


@pytest.mark.parametrize("size", [0, 125, 126, 70_000])
def test_client_frames_are_unmasked_at_every_length(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    assert read_frame(_reader(_masked(PING, payload))) == (PING, payload)


def test_unmasked_client_frames_and_a_reused_ticket_are_refused(slack: Slack) -> None:
    from bot.local.socket_stub import ProtocolError

    with pytest.raises(ProtocolError) as refused:
        read_frame(_reader(encode_frame(PING, b"x")))
    assert refused.value.code == 1002
    assert struct.unpack("!BB", encode_frame(PING, b"x")[:2]) == (0x89, 1)

    opened = slack.socket._open(_post(DEMO_APP_TOKEN))
    url = opened["url"]
    assert _upgrade_status(url) == 101
    assert _upgrade_status(url) == 401, "a ticket opens one connection only"


def _post(token: str) -> Any:
    from bot.local.slack_stub import SlackPost

    return SlackPost("/api/apps.connections.open", {}, {"authorization": f"Bearer {token}"})


def _upgrade_status(url: str) -> int:
    address, _, path = url.removeprefix("ws://").partition("/")
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1])
