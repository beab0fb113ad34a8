"""The fault matrix: ICE and Slack failing in every way we know of, end to end where it makes
sense (signed request -> lambda_handler -> lazy self-invoke -> emulator -> response_url).

Each case checks what the user sees (or what the log says), that nothing crashed, and
that nothing was answered twice. AWS-side faults (Lambda, DynamoDB) live elsewhere.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot import button_value
from bot.config import Settings
from bot.digest.delivery import DeliveryResult, deliver_digest
from bot.digest.scan import build_digest
from bot.ice import (
    Credentials,
    IceAuthError,
    IceClient,
    RepeatedTokenError,
    RetryPolicy,
    StaticCredentials,
)
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator, Faults
from bot.local import SlackStub, function_url_event, sign_slack, slash_command_body
from bot.local.demo import LocalDeployment, local_deployment
from bot.query import Query
from bot.render._slack_text import find_button
from bot.slack import delivery
from tests.emulator_helpers import sign_for

pytestmark = pytest.mark.usefixtures("bot_logs")
LAZY = {"INLINE_BUDGET": "0"}
"""Every answer through the lazy run and its response_url (what these tests are about)."""
DEMO = Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.005, deadline=3.0)
ICE_READ_TIMEOUT = 0.3
WIRE = "%Y-%m-%dT%H:%M:%SZ"
NOW = datetime.now(UTC).replace(microsecond=0)


# -- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def ice_options() -> dict[str, Any]:
    """Options for every IceClient the runtime builds: short time-outs, quick retries.

    A test may add to them (a transport) before it builds its deployment with
    ``services=quick(ice_options)``.
    """
    return {"timeout": httpx.Timeout(ICE_READ_TIMEOUT), "retry": FAST}


def quick(options: dict[str, Any]) -> dict[str, Any]:
    """The runtime's ``Services`` hooks: its ICE clients built with ``options``."""

    def ice_factory(settings: Settings, region: str) -> IceClient:
        return IceClient.from_env(settings.ice_env(region), **options)

    return {"ice_factory": ice_factory}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run_command(local: LocalDeployment, text: str) -> tuple[str, dict[str, Any], int]:
    """``/smartjobs text``: the response_url, the ack, and how many lazy invocations ran."""
    url = local.slack.response_url()
    body = slash_command_body(text, response_url=url)
    ack, _, ran = local.deliver(function_url_event(body, sign_slack(local.secret, body)), url)
    return url, ack, ran


def text_of(message: dict[str, Any]) -> str:
    return message.get("text", "") + "\n" + json.dumps(message.get("blocks", []))


def only_answer(local: LocalDeployment, url: str) -> dict[str, Any]:
    """The one message the request was answered with (in its ack or on its response_url);
    and nothing anywhere else either."""
    shown = local.answers(url)
    assert len(shown) == 1, f"expected exactly one answer, got {len(shown)}"
    assert len(local.slack.posts) == len(local.slack.to(url)), "no other message was sent"
    body: dict[str, Any] = shown[0]
    assert "Traceback" not in text_of(body)
    return body


def errors_from(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == name and r.levelno >= logging.WARNING
    ]


def job(i: int, age: timedelta, state: str = "Finished") -> dict[str, Any]:
    return {
        "JobId": f"{i:032x}",
        "Title": f"job {i}",
        "JobType": "ASR",
        "JobState": state,
        "CreateTime": (NOW - age).strftime(WIRE),
    }


def day_of_jobs(count: int = 250) -> list[dict[str, Any]]:
    """``count`` jobs in the last 24 h (every 5th failed), so a scan needs several pages."""
    inside = [
        job(i, timedelta(minutes=5 * i + 2), "Failed" if i % 5 == 0 else "Finished")
        for i in range(count)
    ]
    return inside + [job(10_000 + i, timedelta(days=2, minutes=i)) for i in range(20)]


class RepeatNextToken(httpx.BaseTransport):
    """The wire, with a faulty service: a follow-up page comes back with the token asked for."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.rewritten = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        asked = request.url.params.get("NextToken")
        if not asked:
            return response
        response.read()
        body = json.loads(response.content)
        if body.get("NextToken"):
            body["NextToken"] = asked
            self.rewritten += 1
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self._inner.close()


class OddTokens(httpx.BaseTransport):
    """The wire, with a service whose NextTokens are odd (spaces, non-ASCII, ~2,000
    characters): each token the emulator gives is handed on disguised, and a request bearing
    a disguise is signed afresh with the real token before it reaches the emulator."""

    def __init__(self, disguise: Any) -> None:
        self._inner = httpx.HTTPTransport()
        self._disguise = disguise
        self.real: dict[str, str] = {}
        self.numbered = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if "PageNo" in params:
            self.numbered += 1
        if params.get("NextToken") in self.real:
            params["NextToken"] = self.real[params["NextToken"]]
            base = f"{request.url.scheme}://{request.url.netloc.decode()}"
            signed = sign_for(base, params)
            request = httpx.Request("GET", signed.url, headers=signed.headers)
        response = self._inner.handle_request(request)
        response.read()
        body = json.loads(response.content)
        if body.get("NextToken"):
            odd = self._disguise(body["NextToken"])
            self.real[odd] = body["NextToken"]
            body["NextToken"] = odd
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self._inner.close()


@pytest.mark.parametrize(
    "disguise",
    [
        lambda token: f"page two {token}",
        lambda token: f"下一页·{token}·🚀",
        lambda token: token + "=" * (1990 - len(token)),
    ],
    ids=["spaces", "non-ASCII", "nearly 2000 characters"],
)
def test_an_odd_next_token_still_leads_to_every_next_page(
    ice_options: dict[str, Any], disguise: Any
) -> None:
    ice_options["transport"] = wire = OddTokens(disguise)
    with local_deployment(services=quick(ice_options), count=120, seed=5) as local:
        expected = [j["JobId"] for j in local.ice.jobs if j["JobState"] == "Finished"]
        url, _, _ = local.command("finished 30")
        message = only_answer(local, url)
        seen = re.findall(r"`([0-9a-f]{32})`", text_of(message))
        while (value := find_button(message, "next_page")) is not None:
            assert len(value) <= 2000
            local.slack.posts.clear()
            url, ack, _ = local.press("next_page", value)
            assert ack["statusCode"] == 200
            message = only_answer(local, url)
            assert message.get("replace_original") is True
            seen += re.findall(r"`([0-9a-f]{32})`", text_of(message))
    assert seen == expected, "every job once, in order"
    assert wire.real, "the service's tokens really were odd"
    long_tokens = len(next(iter(wire.real))) > 1900
    assert (wire.numbered > 0) == long_tokens, "only a token too long for a button goes by number"


class Broken(httpx.BaseTransport):
    """A bug below the client: something that is neither an HTTP answer nor a network error."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("internal detail that must stay in the logs")


# -- ICE -----------------------------------------------------------------------------------------


def test_ice_timeout_tells_the_user_ice_did_not_answer_in_time(
    ice_options: dict[str, Any],
) -> None:
    with local_deployment(
        environ=LAZY,
        services=quick(ice_options),
        count=50,
        faults=Faults(script=["timeout"] * 5, hang=5),
    ) as local:
        started = time.monotonic()
        url, ack, _ = local.command("failed asr")
        elapsed = time.monotonic() - started
        message = only_answer(local, url)
        assert ack["statusCode"] == 200
        assert "ICE didn't answer" in message["text"]
        assert "`Timeout`: ICE did not answer in time" in text_of(message)
        assert "try again in a minute" in text_of(message)
        assert local.ice.calls == FAST.max_attempts, "a timeout is retried, within the policy"
        assert elapsed < FAST.max_attempts * ICE_READ_TIMEOUT + 2


def test_ice_connection_refused_names_the_endpoint(ice_options: dict[str, Any]) -> None:
    port = closed_port()
    with local_deployment(
        services=quick(ice_options), count=5, environ={"ICE_ENDPOINT": f"http://127.0.0.1:{port}"}
    ) as local:
        url, _, _ = local.command("failed")
        text = text_of(only_answer(local, url))
        assert "`ConnectionError`" in text
        assert f"127.0.0.1:{port}" in text
        assert "ICE_ENDPOINT" in text
        assert local.ice.calls == 0


def test_ice_malformed_json_is_explained_and_not_retried(ice_options: dict[str, Any]) -> None:
    with local_deployment(
        services=quick(ice_options), count=20, faults=Faults(script=["malformed"])
    ) as local:
        url, _, _ = local.command("asr")
        text = text_of(only_answer(local, url))
        assert "`HTTP200`" in text and "not the API's JSON" in text
        assert local.ice.calls == 1


def test_ice_html_page_from_a_proxy_is_explained_after_the_retries(
    ice_options: dict[str, Any],
) -> None:
    with local_deployment(
        services=quick(ice_options), count=20, faults=Faults(script=["html"] * 5)
    ) as local:
        url, _, _ = local.command("asr")
        text = text_of(only_answer(local, url))
        assert "`HTTP502`" in text and "text/html" in text
        assert "A proxy or the service is failing" in text
        assert "<html>" not in text and "Tengine" not in text, "the page itself is not relayed"
        assert local.ice.calls == FAST.max_attempts


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("JobId", 12345, "`12345`"),
        ("CreateTime", "yesterday", "job 1"),
        ("Title", ["a", "list"], "(untitled)"),
        ("InputConfig", "oss://not-an-object", "oss://not-an-object"),
    ],
)
def test_ice_wrong_field_types_cost_only_that_field(
    ice_options: dict[str, Any], field: str, value: Any, shown: str
) -> None:
    bad = job(1, timedelta(minutes=3), "Failed") | {field: value}
    with local_deployment(services=quick(ice_options), jobs=[bad]) as local:
        url, _, _ = local.command("failed")
        message = only_answer(local, url)
        assert message["text"].startswith("1 failed job")
        assert shown in text_of(message), "the job arrives, read as well as it can be"
        assert local.ice.calls == 1


def test_ice_empty_list_says_nothing_was_found(ice_options: dict[str, Any]) -> None:
    with local_deployment(services=quick(ice_options), jobs=[]) as local:
        url, _, _ = local.command("failed asr")
        message = only_answer(local, url)
        assert "No failed ASR jobs" in message["text"]
        assert "No failed ASR jobs found" in text_of(message)
        assert find_button(message, "next_page") is None
        assert find_button(message, "refresh_page") is not None


def test_ice_repeated_next_token_on_next_page_is_explained(ice_options: dict[str, Any]) -> None:
    ice_options["transport"] = wire = RepeatNextToken()
    with local_deployment(services=quick(ice_options), count=200, seed=4) as local:
        url, _, _ = local.command("finished 5")
        value = find_button(only_answer(local, url), "next_page")
        assert value is not None
        local.slack.posts.clear()
        url, ack, _ = local.press("next_page", value)
        assert ack["statusCode"] == 200
        text = text_of(only_answer(local, url))
        assert "`RepeatedNextToken`" in text and "paging stopped" in text
        assert wire.rewritten == 1


def test_iter_pages_stops_on_a_repeated_token_from_the_service() -> None:
    wire = RepeatNextToken()
    with Emulator(jobs=day_of_jobs()) as ice:
        client = IceClient(
            credentials=StaticCredentials(DEMO),
            endpoint=ice.url,
            transport=wire,
            retry=FAST,
        )
        seen: list[str] = []
        with client, pytest.raises(RepeatedTokenError) as info:
            for page in client.iter_pages(max_results=100):
                seen.extend(j.job_id for j in page.smart_job_list)
    assert len(seen) == 200 and len(set(seen)) == 200, "both pages were read, once"
    assert info.value.request_id, "the error carries the RequestId of the page"
    assert "service fault" in info.value.hint


def test_digest_scan_with_a_repeated_token_posts_a_digest_with_a_note(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wire = RepeatNextToken()
    with Emulator(jobs=day_of_jobs()) as ice, SlackStub() as slack:
        client = IceClient(
            credentials=StaticCredentials(DEMO),
            endpoint=ice.url,
            transport=wire,
            retry=FAST,
        )
        with client:
            result = deliver_digest(
                client,
                WebClient(base_url=slack.api_url, retry_handlers=[]),
                channel="C0DIGEST",
                now=NOW,
                concurrency=1,  # NextToken paging: the fault is a repeated token
            )
        assert ice.calls_for("ListSmartJobs") == 2, "the scan stops at the repeated token"
        assert ice.calls_for("GetSmartHandleJob") == 5, "one lookup per failure shown"
        (post,) = slack.calls("chat.postMessage")
    assert result.posted and result.kind == "digest" and result.jobs == 200
    assert "page token it had already given" in text_of(post.body)
    assert any("RepeatedNextToken" in m for m in errors_from(caplog, "bot.digest"))


def test_ice_throttling_past_the_deadline_gives_up_in_time(ice_options: dict[str, Any]) -> None:
    deadline = 0.5
    ice_options["retry"] = RetryPolicy(
        max_attempts=1000, base_delay=0.02, max_delay=0.05, deadline=deadline
    )
    with local_deployment(
        services=quick(ice_options), count=20, faults=Faults(throttle_rate=1.0)
    ) as local:
        started = time.monotonic()
        url, _, _ = local.command("failed")
        elapsed = time.monotonic() - started
        text = text_of(only_answer(local, url))
        assert "`Throttling.User`" in text and "throttling" in text
        assert 2 <= local.ice.calls < 1000, "retried, then stopped by the deadline"
        assert elapsed < deadline + 1.5


class ExpiringSts:
    """STS credentials that are valid for the first ``valid_for`` requests, then expired.

    ``service_says`` is what ICE answers to the stale token: the emulator itself knows
    one current token per key and calls any other ``Malformed``; the real service says
    ``InvalidSecurityToken.Expired`` for a token past its lifetime, scripted here.
    """

    KEY = "faults-sts-id"
    SECRET = "faults-sts-secret"
    CURRENT = "faults-sts-token-current"
    EXPIRED = "faults-sts-token-expired"

    def __init__(self, ice: Emulator, valid_for: int, service_says: str | None) -> None:
        self.ice, self.valid_for, self.service_says = ice, valid_for, service_says
        self.asked = 0

    def get_credentials(self) -> Credentials:
        self.asked += 1
        if self.asked <= self.valid_for:
            return Credentials(self.KEY, self.SECRET, self.CURRENT)
        if self.service_says:
            self.ice.faults.script.append(self.service_says)
        return Credentials(self.KEY, self.SECRET, self.EXPIRED)


@pytest.fixture
def sts_ice() -> Iterator[Emulator]:
    with Emulator(
        jobs=day_of_jobs(),
        credentials={ExpiringSts.KEY: ExpiringSts.SECRET},
        security_tokens={ExpiringSts.KEY: ExpiringSts.CURRENT},
    ) as ice:
        yield ice


@pytest.mark.parametrize(
    ("service_says", "code", "hint"),
    [
        (None, "InvalidSecurityToken.Malformed", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        ("InvalidSecurityToken.Expired", "InvalidSecurityToken.Expired", "has expired"),
    ],
)
def test_credentials_expiring_mid_scan_raise_a_typed_error_with_a_hint(
    sts_ice: Emulator, service_says: str | None, code: str, hint: str
) -> None:
    credentials = ExpiringSts(sts_ice, valid_for=2, service_says=service_says)
    with (
        IceClient(credentials=credentials, endpoint=sts_ice.url, retry=FAST) as client,
        pytest.raises(IceAuthError) as info,
    ):
        build_digest(client, now=NOW, concurrency=1)
    assert sts_ice.calls == 3, "two pages read, the third refused, and not retried"
    assert info.value.code == code and hint in info.value.hint
    assert ExpiringSts.EXPIRED not in str(info.value) + repr(info.value)


def test_credentials_expiring_mid_scan_post_one_notice_and_log_the_cause(
    sts_ice: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    credentials = ExpiringSts(sts_ice, valid_for=2, service_says="InvalidSecurityToken.Expired")
    with (
        SlackStub() as slack,
        IceClient(credentials=credentials, endpoint=sts_ice.url, retry=FAST) as client,
    ):
        result = deliver_digest(
            client,
            WebClient(base_url=slack.api_url, retry_handlers=[]),
            channel="C0DIGEST",
            now=NOW,
        )
        (post,) = slack.posts
    assert result == DeliveryResult(
        posted=True, ts=result.ts, error="ice:InvalidSecurityToken.Expired", kind="ice_error"
    )
    assert "could not be built" in post.body["text"]
    assert "The STS token has expired" in text_of(post.body)
    (logged,) = errors_from(caplog, "bot.digest")
    assert "InvalidSecurityToken.Expired" in logged and "refresh the role credentials" in logged


def test_unexpected_failure_below_the_client_is_logged_not_shown(
    ice_options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    ice_options["transport"] = Broken()
    with local_deployment(services=quick(ice_options), count=5) as local:
        url, _, _ = local.command("failed")
        text = text_of(only_answer(local, url))
    assert "Something went wrong" in text
    assert "internal detail" not in text and "RuntimeError" not in text
    (record,) = [r for r in caplog.records if r.name == "bot.slack" and r.exc_info]
    assert "internal detail" in logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]


def test_unexpected_failure_while_building_the_digest_is_answered(
    ice_options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    ice_options["transport"] = Broken()
    with local_deployment(services=quick(ice_options), count=5) as local:
        url, _, _ = local.command("digest")
        notice, error = local.answers(url)
        assert "Building the digest" in notice["text"], "the ack says the scan takes a moment"
        text = text_of(error)
    assert "Something went wrong" in text and "internal detail" not in text
    assert any(r.name == "bot.slack" and r.exc_info for r in caplog.records)


# -- Slack ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, "expired_url", "HTTP 404 expired_url; it has expired or was used 5 times"),
        (404, "used_url", "HTTP 404 used_url; it has expired or was used 5 times"),
        (500, "internal_error", "HTTP 500 internal_error; not retried"),
    ],
)
def test_response_url_refusing_the_answer_is_logged_once_and_not_retried(
    caplog: pytest.LogCaptureFixture, status: int, body: str, expected: str
) -> None:
    with local_deployment(environ=LAZY, count=30) as local:
        local.slack.response_status, local.slack.response_body = status, body
        url, ack, ran = run_command(local, "failed asr 3")
        assert ack["statusCode"] == 200 and ran == 1
        assert len(local.slack.to(url)) == 1, "posted once, not retried"
        assert len(local.slack.posts) == 1
        assert local.ice.calls == 1
    (logged,) = errors_from(caplog, "bot.slack")
    assert "answer not delivered: Slack's response_url answered " + expected in logged
    assert url.rsplit("/", 1)[-1] not in logged, "the response_url path is a capability"


def test_response_url_timing_out_is_logged_once_and_not_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(delivery, "RESPONSE_URL_TIMEOUT", 0.3)
    with local_deployment(environ=LAZY, count=30) as local:
        local.slack.response_delay = 10
        started = time.monotonic()
        url, ack, ran = run_command(local, "failed asr 3")
        elapsed = time.monotonic() - started
        assert ack["statusCode"] == 200 and ran == 1
        assert len(local.slack.to(url)) == 1 and len(local.slack.posts) == 1
    assert elapsed < 3, "bounded by RESPONSE_URL_TIMEOUT, not Bolt's 30 s"
    (logged,) = errors_from(caplog, "bot.slack")
    assert "did not answer (TimeoutError - timed out)" in logged


def test_ice_error_and_a_dead_response_url_are_both_logged(
    ice_options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with local_deployment(
        environ=LAZY, services=quick(ice_options), count=5, faults=Faults(script=["Forbidden.RAM"])
    ) as local:
        local.slack.response_status, local.slack.response_body = 404, "expired_url"
        url, _, ran = run_command(local, "failed")
        assert ran == 1 and len(local.slack.to(url)) == 1 and len(local.slack.posts) == 1
    logged = errors_from(caplog, "bot.slack")
    assert any("Forbidden.RAM" in m for m in logged)
    assert any("expired_url" in m for m in logged)


def test_button_answer_to_an_expired_response_url_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with local_deployment(count=30) as local:
        url, _, _ = local.command("3")
        value = find_button(local.answers(url)[0], "next_page")
        assert value is not None
        local.slack.posts.clear()
        local.slack.response_status, local.slack.response_body = 404, "expired_url"
        url, ack, _ = local.press("next_page", value)
        assert ack["statusCode"] == 200
        assert len(local.slack.to(url)) == 1 and len(local.slack.posts) == 1
    assert any("expired_url" in m for m in errors_from(caplog, "bot.slack"))


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
def test_share_refused_by_chat_post_message_is_answered_once(
    caplog: pytest.LogCaptureFixture, error: str
) -> None:
    with local_deployment(count=30) as local:
        url, _, _ = local.command("3")
        value = find_button(local.answers(url)[0], "share_page")
        assert value is not None
        local.slack.posts.clear()
        local.slack.api_errors["chat.postMessage"] = error
        url, _, _ = local.press("share_page", value)
        assert len(local.slack.calls("chat.postMessage")) == 1, "not retried"
        (answer,) = local.slack.to(url)
        assert len(local.slack.posts) == 2
    assert answer.body["replace_original"] is False, "the list stays; the refusal is added"
    text = text_of(answer.body)
    assert "Couldn't share to the channel" in text and f"`{error}`" in text
    assert any(error in m for m in errors_from(caplog, "bot.slack"))


def test_share_with_slack_web_api_unreachable_is_answered_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    with local_deployment(
        count=30, environ={"SLACK_API_URL": f"http://127.0.0.1:{port}/api/"}
    ) as local:
        url, _, _ = local.command("3")
        value = find_button(local.answers(url)[0], "share_page")
        assert value is not None
        local.slack.posts.clear()
        url, _, _ = local.press("share_page", value)
        (answer,) = local.slack.to(url)
        assert len(local.slack.posts) == 1
    text = text_of(answer.body)
    assert "Couldn't share to the channel" in text and "Web API did not answer" in text
    assert any("SLACK_API_URL" in m for m in errors_from(caplog, "bot.slack"))


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("not_in_channel", "/invite @smartjobs"),
        ("channel_not_found", "DIGEST_CHANNEL"),
        ("invalid_auth", "SLACK_BOT_TOKEN"),
    ],
)
def test_digest_refused_by_chat_post_message_is_logged_and_not_retried(
    caplog: pytest.LogCaptureFixture, error: str, hint: str
) -> None:
    with (
        Emulator(jobs=day_of_jobs(30)) as ice,
        SlackStub(api_errors={"chat.postMessage": error}) as slack,
    ):
        with IceClient(
            credentials=StaticCredentials(DEMO),
            endpoint=ice.url,
            retry=FAST,
        ) as client:
            result = deliver_digest(
                client,
                WebClient(base_url=slack.api_url, retry_handlers=[]),
                channel="C0DIGEST",
                now=NOW,
            )
        assert len(slack.calls("chat.postMessage")) == 1
        assert len(slack.posts) == 1
    assert result == DeliveryResult(posted=False, error=f"slack:{error}")
    (logged,) = errors_from(caplog, "bot.slack")
    assert logged.startswith("digest not posted")
    assert "C0DIGEST" in logged and error in logged and hint in logged


def test_button_for_a_region_that_is_not_allowed_is_refused_without_ice() -> None:
    other = button_value.encode(Query(region="cn-beijing"))
    with local_deployment(count=5, environ={"ALLOWED_REGIONS": "cn-shanghai"}) as local:
        url, ack, _ = local.press("next_page", other)
        assert ack["statusCode"] == 200
        text = text_of(only_answer(local, url))
        assert "That button no longer works" in text and "region is not allowed" in text
        assert local.ice.calls == 0


@pytest.mark.parametrize(
    ("error", "headline"),
    [
        ("CredentialsError", "No Alibaba Cloud credentials"),
        ("IceAuthError", "ICE refused the credentials"),
        ("IceParameterError", "ICE rejected the request"),
        ("IceThrottledError", "ICE is throttling requests"),
        ("IceTransportError", "ICE didn't answer"),
        ("IceProtocolError", "ICE sent an unexpected answer"),
        ("IceServiceError", "ICE returned an error"),
    ],
)
def test_the_headline_names_what_kind_of_failure_it_was(error: str, headline: str) -> None:
    import bot.ice
    from bot.render import ice_error_message

    message = ice_error_message(
        getattr(bot.ice, error)("SomeCode", "some message", request_id="RID-1")
    )
    assert headline in message["text"]
    assert "RID-1" in json.dumps(message)


@pytest.mark.parametrize(
    ("action", "fault"),
    [
        ("next_page", "Throttling.User"),
        ("refresh_page", "Throttling.User"),
        ("next_page", "InvalidParameter"),
        ("share_page", "ServiceUnavailable"),
    ],
)
def test_a_failed_click_keeps_the_list_and_answers_beside_it(
    ice_options: dict[str, Any], action: str, fault: str
) -> None:
    with local_deployment(services=quick(ice_options), count=60) as local:
        url, _, _ = local.command("finished 5")
        value = find_button(only_answer(local, url), action)
        assert value is not None
        local.slack.posts.clear()
        local.ice.faults.script.extend([fault] * FAST.max_attempts)
        url, ack, _ = local.press(action, value)
        assert ack["statusCode"] == 200
        error = only_answer(local, url)
        assert error["replace_original"] is False, "the list the button was on stays"
        assert error["text"].startswith("⚠️")
        assert fault in text_of(error)
        assert not local.slack.calls("chat.postMessage"), "nothing half-shared"


def test_a_fixed_sts_token_that_expired_says_so(ice_options: dict[str, Any]) -> None:
    env = {"ALIBABA_CLOUD_SECURITY_TOKEN": "faults-sts-token-expired"}
    with local_deployment(
        services=quick(ice_options),
        count=20,
        environ=env,
        faults=Faults(script=["InvalidSecurityToken.Expired"]),
    ) as local:
        url, _, _ = local.command("failed")
        text = text_of(only_answer(local, url))
    assert "ALIBABA_CLOUD_SECURITY_TOKEN is a fixed STS token and it has expired" in text
    assert "ALIBABA_CLOUD_ROLE_ARN" in text
    assert "faults-sts-token-expired" not in text
