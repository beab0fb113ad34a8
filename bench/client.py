"""``client``: what one ``ListSmartJobs`` call costs with ``bot.ice`` vs the official SDK,
and what importing each costs.

Both clients call the same emulator (its own process, so its work does not share our
GIL), after a warm-up, in interleaved rounds so drift on a busy machine hits both alike.
Wall time per call includes the emulator's answer (the same for both); CPU time per call
is our process's own work: building, signing, sending and parsing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench._core import (
    Bytecode,
    Check,
    Figure,
    RemoteEmulator,
    Report,
    bytecode_modes,
    child_env,
    mean,
    median,
    percentile,
    run_child,
    stray_bytecode,
)

SUITE = "client"
CALLS = 300
ROUNDS = 10
WARMUP = 30
IMPORT_RUNS = 7
SDK_IMPORT_RUNS = 3

# What a library user pays: the client and the models (bare `import bot.ice` loads nothing yet).
OURS = "from bot.ice import IceClient, SmartJobPage"
# The one library bot.ice builds on: what a client and its models cost beyond it is ours.
BASELINE = "import httpx"
SDK = (
    "import alibabacloud_ice20201109.client, alibabacloud_ice20201109.models, "
    "alibabacloud_tea_openapi.models"
)


def _ours(url: str) -> Callable[[], int]:
    from bot.ice import Credentials, IceClient, StaticCredentials
    from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

    client = IceClient(
        credentials=StaticCredentials(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)),
        endpoint=url,
    )

    def call() -> int:
        return len(client.list_smart_jobs(max_results=10).smart_job_list)

    return call


def _official(port: int) -> Callable[[], int]:
    from alibabacloud_ice20201109 import models
    from alibabacloud_ice20201109.client import Client
    from alibabacloud_tea_openapi.models import Config

    from bot.ice.emulator import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

    client = Client(
        Config(
            access_key_id=DEMO_ACCESS_KEY_ID,
            access_key_secret=DEMO_ACCESS_KEY_SECRET,
            endpoint=f"127.0.0.1:{port}",
            protocol="http",
        )
    )

    def call() -> int:
        response = client.list_smart_jobs(models.ListSmartJobsRequest(max_results=10))
        return len(response.body.smart_job_list or [])

    return call


def _timed(call: Callable[[], int], n: int, wall: list[float]) -> float:
    """Run ``n`` calls, append each one's wall ms; return the CPU seconds they took."""
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        got = call()
        wall.append((time.perf_counter() - started) * 1000)
        if got != 10:
            raise RuntimeError(f"expected 10 jobs per page, got {got}")
    return time.process_time() - cpu


def per_call(report: Report) -> None:
    with RemoteEmulator(count=500, seed=7) as ice:
        ours, sdk = _ours(ice.url), _official(ice.port)
        for call in (ours, sdk):
            _timed(call, WARMUP, [])
        wall: dict[str, list[float]] = {"ours": [], "sdk": []}
        cpu = {"ours": 0.0, "sdk": 0.0}
        per_round = CALLS // ROUNDS
        for index in range(ROUNDS):
            order = [("ours", ours), ("sdk", sdk)]
            for name, call in order if index % 2 == 0 else reversed(order):
                cpu[name] += _timed(call, per_round, wall[name])
        calls = ice.calls
    report.note(SUITE, f"{CALLS} calls each, {ROUNDS} interleaved rounds; emulator saw {calls}")
    for label, stat in (("mean", mean), ("p50", lambda v: percentile(v, 50))):
        check: Check | None = "ratio" if label == "mean" else None
        report.add(
            Figure(
                SUITE,
                f"ListSmartJobs wall per call, {label} (bot.ice vs SDK)",
                stat(wall["ours"]),
                baseline=stat(wall["sdk"]),
                check=check,
                limit=1.0 if check else None,
            )
        )
    report.add(
        Figure(
            SUITE,
            "ListSmartJobs wall per call, p99 (bot.ice vs SDK)",
            percentile(wall["ours"], 99),
            baseline=percentile(wall["sdk"], 99),
        )
    )
    report.add(
        Figure(
            SUITE,
            "ListSmartJobs client CPU per call (bot.ice vs SDK)",
            cpu["ours"] / CALLS * 1000,
            baseline=cpu["sdk"] / CALLS * 1000,
            check="ratio",
            limit=1.0,
        )
    )


def _import_ms(statement: str, mode: Bytecode) -> float:
    code = (
        "import time, json\n"
        "t0 = time.perf_counter()\n"
        f"{statement}\n"
        "print(json.dumps({'ms': (time.perf_counter() - t0) * 1000}))\n"
    )
    return float(run_child(code, env=child_env(mode.env)).output["ms"])


def import_times(report: Report) -> None:
    strays = stray_bytecode()
    if strays:
        report.note(
            SUITE,
            f"{strays} .pyc files sit beside the sources: the no-.pyc figures are optimistic",
        )
    with bytecode_modes() as modes:
        for mode in modes:
            runs: dict[str, list[float]] = {OURS: [], BASELINE: [], SDK: []}
            if mode.env.get("PYTHONPYCACHEPREFIX"):
                for statement in runs:  # fill the private bytecode cache; discarded
                    _import_ms(statement, mode)
            for index in range(IMPORT_RUNS):
                for statement in (OURS, BASELINE):
                    runs[statement].append(_import_ms(statement, mode))
                if index < SDK_IMPORT_RUNS:
                    runs[SDK].append(_import_ms(SDK, mode))
            report.add(
                Figure(
                    SUITE,
                    f"import bot.ice vs httpx, {mode.name}",
                    median(runs[OURS]),
                    baseline=median(runs[BASELINE]),
                    check="delta",
                    limit=20,
                    note=f"median of {IMPORT_RUNS}",
                )
            )
            report.add(
                Figure(
                    SUITE,
                    f"import official SDK (context), {mode.name}",
                    median(runs[SDK]),
                    baseline=median(runs[OURS]),
                    note=f"median of {SDK_IMPORT_RUNS}; baseline is bot.ice",
                )
            )


def run(report: Report) -> None:
    per_call(report)
    import_times(report)
