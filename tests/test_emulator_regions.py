"""Several regions at once: one emulator per region, each its own seeded dataset on its own port,
the ICE_ENDPOINTS value to reach them, and `smartjobs emulator --regions … --live`."""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Iterator

import pytest

from bot.ice import Credentials, IceClient, IceJobNotFoundError, StaticCredentials
from bot.ice.emulator import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    Change,
    Emulators,
    parse_regions,
    region_seed,
)
from bot.ice.emulator._cli import describe_change
from bot.local.cli import main
from tests.emulator_helpers import send, sign_for, start_process, stop_with_ctrl_c

DEMO = StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
REGIONS = ["cn-shanghai", "cn-beijing"]


@pytest.fixture(scope="module")
def ice() -> Iterator[Emulators]:
    with Emulators(REGIONS, count=40, seed=7) as emulators:
        yield emulators


def ids(emulators: Emulators, region: str) -> set[str]:
    return {job["JobId"] for job in emulators[region].jobs}


def test_each_region_has_its_own_port_and_jobs(ice: Emulators) -> None:
    assert list(ice) == REGIONS and len(ice) == 2
    urls = ice.endpoints
    assert list(urls) == REGIONS and len(set(urls.values())) == 2
    assert ice.ice_endpoints == f"cn-shanghai={urls['cn-shanghai']},cn-beijing={urls['cn-beijing']}"
    assert not ids(ice, "cn-shanghai") & ids(ice, "cn-beijing")
    assert {ice[r].seed for r in REGIONS} == {region_seed(7, r) for r in REGIONS}
    beijing = ice["cn-beijing"]
    assert beijing.region == "cn-beijing" and beijing.host_id == "ice.cn-beijing.aliyuncs.com"
    assert all("oss-cn-beijing" in job["InputConfig"]["InputFile"] for job in beijing.jobs[:10])


def test_a_region_s_dataset_does_not_depend_on_the_others() -> None:
    with Emulators(["cn-beijing", "us-west-1"], count=40, seed=7) as other:
        again = [job["JobId"] for job in other["cn-beijing"].jobs]
    with Emulators(REGIONS, count=40, seed=7) as same:
        assert [job["JobId"] for job in same["cn-beijing"].jobs] == again


def test_clients_reach_each_region_through_its_endpoint(ice: Emulators) -> None:
    for region, url in ice.endpoints.items():
        with IceClient(credentials=DEMO, region=region, endpoint=url) as client:
            listed = {job.job_id for job in client.list_smart_jobs(max_results=100).smart_job_list}
            assert listed == ids(ice, region)
            finished = next(j for j in ice[region].jobs if j["JobState"] == "Finished")
            result = client.get_smart_handle_job(finished["JobId"]).job_result
            assert result is not None and f"oss-{region}." in (result.media_url or "")
    beijing_job = ice["cn-beijing"].jobs[0]["JobId"]
    with (
        IceClient(credentials=DEMO, endpoint=ice.endpoints["cn-shanghai"]) as shanghai,
        pytest.raises(IceJobNotFoundError),
    ):
        shanghai.get_smart_handle_job(beijing_job)


def _free_port_with_the_next_one_taken() -> tuple[int, socket.socket]:
    """A free port, and a socket holding the one after it (tried until both hold)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        taken = socket.socket()
        try:
            taken.bind(("127.0.0.1", base + 1))
        except OSError:  # someone else has it: try another pair
            taken.close()
            continue
        return base, taken
    raise AssertionError("no two consecutive ports free")


def test_a_taken_port_releases_the_regions_already_bound() -> None:
    base, taken = _free_port_with_the_next_one_taken()
    with taken, pytest.raises(OSError):
        Emulators(REGIONS, port=base, count=5)
    with socket.socket() as again:
        again.bind(("127.0.0.1", base))  # the first region's port was let go


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("cn-shanghai", ("cn-shanghai",)),
        (" CN-Beijing , cn-shanghai ,", ("cn-beijing", "cn-shanghai")),
    ],
)
def test_regions_are_read_from_a_comma_list(text: str, regions: tuple[str, ...]) -> None:
    assert parse_regions(text) == regions


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "at least one"),
        ("mars-1", "unknown region 'mars-1'"),
        ("cn-beijing,cn-beijing", "twice"),
    ],
)
def test_odd_regions_are_refused_clearly(
    text: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=words):
        parse_regions(text)
    assert main(["emulator", "--regions", text]) == 2
    assert words in capsys.readouterr().err


def test_a_change_reads_as_one_line() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 20, 2, 10, 5, tzinfo=UTC)
    arrived = Change(at, "a" * 32, "ASR", "Created", arrived=True)
    failed = Change(at, "b" * 32, "TextToSpeech", "Failed")
    assert describe_change(arrived) == f"02:10:05 ASR job {'a' * 32} arrived (Created)"
    assert describe_change(failed, "cn-beijing") == (
        f"02:10:05 cn-beijing TextToSpeech job {'b' * 32} is Failed"
    )


def test_the_cli_serves_several_live_regions_and_says_how_to_reach_them() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ICE_"))}
    command = [sys.executable, "-m", "bot.local.cli", "emulator", "--port", "0", "--jobs", "12"]
    proc, line = start_process([*command, "--regions", "cn-shanghai,cn-beijing", "--live"], env)
    try:
        found = re.search(r"ICE_ENDPOINTS=(\S+) ICE_REGIONS=cn-shanghai,cn-beijing ", line)
        assert found, line
        assert "24 jobs" in line and ", live" in line
        endpoints = dict(pair.split("=", 1) for pair in found.group(1).split(","))
        assert list(endpoints) == REGIONS
        pages = [send(sign_for(url, {"MaxResults": "100"})).json() for url in endpoints.values()]
    finally:
        code, out, err = stop_with_ctrl_c(proc)
    assert code == 0, err
    assert [len(page["SmartJobList"]) for page in pages] == [12, 12]
    first, second = ({job["JobId"] for job in page["SmartJobList"]} for page in pages)
    assert not first & second
    assert "stopped" in out and "Traceback" not in err
