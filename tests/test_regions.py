"""Every region at once: `region:all` over two emulators (one per region, via ICE_ENDPOINTS),
merged newest first, paged to the end in every region; a failing region named while the
other shows; the digest counting each region, totals first."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import ConfigError, Settings
from bot.ice.emulator import Emulator, Faults
from bot.local.demo import LocalDeployment, local_deployment
from bot.render._slack_text import find_button

JOB_ID = re.compile(r"`([0-9a-f]{32})`")
REGIONS = "cn-shanghai,cn-beijing"


@pytest.fixture
def beijing() -> Iterator[Emulator]:
    with Emulator(count=150, seed=31) as ice:
        yield ice


@pytest.fixture
def local(beijing: Emulator) -> Iterator[LocalDeployment]:
    """cn-shanghai on the deployment's own emulator (ICE_ENDPOINT), cn-beijing on another."""
    environ = {"ICE_REGIONS": REGIONS, "ICE_ENDPOINTS": f"cn-beijing={beijing.url}"}
    with local_deployment(count=150, seed=30, environ=environ) as deployment:
        yield deployment


def failed_newest_first(*emulators: Emulator) -> list[str]:
    jobs = [j for ice in emulators for j in ice.jobs if j.get("JobState") == "Failed"]
    jobs.sort(key=lambda j: j["CreateTime"], reverse=True)
    return [j["JobId"] for j in jobs]


def answer(local: LocalDeployment, url: str) -> dict[str, Any]:
    (shown,) = local.answers(url)
    return shown


def test_region_all_pages_through_every_region_newest_first(
    local: LocalDeployment, beijing: Emulator
) -> None:
    expected = failed_newest_first(local.ice, beijing)
    assert len(expected) > 20
    url, _, _ = local.command("failed region:all 7")
    message = answer(local, url)
    assert message["blocks"][0]["text"]["text"] == "Failed jobs, all regions"
    seen = JOB_ID.findall(json.dumps(message["blocks"]))
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert ":round_pushpin: cn-beijing" in text and ":round_pushpin: cn-shanghai" in text
    while (value := find_button(message, "next_page")) is not None:
        assert len(value) <= 2000
        url, _, _ = local.press("next_page", value)
        message = answer(local, url)
        seen += JOB_ID.findall(json.dumps(message["blocks"]))
    assert seen == expected, "every failed job of both regions once, newest first"


def test_a_failing_region_is_named_and_the_other_still_shows(
    local: LocalDeployment, beijing: Emulator
) -> None:
    beijing.faults.script.extend(["Forbidden.RAM"] * 4)
    url, _, _ = local.command("failed region:all")
    message = answer(local, url)
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "cn-beijing: ICE refused the credentials (Forbidden.RAM)" in text
    shanghai_only = failed_newest_first(local.ice)[:10]
    assert JOB_ID.findall(json.dumps(message["blocks"])) == shanghai_only


def test_the_digest_counts_every_region_totals_first(
    local: LocalDeployment, beijing: Emulator
) -> None:
    url, _, _ = local.command("digest since:7d")
    digest = local.answers(url)[-1]
    text = json.dumps(digest["blocks"], ensure_ascii=False)
    assert "*By region*" in text
    total = re.match(r"Last 7 d: ([\d,]+) jobs", digest["text"])
    assert total is not None
    per_region = [int(n.replace(",", "")) for n in re.findall(r"\* · ([\d,]+) jobs · ", text)]
    assert len(per_region) == 2
    assert sum(per_region) == int(total[1].replace(",", ""))
    assert text.index("All types") < text.index("By region"), "totals first"


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"ICE_REGIONS": "cn-shanghai,eu-west-9"}, "eu-west-9"),
        ({"ICE_ENDPOINTS": "cn-beijing"}, "region=url pairs"),
        ({"ICE_ENDPOINTS": "cn-beijing=ftp://x"}, "ICE_ENDPOINTS must be a URL"),
        ({"ICE_REGION": "all"}, "ICE_REGIONS lists several"),
    ],
)
def test_region_settings_are_checked(variables: dict[str, str], says: str) -> None:
    env = {"SLACK_SIGNING_SECRET": "s" * 8, "SLACK_BOT_TOKEN": "xoxb-regions", **variables}
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert says in str(error.value)


def test_region_all_is_bounded_by_allowed_regions() -> None:
    env = {"ICE_REGIONS": REGIONS, "ALLOWED_REGIONS": "cn-beijing"}
    with local_deployment(count=20, environ=env, faults=Faults()) as local:
        _, ack, _ = local.command("region:all failed")
        assert "not allowed" not in ack["body"]
        import handler.app as entry
        from bot.policy import regions_of
        from bot.query import Query

        assert entry.runtime is not None
        assert regions_of(Query(region="all"), entry.runtime.settings) == ("cn-beijing",)
