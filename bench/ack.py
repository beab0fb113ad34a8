"""``ack``: how fast Slack gets its answer, cold (a fresh Lambda container) and warm.

Cold: a fresh interpreter imports ``handler.app`` (building the Bolt app from a demo
environment) and answers one signed
``/smartjobs failed asr`` Function URL event. Its baseline is a fresh interpreter that
only imports the dependencies the handler cannot do without. Both are timed from the
spawn (interpreter start-up included) to the ack / the end of the imports.

Warm: in this process, signed slash commands and button clicks straight through
``lambda_handler``; the lazy self-invokes are recorded by ``LocalLambda``, not run.
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

from bench._core import (
    Figure,
    Report,
    bytecode_modes,
    child_env,
    median,
    percentile,
    run_child,
    stray_bytecode,
)

SUITE = "ack"
COLD_RUNS = 7
WARM_COMMANDS = 500
WARM_CLICKS = 200
HEAVY = ("alibabacloud_credentials", "aiohttp", "apscheduler", "requests", "boto3", "aws_xray_sdk")

_COLD = r"""
import time
T0 = time.perf_counter()
import json, sys
event = json.loads(sys.stdin.read())
from handler import app as entry
T_IMPORTED = time.perf_counter()

class _Context:
    function_name = "smartjobs-bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:smartjobs-bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench-cold"
    log_group_name = "/aws/lambda/smartjobs-bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 60_000

ack = entry.lambda_handler(event, _Context())
T_ACK = time.perf_counter()
print(json.dumps({
    "t0": T0, "imported": T_IMPORTED, "ack": T_ACK, "status": ack.get("statusCode"),
    "modules": len(sys.modules),
    "heavy": sorted(m for m in HEAVY if m in sys.modules),
}))
""".replace("HEAVY", repr(HEAVY))

_BASELINE = r"""
import time
T0 = time.perf_counter()
import json, sys
from slack_bolt import App
import httpx
from aws_lambda_powertools import Logger, Metrics
T_IMPORTED = time.perf_counter()
print(json.dumps({"t0": T0, "imported": T_IMPORTED, "modules": len(sys.modules)}))
"""


def _demo_env() -> dict[str, str]:
    from bot.local.demo import demo_environment

    # the discard port: nothing on the ack path may call Slack's Web API or ICE. These are
    # the silent acks (answers inline off); time to answer is the `answer` suite's.
    return demo_environment("http://127.0.0.1:9/api/", "http://127.0.0.1:9") | {
        "INLINE_BUDGET": "0"
    }


def _signed_command(secret: str) -> dict[str, Any]:
    from bot.local import function_url_event, sign_slack, slash_command_body

    body = slash_command_body("failed asr", response_url="http://127.0.0.1:9/response/cold")
    return function_url_event(body, sign_slack(secret, body))


class _LambdaStandIn:
    """Lambda's Invoke API on loopback: the cold ack pays the real signed self-invoke."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        stand_in = self
        self.invoked = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                ok = self.headers.get("x-amz-invocation-type") == "Event" and "authorization" in {
                    k.lower() for k in self.headers
                }
                stand_in.invoked += ok
                self.send_response(202 if ok else 400)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def cold(report: Report) -> None:
    lam = _LambdaStandIn()
    try:
        _cold(report, lam)
    finally:
        lam.close()


def _cold_env(lam: _LambdaStandIn) -> dict[str, str]:
    """The demo settings as a Lambda container sees them, its self-invoke caught by ``lam``."""
    return _demo_env() | {
        "AWS_LAMBDA_FUNCTION_NAME": "smartjobs-bench",  # boot in the init phase, as on Lambda
        "AWS_ENDPOINT_URL_LAMBDA": lam.url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCHONLY",
        "AWS_SECRET_ACCESS_KEY": "bench-only-secret",
    }


def _cold(report: Report, lam: _LambdaStandIn) -> None:
    env = _cold_env(lam)
    strays = stray_bytecode()
    if strays:
        report.note(SUITE, f"{strays} .pyc files beside the sources: no-.pyc figures optimistic")
    with bytecode_modes() as modes:
        for mode in modes:
            child = child_env({**env, **mode.env})
            if mode.env.get("PYTHONPYCACHEPREFIX"):  # fill the private cache; discarded
                run_child(
                    _COLD, env=child, stdin=json.dumps(_signed_command(env["SLACK_SIGNING_SECRET"]))
                )
                run_child(_BASELINE, env=child)
            ack_ms: list[float] = []
            base_ms: list[float] = []
            ack_wall: list[float] = []
            base_wall: list[float] = []
            in_script: list[float] = []
            last: dict[str, Any] = {}
            base_modules = 0
            for _ in range(COLD_RUNS):
                event = json.dumps(_signed_command(env["SLACK_SIGNING_SECRET"]))
                run = run_child(_COLD, env=child, stdin=event)
                last = run.output
                if last.get("status") != 200:
                    raise RuntimeError(f"cold ack answered HTTP {last.get('status')}")
                ack_ms.append(run.since_spawn_ms("ack"))
                ack_wall.append(run.wall_ms)
                in_script.append((last["ack"] - last["t0"]) * 1000)
                base = run_child(_BASELINE, env=child)
                base_ms.append(base.since_spawn_ms("imported"))
                base_wall.append(base.wall_ms)
                base_modules = int(base.output["modules"])
            name = mode.name
            report.add(
                Figure(
                    SUITE,
                    f"cold start→ack vs dependency imports, {name}",
                    median(ack_ms),
                    baseline=median(base_ms),
                    check="ratio",
                    limit=1.3,
                    note=f"median of {COLD_RUNS}, from spawn",
                )
            )
            report.add(
                Figure(
                    SUITE,
                    f"cold start→ack, absolute, {name}",
                    median(ack_ms),
                    check="value",
                    limit=1000,
                )
            )
            report.add(
                Figure(
                    SUITE,
                    f"cold: script start→ack / process wall, {name}",
                    median(in_script),
                    baseline=None,
                    note=f"process wall {median(ack_wall):.0f} ms vs baseline {median(base_wall):.0f} ms",
                )
            )
            report.note(
                SUITE,
                f"{name}: {last['modules']} modules loaded at the ack (baseline {base_modules}); "
                f"lazy self-invokes received by the Lambda stand-in: {lam.invoked}; heavy modules loaded: "
                f"{', '.join(last['heavy']) or 'none'}",
            )
            report.add(
                Figure(
                    SUITE,
                    f"alibabacloud_credentials in sys.modules after the cold ack, {name}",
                    float("alibabacloud_credentials" in last["heavy"]),
                    unit="loaded",
                    check="value",
                    limit=0,
                    note="0 = absent",
                )
            )


def _importtime(code: str, env: dict[str, str], stdin: str = "") -> list[tuple[str, float]]:
    """``python -X importtime``: (module, self ms) for every module the child imported."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():
            rows.append((name.strip(), int(own) / 1000))
    return rows


def extra_imports(report: Report) -> None:
    """Where the cold ack's time goes beyond the baseline: the modules it imports that the
    baseline does not, their own import time summed by top-level package (cached bytecode,
    so compile time does not blur it)."""
    lam = _LambdaStandIn()  # a failed self-invoke would run the listener in-process
    try:
        _extra_imports(report, _cold_env(lam))
    finally:
        lam.close()


def _extra_imports(report: Report, env: dict[str, str]) -> None:
    with bytecode_modes() as (_, cached):
        child = child_env({**env, **cached.env})
        event = json.dumps(_signed_command(env["SLACK_SIGNING_SECRET"]))
        for _ in range(2):  # the first run fills the private cache
            cold_rows = _importtime(_COLD, child, event)
            base_rows = _importtime(_BASELINE, child)
    seen = {name for name, _ in base_rows}
    by_package: dict[str, float] = {}
    for name, ms in cold_rows:
        if name not in seen:
            top = name.split(".")[0]
            by_package[top] = by_package.get(top, 0.0) + ms
    total = sum(by_package.values())
    shown = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    report.note(
        SUITE,
        f"-X importtime, cached .pyc: modules the baseline does not import cost {total:.0f} ms "
        f"of own import time; by package: {', '.join(f'{p} {ms:.0f} ms' for p, ms in shown)}",
    )


def _time_acks(local: Any, events: list[dict[str, Any]]) -> tuple[list[float], int]:
    """Ack each event through the real handler; the lazy events are dropped unrun."""
    from bot.local import LambdaContext

    latencies: list[float] = []
    failures = 0
    for event in events:
        context = LambdaContext()
        started = time.perf_counter()
        ack = local.handler(event, context)
        latencies.append((time.perf_counter() - started) * 1000)
        failures += ack.get("statusCode") != 200
        local.lam.pending.clear()
    return latencies, failures


def warm(report: Report) -> None:
    from bot.local import block_actions_body, function_url_event, sign_slack, slash_command_body
    from bot.local.demo import local_deployment
    from bot.names import ACTION_NEXT
    from bot.render._slack_text import find_button

    # Bolt's construction-time warning is not a result; INLINE_BUDGET=0: the silent ack
    # itself is measured here (bench/answer.py measures answers given in the ack).
    quiet = {"POWERTOOLS_LOG_LEVEL": "ERROR", "INLINE_BUDGET": "0"}
    with warnings.catch_warnings(), local_deployment(environ=quiet, count=500, seed=7) as local:
        warnings.filterwarnings("ignore", message="No application metrics")
        url, _, _ = local.command("failed asr")  # warms the path, lazy step included
        answers = local.answers(url)  # in the ack itself, or on the response_url
        value = find_button(answers[-1], ACTION_NEXT) if answers else None
        if value is None:
            raise RuntimeError("the warm-up command got no answer with a Next page button")

        def event(body: str) -> dict[str, Any]:
            return function_url_event(body, sign_slack(local.secret, body))

        texts = ["failed asr", "executing tts oldest 20", "finished chart 5", "since:2h failed"]
        commands = [
            event(
                slash_command_body(texts[i % len(texts)], response_url=local.slack.response_url())
            )
            for i in range(WARM_COMMANDS)
        ]
        clicks = [
            event(block_actions_body(ACTION_NEXT, value, response_url=local.slack.response_url()))
            for _ in range(WARM_CLICKS)
        ]
        command_ms, command_failures = _time_acks(local, commands)
        click_ms, click_failures = _time_acks(local, clicks)
    for label, values, failures in (
        ("slash command", command_ms, command_failures),
        ("Next page click", click_ms, click_failures),
    ):
        report.add(
            Figure(SUITE, f"warm {label} ack p50", percentile(values, 50), note=f"n={len(values)}")
        )
        report.add(
            Figure(
                SUITE,
                f"warm {label} ack p99",
                percentile(values, 99),
                check="value",
                limit=20,
                note=f"max {max(values):.1f} ms",
            )
        )
        report.add(
            Figure(
                SUITE,
                f"warm {label} acks not HTTP 200",
                failures,
                unit="count",
                check="value",
                limit=0,
            )
        )


def run(report: Report) -> None:
    cold(report)
    extra_imports(report)
    warm(report)
