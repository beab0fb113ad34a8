"""Print the zipped size of the built Lambda package and its biggest parts.

Usage: python3 infra/package_size.py [BUILD_DIR]   (default .aws-sam/build/SmartJobsFunction)

Zips the directory in memory the way `sam deploy` uploads it (deflate) and
groups compressed sizes by top-level entry (a package, a module, bot/, handler/;
all *.dist-info folders together). Standard library only.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections import Counter
from pathlib import Path

DEFAULT_BUILD_DIR = Path(".aws-sam/build/SmartJobsFunction")
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload; S3 upload allows 250 MB unzipped
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def measure(build_dir: Path) -> tuple[int, int, Counter[str]]:
    """Return (zipped bytes, unzipped bytes, compressed bytes by top-level entry)."""
    buffer = io.BytesIO()
    unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(build_dir.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(build_dir).as_posix())
                unzipped += path.stat().st_size
        parts: Counter[str] = Counter()
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            parts["*.dist-info" if top.endswith(".dist-info") else top] += info.compress_size
    return len(buffer.getvalue()), unzipped, parts


def main(argv: list[str]) -> int:
    build_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_BUILD_DIR
    if not build_dir.is_dir():
        print(f"no build at {build_dir}: run 'make build' first", file=sys.stderr)
        return 1
    zipped, unzipped, parts = measure(build_dir)
    mib = 1024 * 1024
    print(
        f"package {build_dir}: {zipped / mib:.1f} MiB zipped, {unzipped / mib:.1f} MiB unzipped "
        f"(Lambda limits: {LAMBDA_ZIP_LIMIT // mib} MiB zipped upload, "
        f"{LAMBDA_UNZIPPED_LIMIT // mib} MiB unzipped)"
    )
    for name, size in parts.most_common(12):
        print(f"  {size / 1024:8.0f} KiB  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
