"""`smartjobs serve`: the same app over plain HTTP, lazy work in threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from bot.config import Settings
from bot.ice.emulator import Emulator
from bot.local import SlackStub, block_actions_body, sign_slack, slash_command_body
from bot.local.demo import demo_environment
from bot.local.server import ThreadingWSGIServer, make
from bot.render._slack_text import find_button
from bot.services import Services


@pytest.fixture
def served() -> Iterator[tuple[str, SlackStub, Emulator, str]]:
    with SlackStub() as slack, Emulator(count=200, seed=4) as ice:
        env = demo_environment(slack.api_url, ice.url)
        services = Services(settings=Settings.from_env(env))
        server: ThreadingWSGIServer = make("127.0.0.1", 0, services)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", slack, ice, env["SLACK_SIGNING_SECRET"]
        finally:
            server.shutdown()
            server.server_close()
            services.close()


def post(base: str, body: str, secret: str) -> httpx.Response:
    headers = {"content-type": "application/x-www-form-urlencoded", **sign_slack(secret, body)}
    return httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=5)


def test_command_then_next_page_over_http(served: tuple[str, SlackStub, Emulator, str]) -> None:
    base, slack, _, secret = served
    url = slack.response_url()
    response = post(base, slash_command_body("failed 5", response_url=url), secret)
    assert response.status_code == 200
    first = slack.wait_for(1)[0].body
    assert first["blocks"][0]["type"] == "header"
    value = find_button(first, "next_page")
    assert value is not None
    url2 = slack.response_url()
    assert (
        post(base, block_actions_body("next_page", value, response_url=url2), secret).status_code
        == 200
    )
    second = slack.wait_for(2)
    assert [p.body for p in second if p.path.endswith(url2.rsplit("/", 1)[1])]
    assert len(slack.to(url)) == 1, "answered exactly once"


def test_forged_requests_and_other_paths_are_refused(
    served: tuple[str, SlackStub, Emulator, str],
) -> None:
    base, slack, ice, secret = served
    body = slash_command_body("failed", response_url=slack.response_url())
    assert post(base, body, "not-the-" + secret).status_code == 401
    assert httpx.get(f"{base}/", timeout=5).status_code == 404
    assert ice.calls == 0
    assert slack.posts == []
