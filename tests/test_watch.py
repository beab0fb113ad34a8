"""Watches end to end: `/smartjobs watch` through lambda_handler, polls on the schedule path,
the ICE emulator over HTTP, the Slack stand-in, and both stores (SQLite on a temporary file,
DynamoDB on moto's server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from bot.local import LambdaContext
from bot.local.demo import LocalDeployment, local_deployment
from bot.local.slack_stub import SlackPost
from bot.render._slack_text import find_button
from bot.watch.model import Watch
from bot.watch.store import DynamoWatches, SqliteWatches, WatchStore

WIRE = "%Y-%m-%dT%H:%M:%SZ"
START = datetime.now(UTC).replace(microsecond=0)
POLL = {"smartjobs": "watch-poll"}


class Clock:
    """The deployment's ``now``: tests move it forward instead of waiting."""

    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


def job(
    n: int, age: timedelta, state: str = "Failed", job_type: str = "ASR", **kw: Any
) -> dict[str, Any]:
    return {
        "JobId": f"{n:032x}",
        "Title": kw.pop("title", f"job {n}"),
        "JobType": job_type,
        "JobState": state,
        "CreateTime": (START - age).strftime(WIRE),
        **kw,
    }


def dataset() -> list[dict[str, Any]]:
    jobs = [
        job(i, timedelta(minutes=10 * i + 5), "Failed" if i % 4 == 0 else "Finished")
        for i in range(60)
    ]
    jobs.append(job(900, timedelta(hours=5), "Executing", "VideoTranslation"))
    return sorted(jobs, key=lambda j: j["CreateTime"], reverse=True)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"SMARTJOBS_DB": str(tmp_path / "state.db")}
        return
    moto = request.getfixturevalue("moto_server")
    request.getfixturevalue("dynamodb_table")  # the AWS test environment
    name = f"watches-{id(request)}"
    client = boto3.client("dynamodb", endpoint_url=moto)
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield {"WATCH_TABLE": name}
    client.delete_table(TableName=name)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def local(store_env: dict[str, str], clock: Clock) -> Iterator[LocalDeployment]:
    with local_deployment(jobs=dataset(), environ=store_env, services={"now": clock}) as deployment:
        yield deployment


def store_of(local: LocalDeployment) -> WatchStore:
    import handler.app as entry

    assert entry.runtime is not None
    return entry.runtime.services.watches()


def channel_posts(local: LocalDeployment) -> list[SlackPost]:
    return local.slack.calls("chat.postMessage")


def poll(local: LocalDeployment) -> dict[str, Any]:
    return local.handler(dict(POLL), LambdaContext())


def watch(local: LocalDeployment, text: str = "watch failed asr") -> dict[str, Any]:
    url, ack, _ = local.command(text)
    assert ack["statusCode"] == 200
    (answer,) = local.slack.to(url)
    return answer.body


def fail_now(
    local: LocalDeployment, n: int, age: timedelta = timedelta(minutes=1), **kw: Any
) -> None:
    local.ice.jobs.insert(0, job(n, age, **kw))
    local.ice.jobs.sort(key=lambda j: j["CreateTime"], reverse=True)


# -- creation -----------------------------------------------------------------------------------


def test_a_watch_announces_itself_and_remembers_what_already_matches(
    local: LocalDeployment,
) -> None:
    private = watch(local)
    assert "Watching failed ASR jobs" in private["text"]
    (announcement,) = channel_posts(local)
    assert announcement.body["channel"] == "C0DEMO"
    assert "<@U0DEMO> is watching failed ASR jobs here" in json.dumps(
        ensure_ascii=False, obj=announcement.body["blocks"]
    )
    already = sum(1 for j in local.ice.jobs if j["JobState"] == "Failed" and j["JobType"] == "ASR")
    assert f"{already} matching jobs were already there" in json.dumps(
        ensure_ascii=False, obj=announcement.body
    )
    (kept,) = store_of(local).watches("C0DEMO")
    assert kept.query == "watch failed asr" and kept.created_by == "U0DEMO"
    assert poll(local)["body"] == "0 alerts", "what matched at creation never alerts"
    assert len(channel_posts(local)) == 1


def test_a_channel_the_bot_cannot_post_to_gets_the_fix_and_no_watch(local: LocalDeployment) -> None:
    local.slack.api_errors["chat.postMessage"] = "not_in_channel"
    private = watch(local)
    text = json.dumps(ensure_ascii=False, obj=private)
    assert "/invite @smartjobs" in text and "chat:write.public" in text
    assert store_of(local).watches() == []


def test_watch_refuses_what_makes_no_sense_for_it(local: LocalDeployment) -> None:
    _, ack, _ = local.command("watch failed since:2h")
    assert "since:" in ack["body"] and local.lam.invoked == 0


# -- what "new" means ---------------------------------------------------------------------------


def test_a_new_failure_alerts_once(local: LocalDeployment, clock: Clock) -> None:
    watch(local)
    fail_now(local, 7001, title="<!channel> ASR broke")
    clock.at += timedelta(minutes=5)
    assert poll(local)["body"] == "1 alert"
    alert = channel_posts(local)[-1].body
    assert alert["text"].startswith("🚨 1 new failed ASR job in cn-shanghai")
    blocks = json.dumps(ensure_ascii=False, obj=alert["blocks"])
    assert f"{7001:032x}" in blocks
    assert "<!channel>" not in blocks and "&lt;!channel&gt;" in blocks
    assert {"show_failed", "mute_watch", "unwatch"} <= {
        e["action_id"] for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    clock.at += timedelta(minutes=5)
    assert poll(local)["body"] == "0 alerts", "each job alerts once"


def test_an_old_job_that_fails_late_alerts_now(local: LocalDeployment, clock: Clock) -> None:
    watch(local, "watch failed translation")
    late = next(j for j in local.ice.jobs if j["JobId"] == f"{900:032x}")
    late["JobState"] = "Failed"  # five hours after it was created
    clock.at += timedelta(minutes=5)
    assert poll(local)["body"] == "1 alert"
    assert f"{900:032x}" in json.dumps(
        ensure_ascii=False, obj=channel_posts(local)[-1].body["blocks"]
    )


def test_later_jobs_go_into_the_thread_within_the_hour(
    local: LocalDeployment, clock: Clock
) -> None:
    watch(local)
    fail_now(local, 7001)
    clock.at += timedelta(minutes=5)
    poll(local)
    root = channel_posts(local)[-1]
    fail_now(local, 7002)
    fail_now(local, 7003)
    clock.at += timedelta(minutes=10)
    poll(local)
    reply = channel_posts(local)[-1].body
    assert reply["thread_ts"] == "2.000200" == root_ts(local)
    assert reply["text"].startswith("🚨 2 more new failed ASR jobs")
    (update,) = local.slack.calls("chat.update")
    assert update.body["ts"] == "2.000200"
    assert update.body["blocks"][0]["text"]["text"] == "🚨 3 new failed ASR jobs"
    assert "thread_ts" not in root.body, "the first alert is the root"
    fail_now(local, 7004)
    clock.at += timedelta(hours=2)
    poll(local)
    assert "thread_ts" not in channel_posts(local)[-1].body, "an hour later: a new incident"


def root_ts(local: LocalDeployment) -> str:
    (kept,) = store_of(local).watches()
    assert kept.incident_ts is not None
    return kept.incident_ts


def test_a_storm_is_one_summary(local: LocalDeployment, clock: Clock) -> None:
    watch(local, "watch failed")
    for n in range(25):
        fail_now(local, 8000 + n, job_type=["ASR", "TextToSpeech"][n % 2])
    clock.at += timedelta(minutes=5)
    assert poll(local)["body"] == "1 alert"
    alert = channel_posts(local)[-1].body
    blocks = json.dumps(ensure_ascii=False, obj=alert["blocks"])
    assert alert["text"].startswith("🚨 25 new failed jobs")
    assert "By type and state" in blocks and "TextToSpeech · Failed: *12*" in blocks
    assert sum(1 for b in alert["blocks"] if b["type"] == "section") <= 8


# -- exactly once ---------------------------------------------------------------------------------


def test_duplicate_and_overlapping_polls_alert_each_job_once(
    local: LocalDeployment, clock: Clock
) -> None:
    watch(local)
    fail_now(local, 7001)
    clock.at += timedelta(minutes=5)
    local.slack.hold.clear()  # the first poll's post waits inside Slack
    first = threading.Thread(target=poll, args=(local,))
    first.start()
    local.slack.wait_for(3)  # the announcement, the private answer, the first poll's alert
    assert poll(local)["body"] == "0 alerts", "an overlapping poll finds the job claimed"
    local.slack.hold.set()
    first.join(timeout=10)
    assert poll(local)["body"] == "0 alerts", "and a repeated one finds it alerted"
    assert len(channel_posts(local)) == 2


def test_a_slack_refusal_leaves_the_jobs_for_the_next_poll(
    local: LocalDeployment, clock: Clock
) -> None:
    watch(local)
    fail_now(local, 7001)
    clock.at += timedelta(minutes=5)
    local.slack.api_replies["chat.postMessage"] = [{"status": 503}]
    assert poll(local)["body"] == "0 alerts"
    clock.at += timedelta(minutes=5)
    assert poll(local)["body"] == "1 alert"
    assert f"{7001:032x}" in json.dumps(
        ensure_ascii=False, obj=channel_posts(local)[-1].body["blocks"]
    )


def test_a_channel_that_refuses_for_good_pauses_the_watch(
    local: LocalDeployment, clock: Clock
) -> None:
    watch(local)
    fail_now(local, 7001)
    clock.at += timedelta(minutes=5)
    local.slack.api_errors["chat.postMessage"] = "is_archived"
    poll(local)
    (kept,) = store_of(local).watches()
    assert kept.paused == "is_archived"
    local.slack.api_errors.clear()
    fail_now(local, 7002)
    assert poll(local)["body"] == "0 alerts", "a paused watch is not polled"


# -- mute, watches, unwatch -------------------------------------------------------------------------


def test_mute_silences_an_hour(local: LocalDeployment, clock: Clock) -> None:
    watch(local)
    fail_now(local, 7001)
    clock.at += timedelta(minutes=5)
    poll(local)
    alert = channel_posts(local)[-1].body
    value = find_button(alert, "mute_watch")
    assert value is not None
    url, _, _ = local.press("mute_watch", value)
    assert "Muted failed ASR jobs here for an hour" in local.slack.to(url)[0].body["text"]
    fail_now(local, 7002)
    clock.at += timedelta(minutes=10)
    assert poll(local)["body"] == "0 alerts"
    fail_now(local, 7003)
    clock.at += timedelta(hours=1)
    assert poll(local)["body"] == "1 alert"
    blocks = json.dumps(ensure_ascii=False, obj=channel_posts(local)[-1].body["blocks"])
    assert f"{7003:032x}" in blocks and f"{7002:032x}" not in blocks


def test_watches_lists_them_and_unwatch_removes_by_number_or_all(
    local: LocalDeployment, clock: Clock
) -> None:
    for text in ("watch failed asr", "watch failed tts", "watch executing chart"):
        watch(local, text)
        clock.at += timedelta(seconds=1)  # numbered oldest first
    listing = watch(local, "watches")
    text = json.dumps(ensure_ascii=False, obj=listing["blocks"])
    assert "*1.* failed ASR jobs" in text and "*3.* executing DynamicChart jobs" in text
    assert (
        sum(1 for b in listing["blocks"] if b.get("accessory", {}).get("action_id") == "unwatch")
        == 3
    )
    which = watch(local, "unwatch")
    assert "say which" in json.dumps(ensure_ascii=False, obj=which["blocks"])
    removed = watch(local, "unwatch 2")
    assert "Stopped watching failed TextToSpeech jobs" in removed["text"]
    assert [w.query for w in store_of(local).watches()] == [
        "watch failed asr",
        "watch executing chart",
    ]
    assert "No such watch" in watch(local, "unwatch 5")["text"]
    watch(local, "unwatch all")
    assert store_of(local).watches() == []


def test_an_unwatch_button_acts_only_on_its_own_channels_watch(local: LocalDeployment) -> None:
    from bot.local import block_actions_body

    watch(local)
    (kept,) = store_of(local).watches()
    url = local.slack.response_url()
    local.send(block_actions_body("unwatch", kept.id, response_url=url, channel_id="C0OTHER"))
    assert store_of(local).watches(), "a button pressed elsewhere removes nothing"
    url, _, _ = local.press("unwatch", kept.id)
    assert store_of(local).watches() == []
    assert "Stopped watching" in local.slack.to(url)[0].body["text"]


def test_show_all_lists_the_watchs_matches(local: LocalDeployment, clock: Clock) -> None:
    watch(local)
    fail_now(local, 7001)
    clock.at += timedelta(minutes=5)
    poll(local)
    value = find_button(channel_posts(local)[-1].body, "show_failed")
    assert value is not None
    url, _, _ = local.press("show_failed", value)
    page = local.slack.to(url)[0].body
    assert f"{7001:032x}" in json.dumps(ensure_ascii=False, obj=page["blocks"])
    assert page["blocks"][0]["text"]["text"].startswith("Failed ASR jobs, 24 h to")


# -- the stores alone ----------------------------------------------------------------------------


def test_claims_are_taken_over_when_their_poll_died(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    from bot.aws import AwsClient

    store: WatchStore = (
        SqliteWatches(store_env["SMARTJOBS_DB"])
        if "SMARTJOBS_DB" in store_env
        else DynamoWatches(store_env["WATCH_TABLE"], AwsClient)
    )
    w = Watch(id="w1", channel="C1", query="watch failed", created_by="U1", created=START)
    store.add(w)
    store.remember("w1", ["a"], until=START + timedelta(days=1))
    later = START + timedelta(days=1)
    assert store.claim("w1", ["a", "b", "c"], now=START, until=later) == ["b", "c"]
    assert store.claim("w1", ["b", "c"], now=START + timedelta(minutes=1), until=later) == []
    store.confirm("w1", ["b"])
    assert store.claim("w1", ["b", "c"], now=START + timedelta(minutes=11), until=later) == ["c"]
    store.release("w1", ["c"])
    assert store.claim("w1", ["c"], now=START + timedelta(minutes=12), until=later) == ["c"]
    assert store.remove("w1") and store.watches() == []


# -- smartjobs demo watch -----------------------------------------------------------------------


def test_the_watch_demo_sets_a_watch_and_prints_the_alerts_it_posts() -> None:
    from bot.local.watch_demo import run_watch_demo

    lines: list[str] = []
    assert run_watch_demo([], interactive=False, out=lines.append) == 0
    printed = "\n".join(lines)
    assert "is watching failed jobs here" in printed, "the announcement in the channel"
    assert "new failed job" in printed and "[#on-call, in the alert's thread]" in printed
    late = next(line for line in lines if "fails now" in line)
    assert "created" in late and " h ago" in late, "a long job's late failure"
    assert "$ /smartjobs watches" in printed and "1 watch here" in printed
    assert "Traceback" not in printed


def test_the_watch_demo_takes_filters_and_stops_when_asked() -> None:
    from bot.local.watch_demo import run_watch_demo

    lines: list[str] = []
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "q"

    assert run_watch_demo(["failed", "tts"], interactive=True, out=lines.append, ask=ask) == 1
    assert "watching failed TextToSpeech jobs here" in "\n".join(lines)
    assert len(asked) == 1, "q stops before the first poll"
