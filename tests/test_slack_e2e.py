"""The product end to end: signed Slack requests -> lambda_handler (ack) -> recorded lazy
self-invoke -> lambda_handler again -> ICE emulator over HTTP -> local Slack response_url."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.ice.emulator import Faults
from bot.local import block_actions_body, function_url_event, sign_slack, slash_command_body
from bot.local.demo import LocalDeployment, local_deployment
from bot.render._slack_text import find_button

JOB_ID = re.compile(r"`([0-9a-f]{32})`")


@pytest.fixture
def local() -> Iterator[LocalDeployment]:
    with local_deployment(count=400, seed=11, total_count=True) as deployment:
        yield deployment


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def job_ids(message: dict[str, Any]) -> list[str]:
    return JOB_ID.findall(blocks_text(message))


def answer(local: LocalDeployment, url: str) -> dict[str, Any]:
    """The one message the request was answered with: in its ack, or on its response_url."""
    shown = local.answers(url)
    assert len(shown) == 1, f"expected exactly one answer, got {len(shown)}"
    return shown[0]


def expected_ids(local: LocalDeployment, job_type: str, state: str) -> list[str]:
    return [
        j["JobId"]
        for j in local.ice.jobs
        if j.get("JobType") == job_type and j.get("JobState") == state
    ]


def test_full_loop_pages_through_every_job_exactly_once(local: LocalDeployment) -> None:
    expected = [j["JobId"] for j in local.ice.jobs if j.get("JobState") == "Failed"]
    assert len(expected) > 20, "the dataset must need several pages"
    url, ack, _ = local.command("failed 7")
    assert ack["statusCode"] == 200
    message = answer(local, url)
    seen = job_ids(message)
    pages = 1
    while (value := find_button(message, "next_page")) is not None:
        url, ack, _ = local.press("next_page", value)
        assert ack["statusCode"] == 200
        message = answer(local, url)
        assert message.get("replace_original") is True
        seen += job_ids(message)
        pages += 1
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert pages == -(-len(expected) // 7)
    assert find_button(message, "next_page") is None


def test_first_page_says_what_it_found(local: LocalDeployment) -> None:
    url, _, _ = local.command("Failed ASR")
    message = answer(local, url)
    total = len(expected_ids(local, "ASR", "Failed"))
    assert message["response_type"] == "ephemeral"
    assert "failed" in message["text"].lower() and "asr" in message["text"].lower()
    assert f"of {total}" in blocks_text(message)
    assert message["blocks"][0]["type"] == "header"


def test_a_fast_ice_answers_in_the_ack_itself(local: LocalDeployment) -> None:
    url, ack, _ = local.command("failed 5")
    page = json.loads(ack["body"])
    assert page["response_type"] == "ephemeral" and page["blocks"][0]["type"] == "header"
    assert local.lam.invoked == 0, "answered inline: no lazy run"
    assert local.slack.to(url) == [], "and nothing on the response_url"
    assert local.ice.calls == 1
    value = find_button(page, "next_page")
    assert value is not None
    url, ack, _ = local.press("next_page", value)
    assert ack.get("body", "") == "" and local.lam.invoked == 0
    (second,) = local.slack.to(url)
    assert second.body["replace_original"] is True, "a click's page replaces the one it was on"


def test_a_slow_ice_falls_back_to_the_lazy_run_and_answers_once() -> None:
    env = {"INLINE_BUDGET": "0.6"}
    with local_deployment(count=50, environ=env, faults=Faults(latency=0.8)) as local:
        url = local.slack.response_url()
        ack, _, ran = local.send(slash_command_body("failed", response_url=url))
        assert ack.get("body", "") == "", "not ready within the budget: a silent ack"
        assert ran == 1
        (answer_post,) = local.slack.to(url)
        assert answer_post.body["blocks"][0]["type"] == "header"


def test_without_inline_answers_the_ack_is_empty_and_the_lazy_event_is_recorded_then_run() -> None:
    from bot.local import LambdaContext

    with local_deployment(count=50, environ={"INLINE_BUDGET": "0"}) as local:
        body = slash_command_body("failed asr", response_url=local.slack.response_url())
        event = function_url_event(body, sign_slack(local.secret, body))
        ack = local.handler(event, LambdaContext())
        assert ack["statusCode"] == 200
        assert ack.get("body", "") == ""
        assert len(local.lam.pending) == 1
        lazy = local.lam.pending[0]
        assert lazy["smartjobs_lazy"] == {"function": "run_list"}
        assert local.ice.calls == 0, "nothing slow on the ack path"
        assert local.lam.run_pending(local.handler, LambdaContext()) == 1
        assert local.ice.calls == 1


def test_refresh_answers_the_same_page_again(local: LocalDeployment) -> None:
    url, _, _ = local.command("failed asr 3")
    first = answer(local, url)
    value = find_button(first, "refresh_page")
    assert value is not None
    url, _, _ = local.press("refresh_page", value)
    again = answer(local, url)
    assert job_ids(again) == job_ids(first)


def test_share_posts_the_page_to_the_channel_with_who_shared_it(local: LocalDeployment) -> None:
    url, _, _ = local.command("failed asr 3")
    value = find_button(answer(local, url), "share_page")
    assert value is not None
    local.press("share_page", value)
    posts = local.slack.calls("chat.postMessage")
    assert len(posts) == 1
    shared = posts[0].body
    assert shared["channel"] == "C0DEMO"
    assert "<@U0DEMO>" in blocks_text(shared)
    assert find_button(shared, "next_page") is None, "a shared page has no private buttons"
    assert posts[0].headers["authorization"] == "Bearer xoxb-smartjobs-demo-token"


def test_share_refused_by_slack_explains_how_to_fix(local: LocalDeployment) -> None:
    local.slack.api_errors["chat.postMessage"] = "not_in_channel"
    url, _, _ = local.command("failed asr 3")
    value = find_button(answer(local, url), "share_page")
    assert value is not None
    url, _, _ = local.press("share_page", value)
    refusal = answer(local, url)
    assert "not_in_channel" in blocks_text(refusal)
    assert "/invite" in blocks_text(refusal)


def forged(secret: str, body: str) -> dict[str, str]:
    headers = sign_slack(secret, body)
    return {**headers, "x-slack-signature": "v0=" + "0" * 64}


def stale(secret: str, body: str) -> dict[str, str]:
    return sign_slack(secret, body, int(time.time()) - 6 * 60)  # validly signed, too old


def other_secret(secret: str, body: str) -> dict[str, str]:
    return sign_slack("not-" + secret, body)


@pytest.mark.parametrize("headers_for", [forged, stale, other_secret])
def test_forged_or_stale_requests_get_401_and_touch_nothing(
    local: LocalDeployment, headers_for: Any
) -> None:
    from bot.local import LambdaContext

    body = slash_command_body("failed asr", response_url=local.slack.response_url())
    ack = local.handler(function_url_event(body, headers_for(local.secret, body)), LambdaContext())
    assert ack["statusCode"] == 401
    assert local.lam.invoked == 0
    assert local.ice.calls == 0
    assert local.slack.posts == []


def test_typo_is_answered_in_the_ack_with_a_suggestion(local: LocalDeployment) -> None:
    url, ack, _ = local.command("faild asr")
    body = json.loads(ack["body"])
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body)
    assert "faild" in text and "failed" in text
    assert local.lam.invoked == 0 and local.ice.calls == 0
    assert local.slack.to(url) == []


def test_help_is_answered_in_the_ack(local: LocalDeployment) -> None:
    _, ack, _ = local.command("help")
    text = json.dumps(json.loads(ack["body"]))
    assert "since:" in text and "limit" in text
    assert local.ice.calls == 0


def test_throttled_ice_still_answers() -> None:
    with local_deployment(
        count=200, seed=3, faults=Faults(script=["Throttling", "InternalError"])
    ) as local:
        url, _, _ = local.command("asr")
        message = answer(local, url)
        assert len(job_ids(message)) > 0
        assert local.ice.calls == 3


def test_bad_credentials_get_a_clear_message_without_the_secret() -> None:
    wrong = "definitely-wrong-secret-value"
    with local_deployment(count=50, environ={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": wrong}) as local:
        url, _, _ = local.command("failed")
        message = answer(local, url)
        text = json.dumps(message)
        assert "ICE refused the credentials" in message["text"]
        assert "SignatureDoesNotMatch" in text
        assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in text
        assert wrong not in text
        assert local.ice.calls == 1, "auth errors are not retried"


HOSTILE = {
    "JobId": "0123456789abcdef0123456789abcdef",
    "Title": "<!channel> deploy & <@U0ADMIN> *now* <https://evil.example|click>",
    "JobType": "ASR",
    "JobState": "Failed",
    "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60)),
    "InputConfig": {"InputFile": "oss://b/<!here>.mp4"},
}


def test_hostile_job_data_is_escaped() -> None:
    with local_deployment(jobs=[HOSTILE]) as local:
        url, _, _ = local.command("failed asr")
        message = answer(local, url)
        text = json.dumps(message, ensure_ascii=False)
        assert "<!channel>" not in text and "<@U0ADMIN>" not in text and "<!here>" not in text
        assert "&lt;!channel&gt;" in text
        assert "<https://evil.example" not in text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("not json at all", id="garbage"),
        pytest.param('{"q": "state:failed limit:500"}', id="limit-out-of-bounds"),
        pytest.param("x" * 2500, id="oversized"),
        pytest.param('{"q": "region:xx-nowhere-9"}', id="bad-region"),
    ],
)
def test_tampered_button_values_get_a_friendly_error(local: LocalDeployment, value: str) -> None:
    url, ack, _ = local.press("next_page", value)
    assert ack["statusCode"] == 200
    message = answer(local, url)
    assert "button" in json.dumps(message).lower()
    assert local.ice.calls == 0


def test_unknown_actions_such_as_link_buttons_are_acked(local: LocalDeployment) -> None:
    _, ack, _ = local.press("open_console_link", "")
    assert ack["statusCode"] == 200
    assert local.lam.invoked == 0


def test_not_allowed_user_is_refused_on_commands_and_buttons() -> None:
    with local_deployment(count=50, environ={"ALLOWED_USER_IDS": "U0SOMEONE,U0ELSE"}) as local:
        _, ack, _ = local.command("failed")
        assert "not allowed" in ack["body"]
        assert local.lam.invoked == 0, "a refused command is answered in its ack"
        url, ack, _ = local.press("next_page", '{"q": "state:failed"}')
        assert ack["statusCode"] == 200 and ack.get("body", "") == "", "acked first"
        refusal = answer(local, url)
        assert "not allowed" in json.dumps(refusal)
        assert refusal["replace_original"] is False, "the list the button was on stays"
        assert local.ice.calls == 0


@pytest.mark.parametrize(
    "variable", ["ALLOWED_TEAM_IDS", "ALLOWED_CHANNEL_IDS", "ALLOWED_USER_IDS"]
)
def test_each_allow_list_admits_who_it_names(variable: str) -> None:
    ids = {
        "ALLOWED_TEAM_IDS": "T0DEMO",
        "ALLOWED_CHANNEL_IDS": "C0DEMO",
        "ALLOWED_USER_IDS": "U0DEMO",
    }
    with local_deployment(count=50, environ={variable: ids[variable] + ",X1"}) as local:
        url, _, _ = local.command("asr")
        assert job_ids(answer(local, url))


def test_region_outside_allowed_regions_is_refused(local: LocalDeployment) -> None:
    with local_deployment(count=50, environ={"ALLOWED_REGIONS": "cn-shanghai"}) as restricted:
        _, ack, _ = restricted.command("region:cn-beijing failed")
        assert "cn-beijing" in ack["body"] and "not allowed" in ack["body"]
        assert restricted.ice.calls == 0


def rest_v1_event(body: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "resource": "/slack/events",
        "path": "/slack/events",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/x-www-form-urlencoded", **headers},
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "requestContext": {"resourcePath": "/slack/events", "httpMethod": "POST", "stage": "prod"},
        "body": base64.b64encode(body.encode()).decode(),
        "isBase64Encoded": True,
    }


def test_rest_v1_events_are_served_too(local: LocalDeployment) -> None:

    url = local.slack.response_url()
    body = slash_command_body("failed asr", response_url=url)
    ack, _, _ = local.deliver(rest_v1_event(body, sign_slack(local.secret, body)), url)
    assert ack["statusCode"] == 200
    assert job_ids(answer(local, url))


def test_interactive_payload_with_plain_body_is_served(local: LocalDeployment) -> None:

    url = local.slack.response_url()
    body = block_actions_body(
        "refresh_page", '{"q": "state:failed type:asr limit:2"}', response_url=url
    )
    ack, _, _ = local.deliver(
        function_url_event(body, sign_slack(local.secret, body), base64_body=False), url
    )
    assert ack["statusCode"] == 200
    assert len(job_ids(answer(local, url))) == 2
