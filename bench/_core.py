"""What every suite shares: figures with targets, statistics, fresh interpreters, an
out-of-process ICE emulator.

Each figure is compared with a baseline measured in the same run, so a slow or busy
machine moves both sides alike; the target applies to the ratio, the difference, or
(for hard limits such as Slack's 3 s) the value itself.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
Check = Literal["value", "ratio", "delta"]


@dataclass
class Figure:
    """One measured quantity, its same-run baseline, and the target it is held to."""

    suite: str
    name: str
    value: float | None
    unit: str = "ms"
    baseline: float | None = None
    check: Check | None = None
    limit: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def delta(self) -> float | None:
        if self.value is None or self.baseline is None:
            return None
        return self.value - self.baseline

    @property
    def checked(self) -> float | None:
        if self.check == "ratio":
            return self.ratio
        if self.check == "delta":
            return self.delta
        return self.value

    @property
    def passed(self) -> bool | None:
        """None for context figures (no target); a missing value is a miss."""
        if self.check is None or self.limit is None:
            return None
        got = self.checked
        return got is not None and got <= self.limit

    @property
    def target(self) -> str:
        if self.check is None or self.limit is None:
            return ""
        if self.check == "ratio":
            return f"ratio ≤ {self.limit:g}"
        if self.check == "delta":
            return f"+ ≤ {self.limit:g} {self.unit}"
        return f"≤ {self.limit:g} {self.unit}"

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "info"}[self.passed]

    def line(self) -> str:
        text = f"  {self.name}: {fmt(self.value, self.unit)}"
        if self.baseline is not None:
            text += f"  (baseline {fmt(self.baseline, self.unit)}"
            if self.ratio is not None:
                text += f", ratio {self.ratio:.2f}"
            if self.check == "delta" and self.delta is not None:
                text += f", {self.delta:+.1f} {self.unit}"
            text += ")"
        if self.target:
            text += f"  target {self.target}  {self.verdict}"
        if self.note:
            text += f"  [{self.note}]"
        return text

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, target=self.target, passed=self.passed)
        return data


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("", "count", "calls", "pages", "jobs", "loaded"):
        text = f"{value:g}" if value == int(value) else f"{value:.2f}"
        return text if unit in ("",) else f"{text} {unit}"
    if abs(value) >= 100:
        return f"{value:.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


@dataclass
class Report:
    """Collects figures and notes; prints them as they come so a long run shows progress."""

    figures: list[Figure] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(figure.line(), flush=True)
        return figure

    def note(self, suite: str, text: str) -> None:
        self.notes.setdefault(suite, []).append(text)
        print(f"  - {text}", flush=True)

    def skip(self, suite: str, reason: str) -> None:
        self.skipped[suite] = reason
        print(f"  skipped: {reason}", flush=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "figures": [f.as_json() for f in self.figures],
            "notes": self.notes,
            "skipped": self.skipped,
            "errors": self.errors,
            "seconds": self.seconds,
        }


# -- statistics --------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: p99 of 300 samples is the 297th, an observed value."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


# -- fresh interpreters ------------------------------------------------------------------


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment minus anything that would make children talk to real clouds."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALIBABA_CLOUD_", "SLACK_", "ICE_", "AWS_", "POWERTOOLS_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Bytecode:
    """How fresh interpreters find compiled bytecode.

    ``lambda``: none for the project and its dependencies (the Lambda package ships no
    ``.pyc`` and its file system is read-only), the standard library's own as installed.
    ``cached``: a private ``PYTHONPYCACHEPREFIX``, filled by a discarded warm-up run:
    what a package with pre-compiled bytecode would give. Neither writes into the repo.
    """

    name: str
    env: Mapping[str, str]


@contextmanager
def bytecode_modes() -> Iterator[tuple[Bytecode, Bytecode]]:
    with tempfile.TemporaryDirectory(prefix="smartjobs-bench-pyc-") as prefix:
        yield (
            Bytecode("no .pyc (as on Lambda)", {"PYTHONDONTWRITEBYTECODE": "1"}),
            Bytecode(
                "cached .pyc",
                {"PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": ""},
            ),
        )


def stray_bytecode() -> int:
    """``.pyc`` files beside the project's or the venv's sources would make the
    ``lambda`` mode faster than Lambda; counted so the report can say so."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    roots = [ROOT / "bot", ROOT / "handler"] + [
        site / name for name in ("httpx", "slack_bolt", "slack_sdk", "aws_lambda_powertools")
    ]
    found = 0
    for base in roots:
        for _ in base.rglob("*.pyc"):
            found += 1
            if found >= 1000:
                return found
    return found


@dataclass(frozen=True)
class ChildRun:
    spawned: float
    """``perf_counter()`` in the parent just before the child was started."""
    exited: float
    output: dict[str, Any]

    @property
    def wall_ms(self) -> float:
        return (self.exited - self.spawned) * 1000

    def since_spawn_ms(self, key: str) -> float:
        """A child's ``perf_counter()`` stamp, measured from the spawn: CLOCK_MONOTONIC
        is shared by every process on Linux, so this includes interpreter start-up."""
        return (float(self.output[key]) - self.spawned) * 1000


def run_child(
    code: str, *, env: Mapping[str, str], stdin: str = "", timeout: float = 60.0
) -> ChildRun:
    """Run ``python -c code`` in a fresh interpreter; its last stdout line is JSON."""
    spawned = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    exited = time.perf_counter()
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"child exited {done.returncode}: " + " | ".join(tail))
    lines = done.stdout.strip().splitlines()
    return ChildRun(spawned, exited, json.loads(lines[-1]) if lines else {})


# -- ICE emulator in its own process -------------------------------------------------------

_EMULATOR_CHILD = r"""
import json, sys
from datetime import UTC, datetime, timedelta
from bot.ice.emulator import Emulator, Faults, generate_jobs
from bot.ice.emulator._dataset import wire_time

spec = json.loads(sys.stdin.readline())
jobs = None
if spec.get("window_hours"):
    # generate_jobs spreads CreateTime over 7 days: squeeze the first `in_window` jobs
    # into the window and push the rest just before it, so a scan has an edge to find.
    now = datetime.now(UTC).replace(microsecond=0)
    jobs = generate_jobs(count=spec["count"], seed=spec.get("seed", 7), now=now)
    window = timedelta(hours=spec["window_hours"])
    inside = spec["in_window"]
    for index, job in enumerate(jobs):
        if index < inside:
            created = now - window * ((index + 0.5) / inside)
        else:
            created = now - window - timedelta(minutes=index - inside + 1)
        if "CreateTime" in job:
            job["CreateTime"] = wire_time(created)
        if "ModifiedTime" in job:
            job["ModifiedTime"] = wire_time(min(now, created + timedelta(seconds=30)))
faults = Faults(**spec["faults"]) if spec.get("faults") else None
ice = Emulator(jobs=jobs, count=spec.get("count", 500), seed=spec.get("seed", 7), faults=faults)
ice.start()
print(json.dumps({"port": ice.port, "jobs": len(ice.jobs)}), flush=True)
for line in sys.stdin:
    if line.strip() == "calls":
        print(json.dumps({"calls": ice.calls}), flush=True)
ice.stop()
"""


class RemoteEmulator:
    """The ICE emulator in a child process: its threads, its JSON encoding and its job list
    stay out of the measured process (no shared GIL, nothing in tracemalloc's count)."""

    def __init__(self, **spec: Any) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _EMULATOR_CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env({"PYTHONDONTWRITEBYTECODE": "1"}),
            cwd=ROOT,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(spec) + "\n")
        self._proc.stdin.flush()
        ready = self._proc.stdout.readline()
        if not ready:
            self._proc.wait(timeout=5)
            raise RuntimeError(f"the emulator process exited {self._proc.returncode}")
        info = json.loads(ready)
        self.port: int = info["port"]
        self.jobs: int = info["jobs"]
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def calls(self) -> int:
        """``ListSmartJobs`` requests the emulator received so far."""
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write("calls\n")
        self._proc.stdin.flush()
        return int(json.loads(self._proc.stdout.readline())["calls"])

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> RemoteEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
