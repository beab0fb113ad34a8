"""``smartjobs emulator``: the emulator in the foreground, with the credentials it accepts."""

from __future__ import annotations

import os
import time

from bot.ice.emulator._faults import Faults
from bot.ice.emulator._http import Emulator
from bot.ice.emulator._verify import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET


def _cli_credentials() -> tuple[dict[str, str], dict[str, str], bool]:
    """The ``ALIBABA_CLOUD_*`` pair when set (token too), else the documented demo pair."""
    key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if key_id and secret:
        token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN")
        return {key_id: secret}, ({key_id: token} if token else {}), False
    return {DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET}, {}, True


def serve(
    *,
    port: int,
    count: int,
    seed: int,
    faults: Faults | None = None,
    total_count: bool = False,
    untidy: float = 0.0,
) -> None:
    """Run the emulator in the foreground until Ctrl-C (the ``smartjobs emulator`` command).

    ``total_count`` includes ``TotalCount`` in pages (the service omits it by default);
    ``untidy`` mixes jobs with odd field types into the dataset at that rate.
    """
    credentials, tokens, demo = _cli_credentials()
    emulator = Emulator(
        count=count,
        seed=seed,
        port=port,
        credentials=credentials,
        security_tokens=tokens,
        faults=faults,
        total_count=total_count,
        untidy=untidy,
    )
    if demo:
        hint = (
            f"ALIBABA_CLOUD_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID} "
            f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={DEMO_ACCESS_KEY_SECRET}"
        )
    else:
        hint = f"AccessKey {next(iter(credentials))} from ALIBABA_CLOUD_ACCESS_KEY_ID"
    untidy_note = f", {untidy:.0%} untidy" if untidy > 0 else ""
    print(
        f"ICE emulator: {len(emulator.jobs)} jobs (seed {seed}{untidy_note}) at {emulator.url} | "
        f"use ICE_ENDPOINT={emulator.url} {hint} | Ctrl-C stops",
        flush=True,
    )
    with emulator:
        try:
            # Short sleeps, not one endless wait: a Ctrl-C that the kernel hands to a server
            # thread reaches Python only when the main thread next runs.
            while True:
                time.sleep(0.2)
        except KeyboardInterrupt:
            print("ICE emulator stopped.", flush=True)
