"""``python -m bench [suite …]``: run the suites, print a summary table, write results.json.

A missed target is reported, not raised: the exit code is 1 only when a suite errors.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback

from bench import SUITES
from bench._core import ROOT, Report, fmt

RESULTS = ROOT / "bench" / "results.json"


def summary(report: Report) -> str:
    rows = [("suite", "figure", "value", "baseline", "ratio", "target", "result")]
    for f in report.figures:
        rows.append(
            (
                f.suite,
                f.name,
                fmt(f.value, f.unit),
                "" if f.baseline is None else fmt(f.baseline, f.unit),
                "" if f.ratio is None else f"{f.ratio:.2f}",
                f.target,
                f.verdict,
            )
        )
    for suite, reason in report.skipped.items():
        rows.append((suite, f"skipped: {reason}", "", "", "", "", "skip"))
    for suite, error in report.errors.items():
        rows.append((suite, f"error: {error}", "", "", "", "", "ERROR"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    widths[1] = min(widths[1], 64)
    lines = []
    for index, row in enumerate(rows):
        cells = [cell[: widths[i]].ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append(" | ".join(cells).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    checked = [f for f in report.figures if f.passed is not None]
    missed = [f for f in checked if f.passed is False]
    lines.append(
        f"{len(checked) - len(missed)}/{len(checked)} targets met"
        + (f"; missed: {', '.join(f'{f.suite}: {f.name}' for f in missed)}" if missed else "")
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("suites", nargs="*", choices=[*SUITES, []], metavar="suite")
    args = parser.parse_args(argv)
    chosen = args.suites or list(SUITES)
    report = Report()
    for name in chosen:
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            module.run(report)
        except Exception as error:
            report.errors[name] = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        report.seconds[name] = round(time.perf_counter() - started, 1)
        print(f"  ({report.seconds[name]:.1f} s)", flush=True)
    print("\n== summary\n" + summary(report))
    RESULTS.write_text(json.dumps(report.as_json(), indent=2) + "\n")
    print(f"\n(written to {RESULTS.relative_to(ROOT)})")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
