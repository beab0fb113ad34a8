"""``smartjobs emulator``: the emulator in the foreground, with the credentials it accepts."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from bot.ice.emulator._faults import Faults
from bot.ice.emulator._http import Emulator
from bot.ice.emulator._live import Change
from bot.ice.emulator._regional import Emulators
from bot.ice.emulator._verify import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET


def _cli_credentials() -> tuple[dict[str, str], dict[str, str], bool]:
    """The ``ALIBABA_CLOUD_*`` pair when set (token too), else the documented demo pair."""
    key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if key_id and secret:
        token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN")
        return {key_id: secret}, ({key_id: token} if token else {}), False
    return {DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET}, {}, True


def describe_change(change: Change, region: str | None = None) -> str:
    """One line for the terminal: when, where, which job, what happened."""
    where = f"{region} " if region else ""
    what = f"arrived ({change.state})" if change.arrived else f"is {change.state}"
    return f"{change.at:%H:%M:%S} {where}{change.job_type or '?'} job {change.job_id} {what}"


def serve(
    *,
    port: int,
    count: int,
    seed: int,
    faults: Faults | None = None,
    total_count: bool = False,
    untidy: float = 0.0,
    live: bool = False,
    regions: Sequence[str] | None = None,
) -> None:
    """Run the emulator in the foreground until Ctrl-C (the ``smartjobs emulator`` command).

    ``total_count`` includes ``TotalCount`` in pages (the service omits it by default);
    ``untidy`` mixes jobs with odd field types into the dataset at that rate; ``live`` makes
    jobs arrive, finish and fail over time (each change printed as it happens); ``regions``
    serves each region its own dataset on its own port, from ``port`` on.
    """
    credentials, tokens, demo = _cli_credentials()
    options: dict[str, Any] = {
        "count": count,
        "credentials": credentials,
        "security_tokens": tokens,
        "total_count": total_count,
        "untidy": untidy,
        "live": live,
    }
    served: dict[str | None, Emulator]
    if regions:
        several = Emulators(regions, port=port, seed=seed, faults=faults, **options)
        served = dict(several.by_region.items())
        place = ", ".join(f"{r} at {e.url}" for r, e in several.by_region.items())
        use = f"ICE_ENDPOINTS={several.ice_endpoints} ICE_REGIONS={','.join(several)}"
    else:
        emulator = Emulator(seed=seed, port=port, faults=faults, **options)
        served = {None: emulator}
        place, use = f"at {emulator.url}", f"ICE_ENDPOINT={emulator.url}"
    if demo:
        hint = (
            f"ALIBABA_CLOUD_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID} "
            f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={DEMO_ACCESS_KEY_SECRET}"
        )
    else:
        hint = f"AccessKey {next(iter(credentials))} from ALIBABA_CLOUD_ACCESS_KEY_ID"
    notes = (f", {untidy:.0%} untidy" if untidy > 0 else "") + (", live" if live else "")
    jobs = sum(len(e.jobs) for e in served.values())
    print(
        f"ICE emulator: {jobs} jobs (seed {seed}{notes}) {place} | use {use} {hint} | Ctrl-C stops",
        flush=True,
    )
    for emulator in served.values():
        emulator.start()
    try:
        # Short sleeps, not one endless wait: a Ctrl-C that the kernel hands to a server
        # thread reaches Python only when the main thread next runs.
        while True:
            time.sleep(0.2)
            if live:
                for region, emulator in served.items():
                    for change in emulator.advance():
                        print(describe_change(change, region), flush=True)
    except KeyboardInterrupt:
        print("ICE emulator stopped.", flush=True)
    finally:
        for emulator in served.values():
            emulator.stop()
