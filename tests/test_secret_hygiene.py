"""The secret-hygiene fixture (tests/conftest.py) itself: it sees what it claims to see.

Each test plants a secret where the fixture must find it, checks that the checker
raises, then clears the capture so the test itself passes.
"""

from __future__ import annotations

import json
import logging

import pytest
from aws_lambda_powertools import Logger

from bot.ice.emulator import DEMO_ACCESS_KEY_SECRET
from bot.local import SlackStub
from bot.local.demo import DEMO_BOT_TOKEN, DEMO_SIGNING_SECRET, local_deployment
from bot.local.socket_stub import DEMO_APP_TOKEN
from bot.render._slack_text import find_button
from tests.conftest import SecretLeak, SecretWatch
from tests.secrets import SECRETS


def test_the_registry_holds_the_demo_secrets() -> None:
    values = set(SECRETS.values())
    assert {DEMO_SIGNING_SECRET, DEMO_BOT_TOKEN, DEMO_ACCESS_KEY_SECRET, DEMO_APP_TOKEN} <= values
    assert all(len(value) >= 8 for value in values), "short values would match ordinary text"


def test_a_secret_logged_at_debug_by_a_non_propagating_logger_is_caught(
    secret_watch: SecretWatch,
) -> None:
    quiet = logging.getLogger("smartjobs.test.quiet")
    quiet.propagate = False  # as Powertools leaves `bot`
    try:
        quiet.debug("connecting with %s", {"secret": SECRETS["STS token"]})
    finally:
        quiet.propagate = True
    with pytest.raises(SecretLeak, match=r"STS token in log smartjobs\.test\.quiet DEBUG"):
        secret_watch.check()
    secret_watch.forget()
    secret_watch.check()


def test_a_secret_in_an_exception_or_extra_field_is_caught(secret_watch: SecretWatch) -> None:
    log = logging.getLogger("bot.test")
    try:
        raise ValueError(f"bad key {DEMO_ACCESS_KEY_SECRET}")
    except ValueError:
        log.exception("failed")
    log.info("plain", extra={"token": DEMO_BOT_TOKEN})
    leaks = secret_watch.leaks()
    assert any("demo AccessKey secret" in leak for leak in leaks)
    assert any("demo Slack bot token" in leak for leak in leaks)
    secret_watch.forget()


def test_powertools_appended_keys_are_caught(secret_watch: SecretWatch) -> None:
    logger = Logger(service="smartjobs-hygiene-test")
    logger.append_keys(signing=DEMO_SIGNING_SECRET)  # not on the record: only in the JSON line
    logger.warning("hello")
    logger.remove_keys(["signing"])
    leaks = secret_watch.leaks()
    assert any("demo Slack signing secret in log output" in leak for leak in leaks), leaks
    secret_watch.forget()


def test_a_secret_posted_to_slack_is_caught(secret_watch: SecretWatch) -> None:
    import httpx

    with SlackStub() as slack:
        url = slack.response_url()
        httpx.post(url, json={"text": f"token {SECRETS['transport AccessKey secret']}"})
        slack.wait_for(1)
    with pytest.raises(SecretLeak, match="transport AccessKey secret in Slack stub received"):
        secret_watch.check()
    secret_watch.forget()


def test_the_bot_token_in_the_authorization_header_is_not_a_leak(
    secret_watch: SecretWatch,
) -> None:
    with local_deployment(count=20) as local:
        url, ack, _ = local.command("3")
        value = find_button(local.answers(url)[0], "share_page")
        assert value is not None
        local.press("share_page", value)
        local.press("refresh_page", value)  # answered on its response_url
        (shared,) = local.slack.calls("chat.postMessage")
    assert shared.headers["authorization"] == f"Bearer {DEMO_BOT_TOKEN}"
    seen = {where.split(" /")[0] for where, _ in secret_watch.texts}
    # what the fixture looked at: the ack, the stub's posts, the SDK's bodies, the logs
    assert {"Bolt answer HTTP 200", "Slack stub received", "Slack response_url post"} <= seen
    assert "Slack Web API chat.postMessage json" in seen
    assert any(where.startswith("log ") for where, _ in secret_watch.texts)
    assert json.dumps(ack) and secret_watch.leaks() == []
