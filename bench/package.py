"""``package``: the zipped size of the Lambda package ``make build`` produced.

Reuses ``infra/package_size.py`` (it zips the build directory in memory the way
``sam deploy`` uploads it). A size has no same-run baseline worth the name: it is held
to the absolute 10 MiB target, and its biggest parts are listed to show where it goes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from bench._core import ROOT, Figure, Report

SUITE = "package"
BUILD_DIR = ROOT / ".aws-sam" / "build" / "SmartJobsFunction"
TARGET_MIB = 10
MIB = 1024 * 1024


def _package_size() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "package_size", ROOT / "infra" / "package_size.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _newest(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for base in paths for p in base.rglob("*.py")), default=0.0)


def run(report: Report) -> None:
    if not BUILD_DIR.is_dir():
        report.skip(SUITE, "no .aws-sam/build/SmartJobsFunction: run `make build` first")
        return
    zipped, unzipped, parts = _package_size().measure(BUILD_DIR)
    report.add(
        Figure(
            SUITE,
            "Lambda package, zipped",
            zipped / MIB,
            "MiB",
            check="value",
            limit=TARGET_MIB,
            note=f"{unzipped / MIB:.1f} MiB unzipped",
        )
    )
    biggest = ", ".join(f"{name} {size / MIB:.1f}" for name, size in parts.most_common(6))
    report.note(SUITE, f"biggest parts (MiB zipped): {biggest}")
    if _newest([ROOT / "bot", ROOT / "handler"]) > _newest(
        [BUILD_DIR / "bot", BUILD_DIR / "handler"]
    ):
        report.note(SUITE, "the build is older than the sources: `make build` refreshes it")
