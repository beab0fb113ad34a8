"""handler.app.lambda_handler at the edges: the schedule, a refused self-invoke, secrets at
cold start, and what the ack path must never load."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

import handler.app as entry
from bot.demo import DEMO_BOT_TOKEN, DEMO_SIGNING_SECRET, local_deployment
from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from bot.local import LambdaContext, schedule_event

AWS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def test_refused_self_invoke_still_answers_and_logs_the_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with local_deployment(count=60) as local:
        local.lam.refuse = True
        with caplog.at_level(logging.ERROR, logger="bot.lambda"):
            url, ack, _ = local.command("failed")
        assert ack["statusCode"] == 200
        answers = local.slack.to(url)
        assert len(answers) == 1, "answered inline, exactly once"
        assert answers[0].body["blocks"][0]["type"] == "header"
    assert any("lambda:InvokeFunction" in r.getMessage() for r in caplog.records)


@pytest.fixture
def digest_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="smartjobs-digest",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setattr(entry, "_persistence", None)
        yield "smartjobs-digest"


def test_schedule_posts_one_digest_per_window_even_when_delivered_twice(digest_table: str) -> None:
    env = {"DIGEST_CHANNEL": "C0DIGEST", "DIGEST_TABLE": digest_table}
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


def test_the_ack_path_loads_neither_boto3_nor_the_ice_models_nor_the_credentials_chain() -> None:
    script = """
import json, sys
from bot.demo import local_deployment
from bot.local import LambdaContext, function_url_event, sign_slack, slash_command_body
with local_deployment(count=10) as local:
    body = slash_command_body("failed asr", response_url=local.slack.response_url())
    ack = local.handler(function_url_event(body, sign_slack(local.secret, body)), LambdaContext())
    assert ack["statusCode"] == 200 and len(local.lam.pending) == 1
    heavy = ("boto3", "botocore.client", "alibabacloud_credentials", "aiohttp", "bot.ice._models", "bot.ice._reader", "bot.ice._client")
    print(json.dumps([m for m in heavy if m in sys.modules]))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
