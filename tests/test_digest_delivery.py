"""Digest delivery against real local servers: the ICE emulator, a stand-in Slack Web API,
and moto's DynamoDB behind Powertools Idempotency."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from slack_sdk import WebClient

from bot.digest.delivery import DeliveryResult, deliver_digest, digest_key, digest_persistence
from bot.digest.scan import build_digest
from bot.ice import Credentials, IceClient, RetryPolicy, StaticCredentials
from bot.ice.emulator import Emulator
from bot.local import SlackStub

KEY_ID, SECRET = "digest-test-id", "digest-test-secret"
TABLE = "smartjobs-digest-test"
CHANNEL = "C0DIGEST01"
WIRE = "%Y-%m-%dT%H:%M:%SZ"
NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(hours=24)


def job(i: int, age: timedelta, state: str, job_type: str = "ASR") -> dict[str, Any]:
    return {
        "JobId": f"job-{i:04d}",
        "Title": f"Job {i} <!channel>",
        "JobType": job_type,
        "JobState": state,
        "CreateTime": (NOW - age).strftime(WIRE),
    }


def dataset() -> list[dict[str, Any]]:
    """250 jobs in the last 24 h (every 5th failed, types rotating), then 300 older ones."""
    types = ["ASR", "DynamicChart", "VideoTranslation", "TextToSpeech"]
    inside = [
        job(i, timedelta(minutes=5 * i + 2), "Failed" if i % 5 == 0 else "Finished", types[i % 4])
        for i in range(250)
    ]
    older = [job(1000 + i, DAY + timedelta(minutes=i + 1), "Failed") for i in range(300)]
    return inside + older


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulator]:
    with Emulator(jobs=dataset(), credentials={KEY_ID: SECRET}) as emulator:
        yield emulator


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    with SlackStub() as stub:
        yield stub


def posts(stub: SlackStub) -> list[dict[str, Any]]:
    return [post.body for post in stub.calls("chat.postMessage")]


def ice_client(emulator: Emulator, secret: str = SECRET) -> IceClient:
    return IceClient(
        credentials=StaticCredentials(Credentials(KEY_ID, secret)),
        endpoint=emulator.url,
        region="cn-shanghai",
        retry=RetryPolicy(max_attempts=1),
    )


def web(stub: SlackStub) -> WebClient:
    # No retry handlers: the unreachable case would otherwise back off and retry.
    return WebClient(token="xoxb-test", base_url=stub.api_url, retry_handlers=[])


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto DynamoDB table shaped as Powertools expects (hash key ``id``), and its layer."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("POWERTOOLS_IDEMPOTENCY_DISABLED", raising=False)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield digest_persistence(TABLE)  # a fresh layer per test: no configuration carried over


class FakeLambdaContext:
    function_name = "smartjobs"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def deliver(
    emulator: Emulator, stub: SlackStub, persistence: Any = None, **kw: Any
) -> DeliveryResult:
    kw.setdefault("now", NOW)
    kw.setdefault("lambda_context", FakeLambdaContext() if persistence is not None else None)
    with ice_client(emulator, kw.pop("secret", SECRET)) as client:
        return deliver_digest(client, web(stub), channel=CHANNEL, persistence=persistence, **kw)


# -- the scan against the emulator ---------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 8])
def test_scan_against_the_emulator_counts_exactly_and_stops_at_the_edge(
    ice: Emulator, concurrency: int
) -> None:
    before = ice.calls
    with ice_client(ice) as client:
        stats = build_digest(client, window=DAY, now=NOW, concurrency=concurrency)
    assert stats.jobs == 250
    assert stats.failed == 50
    assert stats.count("ASR") == 63 and stats.count("TextToSpeech") == 62
    assert stats.count("ASR", "Failed") == 13  # i % 20 == 0
    assert sum(stats.failure_buckets) == 50
    pages_needed = 3  # 250 in-window jobs: the third page holds the edge
    # One page at a time stops at the edge; a batch in flight may overshoot by one batch.
    assert ice.calls - before <= (pages_needed + 1 if concurrency == 1 else concurrency)
    assert stats.pages == pages_needed
    assert not stats.truncated


def test_scan_bound_against_the_emulator(ice: Emulator) -> None:
    before = ice.calls
    with ice_client(ice) as client:
        stats = build_digest(client, window=DAY, now=NOW, max_pages=2, concurrency=1)
    assert stats.truncated and stats.jobs == 200
    assert ice.calls - before == 2


# -- idempotency ------------------------------------------------------------------------------------


def test_the_same_window_is_posted_once_and_a_new_window_again(
    ice: Emulator, slack: SlackStub, table: Any
) -> None:
    first = deliver(ice, slack, table)
    assert first == DeliveryResult(
        posted=True, ts="1.000100", kind="digest", jobs=250, failed=50, duplicate=False
    )
    calls_after_first = ice.calls

    again = deliver(ice, slack, table)  # EventBridge delivers the same event twice
    assert again.duplicate and not again.posted
    assert again.ts == first.ts and again.jobs == 250
    assert len(posts(slack)) == 1
    assert ice.calls == calls_after_first  # a duplicate does not even scan ICE

    later = deliver(ice, slack, table, now=NOW + timedelta(hours=1))
    assert later.posted and not later.duplicate
    assert len(posts(slack)) == 2

    post = posts(slack)[0]
    assert post["channel"] == CHANNEL
    assert post["text"].startswith("Last 24 h: 250 jobs, 50 failed (20.0%)")
    assert "<!channel>" not in json.dumps(post["blocks"])
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert len(items) == 2
    assert {item["status"]["S"] for item in items} == {"COMPLETED"}


def test_without_a_table_every_call_posts(ice: Emulator, slack: SlackStub) -> None:
    assert deliver(ice, slack).posted
    assert deliver(ice, slack).posted
    assert len(posts(slack)) == 2


def test_a_concurrent_duplicate_is_not_posted(ice: Emulator, slack: SlackStub, table: Any) -> None:
    slack.hold.clear()  # hold the first post inside the idempotent section
    results: list[DeliveryResult] = []
    first = threading.Thread(target=lambda: results.append(deliver(ice, slack, table)))
    first.start()
    slack.wait_for(1)
    second = deliver(ice, slack, table)
    slack.hold.set()
    first.join(timeout=10)
    assert second.duplicate and not second.posted
    assert results[0].posted
    assert len(posts(slack)) == 1


def test_lambda_context_is_registered_for_in_progress_expiry(
    ice: Emulator, slack: SlackStub, table: Any
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert deliver(ice, slack, table).posted
    assert not [w for w in caught if "remaining time" in str(w.message)]
    (item,) = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert "in_progress_expiration" in item


def test_digest_key_names_channel_window_start_and_length() -> None:
    start = datetime(2026, 11, 4, 9, 0, 42, tzinfo=UTC)
    assert digest_key("C1", start, DAY) == "C1#2026-11-04T09:00Z#1d"
    assert digest_key("C1", start, DAY) == digest_key("C1", start.replace(second=3), DAY)
    assert digest_key("C1", start, DAY) != digest_key("C2", start, DAY)
    assert digest_key("C1", start, DAY) != digest_key("C1", start + timedelta(hours=1), DAY)
    assert digest_persistence(None) is None and digest_persistence("") is None


# -- Slack refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("not_in_channel", "/invite @smartjobs"),
        ("not_in_channel", "chat:write.public"),
        ("channel_not_found", "DIGEST_CHANNEL"),
        ("missing_scope", "chat:write.public"),
    ],
)
def test_slack_refusal_logs_a_fix_and_does_not_raise(
    ice: Emulator, slack: SlackStub, caplog: pytest.LogCaptureFixture, error: str, hint: str
) -> None:
    slack.api_replies["chat.postMessage"] = [{"ok": False, "error": error}]
    with caplog.at_level(logging.ERROR, logger="bot.slack"):
        result = deliver(ice, slack)
    assert result == DeliveryResult(posted=False, error=f"slack:{error}")
    (record,) = [r for r in caplog.records if r.name == "bot.slack"]
    assert record.getMessage().startswith("digest not posted")
    assert record.levelno == logging.ERROR
    assert error in record.getMessage() and hint in record.getMessage()
    assert CHANNEL in record.getMessage()


def test_a_refused_post_leaves_no_record_so_a_retry_delivers(
    ice: Emulator, slack: SlackStub, table: Any
) -> None:
    slack.api_replies["chat.postMessage"] = [{"ok": False, "error": "not_in_channel"}]
    refused = deliver(ice, slack, table)
    assert not refused.posted and refused.error == "slack:not_in_channel"
    assert boto3.client("dynamodb").scan(TableName=TABLE)["Items"] == []
    retried = deliver(ice, slack, table)  # after someone invited the bot
    assert retried.posted and not retried.duplicate
    assert len(posts(slack)) == 2


def test_slack_unreachable_does_not_raise(ice: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    with SlackStub() as stub:
        pass  # stopped: nothing listens on its port any more
    with caplog.at_level(logging.ERROR, logger="bot.slack"):
        result = deliver(ice, stub)
    assert result == DeliveryResult(posted=False, error="slack:unreachable")
    assert "SLACK_API_URL" in caplog.text


# -- ICE failures -----------------------------------------------------------------------------------


def test_ice_failure_posts_a_short_notice_with_the_request_id(
    ice: Emulator, slack: SlackStub, caplog: pytest.LogCaptureFixture, table: Any
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.digest"):
        result = deliver(ice, slack, table, secret="wrong-secret")
    assert result.posted and result.kind == "ice_error"
    assert result.error == "ice:SignatureDoesNotMatch"
    (post,) = posts(slack)
    (record,) = [r for r in caplog.records if r.name == "bot.digest"]
    request_id = record.request_id  # type: ignore[attr-defined]
    assert request_id and request_id in post["text"]
    assert post["text"].startswith("The digest for the last 24 h could not be built")
    body = post["blocks"][0]["text"]["text"]
    assert f"`{request_id}`" in body and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in body
    assert record.ice_code == "SignatureDoesNotMatch"  # type: ignore[attr-defined]
    # The notice is this window's message: a duplicate event does not post a second one.
    assert deliver(ice, slack, table, secret="wrong-secret").duplicate
    assert len(posts(slack)) == 1
