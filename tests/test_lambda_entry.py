"""handler.app.lambda_handler at the edges: the schedule, a refused self-invoke, secrets at
cold start, and what the ack path must never load."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

import handler.app as entry
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from bot.local import (
    LambdaContext,
    function_url_event,
    schedule_event,
    sign_slack,
    slash_command_body,
)
from bot.local.demo import DEMO_BOT_TOKEN, DEMO_SIGNING_SECRET, local_deployment
from bot.render._slack_text import find_button
from handler import _schedule

AWS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def test_refused_self_invoke_still_answers_and_logs_the_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with local_deployment(count=60, environ={"INLINE_BUDGET": "0"}) as local:
        local.lam.refuse = True
        with caplog.at_level(logging.ERROR, logger="bot.lambda"):
            url, ack, _ = local.command("failed")
        assert ack["statusCode"] == 200
        answers = local.slack.to(url)
        assert len(answers) == 1, "answered inline, exactly once"
        assert answers[0].body["blocks"][0]["type"] == "header"
    assert any("lambda:InvokeFunction" in r.getMessage() for r in caplog.records)


def test_schedule_posts_one_digest_per_window_even_when_delivered_twice(
    dynamodb_table: str,
) -> None:
    env = {"DIGEST_CHANNEL": "C0DIGEST", "DIGEST_TABLE": dynamodb_table}
    with local_deployment(count=200, environ=env) as local:
        event = schedule_event()
        first = local.handler(event, LambdaContext())
        again = local.handler(dict(event, id="redelivered"), LambdaContext())
        posts = local.slack.calls("chat.postMessage")
    assert first["statusCode"] == 200 and again["statusCode"] == 200
    assert len(posts) == 1
    assert posts[0].body["channel"] == "C0DIGEST"
    assert "jobs" in posts[0].body["text"]
    assert again["body"] == "duplicate"


def test_schedule_without_a_channel_is_logged_not_posted(caplog: pytest.LogCaptureFixture) -> None:
    with local_deployment(count=20) as local, caplog.at_level(logging.WARNING):
        result = local.handler(schedule_event(), LambdaContext())
        assert local.slack.posts == []
    assert result["statusCode"] == 200
    assert any("DIGEST_CHANNEL" in r.getMessage() for r in caplog.records)


def test_secrets_unreachable_at_cold_start_then_recovered(
    moto_server: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    boto = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    # The set-up's own boto3 DEBUG log would echo the secret being created; the product's
    # logs are what the suite-wide secret watch is for.
    botocore_log = logging.getLogger("botocore")
    level = botocore_log.level
    botocore_log.setLevel(logging.WARNING)
    arn = boto.create_secret(
        Name="smartjobs-entry",
        SecretString=json.dumps(
            {
                "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
                "SLACK_BOT_TOKEN": DEMO_BOT_TOKEN,
                "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
            }
        ),
    )["ARN"]
    botocore_log.setLevel(level)
    for name, value in {
        **AWS,
        "SECRETS_ARN": arn,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(entry, "runtime", None)
    monkeypatch.setattr(entry, "config_error", None)

    with caplog.at_level(logging.ERROR):
        refused = entry.lambda_handler(
            {"requestContext": {"http": {"method": "POST"}}}, LambdaContext()
        )
    assert refused["statusCode"] == 500
    assert DEMO_SIGNING_SECRET not in refused["body"]
    assert any("SECRETS_ARN" in r.getMessage() for r in caplog.records)

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_server)  # Secrets Manager is back
    answered = entry.lambda_handler(
        {"requestContext": {"http": {"method": "GET"}}}, LambdaContext()
    )
    assert answered["statusCode"] == 404  # booted from the secret: a GET is simply not ours
    assert entry.runtime is not None
    assert entry.runtime.settings.slack_bot_token == DEMO_BOT_TOKEN
    entry.runtime.services.close()


@pytest.mark.parametrize(
    ("budget", "loaded"),
    [
        ("0", []),  # a silent ack: the ICE client and models wait for the lazy run
        ("2", ["bot.ice._models", "bot.ice._reader", "bot.ice._client"]),  # the page in the ack
    ],
)
def test_the_ack_path_loads_neither_boto3_nor_the_credentials_chain(
    budget: str, loaded: list[str]
) -> None:
    script = """
import json, sys
from bot.local.demo import local_deployment
from bot.local import LambdaContext, function_url_event, sign_slack, slash_command_body
with local_deployment(count=10, environ={"INLINE_BUDGET": sys.argv[1]}) as local:
    body = slash_command_body("failed asr", response_url=local.slack.response_url())
    ack = local.handler(function_url_event(body, sign_slack(local.secret, body)), LambdaContext())
    assert ack["statusCode"] == 200
    heavy = ("boto3", "botocore.client", "alibabacloud_credentials", "aiohttp", "bot.ice._models", "bot.ice._reader", "bot.ice._client")
    print(json.dumps([m for m in heavy if m in sys.modules]))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, budget],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == loaded


# -- the digest under faults -------------------------------------------------------------------

WIRE = "%Y-%m-%dT%H:%M:%SZ"
DIGEST_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def job(n: int, created: datetime, state: str = "Failed") -> dict[str, Any]:
    return {
        "JobId": f"{n:032x}",
        "Title": f"job {n}",
        "JobType": "ASR",
        "JobState": state,
        "CreateTime": created.strftime(WIRE),
    }


def window_dataset() -> list[dict[str, Any]]:
    """Failures after the digest's window (30), in it (25, with finished jobs between), and
    before it (20)."""
    newer = [job(i, DIGEST_AT + timedelta(minutes=5 + i)) for i in range(30)]
    inside = [job(100 + i, DIGEST_AT - timedelta(minutes=30 * i + 1)) for i in range(25)]
    finished = [
        job(200 + i, DIGEST_AT - timedelta(minutes=17 * i + 2), "Finished") for i in range(40)
    ]
    older = [job(300 + i, DIGEST_AT - timedelta(hours=25, minutes=i)) for i in range(20)]
    return newer + inside + finished + older


def test_show_failed_lists_the_digests_own_window_hours_later(dynamodb_table: str) -> None:
    env = {"DIGEST_CHANNEL": "C0DIGEST", "DIGEST_TABLE": dynamodb_table}
    with local_deployment(jobs=window_dataset(), environ=env) as local:
        local.handler(schedule_event(DIGEST_AT.strftime(WIRE)), LambdaContext())
        (digest,) = local.slack.calls("chat.postMessage")
        assert digest.body["text"].startswith("Last 24 h: 65 jobs, 25 failed")
        value = find_button(digest.body, "show_failed")
        assert value is not None
        url, _, _ = local.press("show_failed", value)
        seen: list[str] = []
        pages = 0
        while True:
            (answer,) = local.slack.to(url)
            pages += 1
            seen += re.findall(r"`([0-9a-f]{32})`", json.dumps(answer.body["blocks"]))
            assert "24 h to" in answer.body["blocks"][0]["text"]["text"]
            following = find_button(answer.body, "next_page")
            if following is None:
                break
            url, _, _ = local.press("next_page", following)
    assert seen == [f"{100 + i:032x}" for i in range(25)], "exactly the window's failures"
    assert pages == 3


def test_time_running_out_posts_a_partial_digest_with_a_note(dynamodb_table: str) -> None:
    env = {"DIGEST_CHANNEL": "C0DIGEST", "DIGEST_TABLE": dynamodb_table, "SCAN_CONCURRENCY": "1"}
    with local_deployment(count=5000, seed=3, environ=env) as local:
        # ICE is slow: each page costs 20 s of the invocation's 60.
        context = LambdaContext(remaining_ms=lambda: max(60_000 - 20_000 * local.ice.calls, 500))
        result = local.handler(schedule_event(), context)
        (post,) = local.slack.calls("chat.postMessage")
        assert local.ice.calls == 3
    assert result["statusCode"] == 200
    assert "(newest 300 jobs only)" in post.body["text"]
    assert "time ran out" in json.dumps(post.body["blocks"])


def test_a_slack_outage_fails_the_invocation_and_lambdas_retry_posts_once(
    dynamodb_table: str,
) -> None:
    env = {"DIGEST_CHANNEL": "C0DIGEST", "DIGEST_TABLE": dynamodb_table}
    with local_deployment(count=100, environ=env) as local:
        local.slack.api_replies["chat.postMessage"] = [{"status": 503}]
        event = schedule_event()
        with pytest.raises(_schedule.DigestNotPosted):
            local.handler(event, LambdaContext())
        retried = local.handler(event, LambdaContext())  # Lambda's own retry of the event
        again = local.handler(event, LambdaContext())  # and a duplicate delivery after that
        posts = local.slack.calls("chat.postMessage")
    assert len(posts) == 2, "the refused post and the retry's"
    assert retried["body"] == "posted" and again["body"] == "duplicate"


def test_an_ice_failure_notice_is_posted_once_across_redeliveries(dynamodb_table: str) -> None:
    env = {
        "DIGEST_CHANNEL": "C0DIGEST",
        "DIGEST_TABLE": dynamodb_table,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "definitely-wrong-secret-value",
    }
    with local_deployment(count=50, environ=env) as local:
        event = schedule_event()
        first = local.handler(event, LambdaContext())
        again = local.handler(event, LambdaContext())
        (notice,) = local.slack.calls("chat.postMessage")
    assert first["body"] == "ice:SignatureDoesNotMatch" and again["body"] == "duplicate"
    assert notice.body["text"].startswith("The digest for the last 24 h could not be built")


# -- every Slack request answered once --------------------------------------------------------


def test_a_lazy_event_delivered_twice_is_answered_once(dynamodb_table: str) -> None:
    with local_deployment(
        count=40, environ={"DIGEST_TABLE": dynamodb_table, "INLINE_BUDGET": "0"}
    ) as local:
        url = local.slack.response_url()
        body = slash_command_body("failed", response_url=url)
        local.handler(function_url_event(body, sign_slack(local.secret, body)), LambdaContext())
        (lazy,) = local.lam.pending
        local.handler(lazy, LambdaContext())
        local.handler(json.loads(json.dumps(lazy)), LambdaContext())  # Lambda's retry
        assert len(local.slack.to(url)) == 1


def test_a_self_invoke_that_timed_out_after_lambda_took_it_answers_once(
    dynamodb_table: str,
) -> None:
    with local_deployment(
        count=40, environ={"DIGEST_TABLE": dynamodb_table, "INLINE_BUDGET": "0"}
    ) as local:
        local.lam.lose_answer = True
        url = local.slack.response_url()
        # The ack answers inline; then Lambda runs the event it took after all.
        ack, _, ran = local.send(slash_command_body("failed", response_url=url))
        assert ack["statusCode"] == 200 and ran == 1
        (answer,) = local.slack.to(url)
        assert answer.body["blocks"][0]["type"] == "header"


def test_a_lazy_run_that_died_before_answering_is_taken_over_by_the_retry(
    dynamodb_table: str,
) -> None:
    from bot.aws import AwsClient
    from bot.store.claims import DynamoClaims

    with local_deployment(
        count=40, environ={"DIGEST_TABLE": dynamodb_table, "INLINE_BUDGET": "0"}
    ) as local:
        url = local.slack.response_url()
        body = slash_command_body("failed", response_url=url)
        local.handler(function_url_event(body, sign_slack(local.secret, body)), LambdaContext())
        (lazy,) = local.lam.pending
        key = hashlib.sha256(lazy["headers"]["x-slack-signature"].encode()).hexdigest()[:32]
        claims = DynamoClaims(dynamodb_table, AwsClient)
        assert claims.begin(f"{key}#run_list", busy_for=-1)  # a run that started and died
        local.handler(lazy, LambdaContext())
        assert len(local.slack.to(url)) == 1, "the retry answered"
        assert not claims.begin(f"{key}#run_list", busy_for=60), "and marked it answered"


# -- a rotated secret ---------------------------------------------------------------------------

ROTATED = "rotated-signing-secret-value"


@pytest.fixture
def rotate_secret(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The deployment's settings in a Secrets Manager secret on moto's server (the handler
    boots from it on its next invocation); calling the fixture's value rotates the signing
    secret to ``ROTATED``."""
    botocore_log = logging.getLogger("botocore")
    level = botocore_log.level
    botocore_log.setLevel(logging.WARNING)  # boto3's DEBUG log would echo the secret
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    values = {
        "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
        "SLACK_BOT_TOKEN": DEMO_BOT_TOKEN,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
    }
    arn = client.create_secret(Name=f"smartjobs-{time.time_ns()}", SecretString=json.dumps(values))[
        "ARN"
    ]
    for name, value in {
        **AWS,
        "SECRETS_ARN": arn,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_server,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SECRETS_TTL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(entry, "runtime", None)
    monkeypatch.setattr(entry, "config_error", None)

    def rotate() -> None:
        client.put_secret_value(
            SecretId=arn, SecretString=json.dumps({**values, "SLACK_SIGNING_SECRET": ROTATED})
        )

    try:
        yield rotate
    finally:
        botocore_log.setLevel(level)
        if entry.runtime is not None:
            entry.runtime.services.close()


def help_request(secret: str) -> dict[str, Any]:
    body = slash_command_body("help", response_url="http://127.0.0.1:9/response/x")
    return function_url_event(body, sign_slack(secret, body))


def test_a_rotated_signing_secret_is_picked_up_after_a_failed_verification(
    rotate_secret: Any,
) -> None:
    assert (
        entry.lambda_handler(help_request(DEMO_SIGNING_SECRET), LambdaContext())["statusCode"]
        == 200
    )
    rotate_secret()
    assert entry.runtime is not None
    entry.runtime.refreshed -= 31  # half a minute has passed since the secret was read
    answered = entry.lambda_handler(help_request(ROTATED), LambdaContext())
    assert answered["statusCode"] == 200, "re-read at once, then verified"
    assert entry.runtime.settings.slack_signing_secret == ROTATED
    read_at = entry.runtime.refreshed
    for _ in range(20):  # forged requests right after: no stampede on Secrets Manager
        refused = entry.lambda_handler(help_request("forged-by-someone"), LambdaContext())
        assert refused["statusCode"] == 401
    assert entry.runtime.refreshed == read_at


def test_the_secret_is_read_again_after_its_time_to_live(
    rotate_secret: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        entry.lambda_handler(help_request(DEMO_SIGNING_SECRET), LambdaContext())["statusCode"]
        == 200
    )
    rotate_secret()
    monkeypatch.setenv("SECRETS_TTL", "0")
    assert entry.lambda_handler(help_request(ROTATED), LambdaContext())["statusCode"] == 200
