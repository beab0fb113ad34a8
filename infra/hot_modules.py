"""Print the files every request imports, relative to the package root, one a line.

`make build` compiles exactly these to bytecode for Python 3.12: the real paths (slash
commands answered inline and lazily, a button click, the digest, watches and their poll, the
schedules, through ``lambda_handler`` on the local stand-ins) decide, not a hand-kept list. Run with the project's environment: ``uv run python infra/hot_modules.py``.
"""

from __future__ import annotations

import io
import sys
import sysconfig
from contextlib import redirect_stdout
from pathlib import Path


def main() -> None:
    from bot.local import LambdaContext, schedule_event
    from bot.local.demo import local_deployment
    from bot.names import ACTION_NEXT
    from bot.render._slack_text import find_button

    for inline in ("2", "0"):
        with (
            redirect_stdout(io.StringIO()),
            local_deployment(
                count=60, environ={"INLINE_BUDGET": inline, "DIGEST_CHANNEL": "C0DEMO"}
            ) as local,
        ):
            url, _, _ = local.command("failed 3")
            value = find_button(local.answers(url)[-1], ACTION_NEXT)
            if value:
                local.press(ACTION_NEXT, value)
            for text in ("digest", "faild", "help", "watch failed", "watches", "failed region:all"):
                local.command(text)
            for event in (
                {"smartjobs": "watch-poll"},
                {"smartjobs": "keep-warm"},
                schedule_event(),
            ):
                local.handler(event, LambdaContext())
    roots = [Path(sysconfig.get_paths()["purelib"]), Path(__file__).resolve().parent.parent]
    files: set[str] = set()
    for module in list(sys.modules.values()):
        origin = getattr(module, "__file__", None)
        if not origin or not origin.endswith(".py"):
            continue
        path = Path(origin).resolve()
        for root in roots:
            if path.is_relative_to(root):
                files.add(str(path.relative_to(root)))
                break
    print("\n".join(sorted(f for f in files if not f.startswith(("tests/", "infra/")))))


if __name__ == "__main__":
    main()
