"""``answer``: time to answer, Enter → the list on the user's screen, with 200 ms of ICE.

What an on-call engineer feels is not the ack but the list. ICE (the emulator, in its own
process) answers every request 200 ms late, a cross-border round trip.

- **cold, inline**: a fresh interpreter boots ``handler.app`` as Lambda's init phase would and
  answers one signed ``/smartjobs failed 5`` whose ``requestContext.timeEpoch`` is the
  moment of the spawn (so the cold start counts against the 2 s inline budget). The list is
  there when the ack, carrying it, returns. Timed from the spawn.
- **baseline, the standard Bolt lazy path**: the same cold ack with answers inline off
  (``INLINE_BUDGET=0``), its signed self-invoke caught by a stand-in for Lambda's Invoke API;
  then a second fresh interpreter runs that event through ``lambda_handler``, as a second
  cold container would, and posts the page to the response_url (a ``SlackStub``). Timed
  from the first spawn to the post's arrival. Lambda's own queueing between the two is not
  modelled, which flatters the baseline.
- **warm**: in this process, the booted handler answering a command (list in the ack) and a
  Next page click (page on the response_url before the ack), 30 of each.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench._core import Figure, RemoteEmulator, Report, child_env, median, percentile, run_child

SUITE = "answer"
ICE_LATENCY = 0.2
COLD_RUNS = 5
WARM_RUNS = 30

_COLD = r"""
import time
T0 = time.perf_counter()
import json, sys
event = json.loads(sys.stdin.read())
from handler import app as entry

class _Context:
    function_name = "smartjobs-bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:smartjobs-bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench-answer"
    log_group_name = "/aws/lambda/smartjobs-bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 60_000

ack = entry.lambda_handler(event, _Context())
T_ACK = time.perf_counter()
body = ack.get("body") or ""
print(json.dumps({"t0": T0, "ack": T_ACK, "status": ack.get("statusCode"),
                  "listed": '"blocks"' in body and "Failed" in body}))
"""


class _InvokeCatcher:
    """Lambda's Invoke API on loopback, keeping each async event for the second process."""

    def __init__(self) -> None:
        catcher = self
        self.events: list[str] = []
        self.arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers.get("content-length") or 0))
                with catcher.arrived:
                    catcher.events.append(payload.decode())
                    catcher.arrived.notify_all()
                self.send_response(202)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self) -> str:
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.events, timeout=30):
                raise RuntimeError("the cold ack made no self-invoke")
            return self.events.pop(0)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _env(slack_api: str, ice_url: str, lam: str, inline: bool) -> dict[str, str]:
    from bot.local.demo import demo_environment

    return demo_environment(slack_api, ice_url) | {
        "INLINE_BUDGET": "2" if inline else "0",
        "AWS_LAMBDA_FUNCTION_NAME": "smartjobs-bench",
        "AWS_ENDPOINT_URL_LAMBDA": lam,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCHONLY",
        "AWS_SECRET_ACCESS_KEY": "bench-only-secret",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _event(secret: str, response_url: str) -> dict[str, Any]:
    from bot.local import function_url_event, sign_slack, slash_command_body

    body = slash_command_body("failed 5", response_url=response_url)
    event = function_url_event(body, sign_slack(secret, body))
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)  # the request arrives now
    return event


def run(report: Report) -> None:
    from bot.local import SlackStub

    spec = {"count": 400, "seed": 7, "faults": {"latency": ICE_LATENCY}}
    with RemoteEmulator(**spec) as ice, SlackStub() as slack:
        lam = _InvokeCatcher()
        try:
            _cold(report, ice.url, slack, lam)
            _warm(report, ice.url, slack)
        finally:
            lam.close()


def _cold(report: Report, ice_url: str, slack: Any, lam: _InvokeCatcher) -> None:
    inline_env = child_env(_env(slack.api_url, ice_url, lam.url, inline=True))
    lazy_env = child_env(_env(slack.api_url, ice_url, lam.url, inline=False))
    secret = inline_env["SLACK_SIGNING_SECRET"]
    run_child(_COLD, env=inline_env, stdin=json.dumps(_event(secret, slack.response_url())))
    inline: list[float] = []
    baseline: list[float] = []
    for _ in range(COLD_RUNS):
        cold = run_child(
            _COLD, env=inline_env, stdin=json.dumps(_event(secret, slack.response_url()))
        )
        if not cold.output.get("listed"):
            raise RuntimeError("the cold inline ack did not carry the list")
        inline.append(cold.since_spawn_ms("ack"))

        url = slack.response_url()
        first = run_child(_COLD, env=lazy_env, stdin=json.dumps(_event(secret, url)))
        lazy_event = lam.take()
        run_child(_COLD, env=lazy_env, stdin=lazy_event)  # the second cold container
        (post,) = slack.to(url)
        baseline.append((post.received - first.spawned) * 1000)
    report.add(
        Figure(
            SUITE,
            "cold: Enter → list, inline vs Bolt's lazy path (2 cold processes)",
            median(inline),
            baseline=median(baseline),
            check="ratio",
            limit=0.6,
            note=f"median of {COLD_RUNS}, ICE {ICE_LATENCY * 1000:.0f} ms",
        )
    )
    report.add(
        Figure(SUITE, "cold: Enter → list, inline, worst", max(inline), check="value", limit=2000)
    )


def _warm(report: Report, ice_url: str, slack: Any) -> None:
    import os

    import handler.app as entry
    from bot.local import LambdaContext, block_actions_body, function_url_event, sign_slack
    from bot.render._slack_text import find_button

    env = _env(slack.api_url, ice_url, "http://127.0.0.1:9", inline=True)
    saved = {k: os.environ.get(k) for k in ("POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_LOG_LEVEL")}
    os.environ.update(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="ERROR")
    entry.runtime = entry.build_runtime(env)
    try:
        secret = env["SLACK_SIGNING_SECRET"]
        commands: list[float] = []
        clicks: list[float] = []
        value: str | None = None
        for _ in range(WARM_RUNS + 3):
            started = time.perf_counter()
            ack = entry.lambda_handler(_event(secret, slack.response_url()), LambdaContext())
            commands.append((time.perf_counter() - started) * 1000)
            page = json.loads(ack["body"])
            value = find_button(page, "next_page")
        assert value is not None
        for _ in range(WARM_RUNS + 3):
            url = slack.response_url()
            body = block_actions_body("next_page", value, response_url=url)
            event = function_url_event(body, sign_slack(secret, body))
            event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
            started = time.perf_counter()
            entry.lambda_handler(event, LambdaContext())
            (post,) = slack.to(url)
            clicks.append((post.received - started) * 1000)
    finally:
        entry.runtime.services.close()
        entry.runtime = None
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
    limit = ICE_LATENCY * 1000 + 100
    for name, samples in (("command → list in the ack", commands), ("Next page → page", clicks)):
        warm = samples[3:]  # the first ones open connections
        report.add(
            Figure(
                SUITE,
                f"warm: {name}, p50",
                median(warm),
                check="value",
                limit=limit,
                note=f"p99 {percentile(warm, 99):.0f} ms; ICE {ICE_LATENCY * 1000:.0f} ms",
            )
        )
