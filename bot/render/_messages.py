"""Block Kit for help, errors and short notices, and the message for each kind of failure.

Pure. Our own text (help, hints, usage) keeps its mrkdwn but is still escaped and bounded;
user words quoted in an error are escaped like job data. Never a stack trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.render._blocks import MAX_SECTION, MAX_TEXT, Block, Message, context, fits, section
from bot.render._mrkdwn import clean, code, fit, slack_len

if TYPE_CHECKING:
    from bot.filters import FilterError
    from bot.ice._errors import IceError

_TRACEBACK = "Traceback (most recent call last)"


def _chunks(text: str, limit: int) -> list[str]:
    """Our own mrkdwn cut into escaped pieces of at most ``limit``, at line ends."""
    pieces: list[str] = []
    for raw in clean(text, keep_lines=True).split("\n"):
        line = fit(raw, limit, authored=True)
        if pieces and slack_len(pieces[-1]) + 1 + slack_len(line) <= limit:
            pieces[-1] += "\n" + line
        else:
            pieces.append(line)
    return [p for p in pieces if p.strip()]


def _authored(text: str, limit: int) -> str:
    """Our own mrkdwn (details, hints, usage): lines and backticks kept, escaped, bounded."""
    return fit(text, limit, keep_lines=True, authored=True)


def render_help(help_text: str) -> Message:
    """Help as sections (≤ 3000 each, paragraphs kept together), notification = first line."""
    blocks: list[Block] = []
    more = section("… (help cut short to fit one Slack message)")
    for chunk in _chunks(help_text, MAX_SECTION):
        if not fits([*blocks, section(chunk), more]):
            blocks.append(more)
            break
        blocks.append(section(chunk))
    lines = clean(help_text, keep_lines=True).splitlines()
    first = next((line for line in lines if line.strip()), "")
    text = fit(first.replace("`", "").replace("*", ""), MAX_TEXT, "smartjobs help")
    return {"text": text, "blocks": blocks or [section("No help available.")]}


def render_error(
    title: str,
    detail: str,
    *,
    hint: str | None = None,
    request_id: str | None = None,
    usage: str | None = None,
) -> Message:
    """A private, readable error: what went wrong, how to fix it; never a stack trace."""
    detail = detail.split(_TRACEBACK, 1)[0]
    head = f":warning: *{fit(title, 150, 'Something went wrong')}*"
    body = _authored(detail, 1000)
    blocks = [section(f"{head}\n{body}" if body else head)]
    if hint and clean(hint):
        blocks.append(section(f":bulb: {_authored(hint, 1000)}"))
    if usage and clean(usage):
        blocks.append(section(f"```{_authored(usage, MAX_SECTION - 6)}```"))
    if request_id and clean(request_id):
        blocks.append(context(f"Request id {code(request_id, 80)}"))
    text = fit(f"⚠️ {clean(title) or 'Something went wrong'}", MAX_TEXT)
    return {"text": text, "blocks": blocks}


def render_notice(text: str) -> Message:
    """One short line ("Building the digest…", "You are not allowed…"), same words notified."""
    line = fit(text, 300, "…", authored=True)
    return {"text": fit(text, MAX_TEXT, "…", authored=True), "blocks": [section(line)]}


# --- the message for each kind of failure ----------------------------------------------------


def filter_error_message(error: FilterError, usage: str) -> Message:
    return render_error("That command didn't parse", str(error), usage=usage)


def ice_error_headline(error: IceError) -> str:
    """What happened, in a phone notification's few words; the detail line says why."""
    from bot.ice import (
        CredentialsError,
        IceAccountError,
        IceAuthError,
        IceJobNotFoundError,
        IceParameterError,
        IceProtocolError,
        IceThrottledError,
        IceTransportError,
    )

    headlines: tuple[tuple[type[IceError], str], ...] = (
        (CredentialsError, "No Alibaba Cloud credentials"),
        (IceAccountError, "The Alibaba Cloud account can't use ICE"),
        (IceAuthError, "ICE refused the credentials"),
        (IceJobNotFoundError, "ICE has no such job"),
        (IceParameterError, "ICE rejected the request"),
        (IceThrottledError, "ICE is throttling requests"),
        (IceTransportError, "ICE didn't answer"),
        (IceProtocolError, "ICE sent an unexpected answer"),
    )
    return next(
        (text for kind, text in headlines if isinstance(error, kind)), "ICE returned an error"
    )


def ice_error_message(error: IceError) -> Message:
    return render_error(
        ice_error_headline(error),
        f"`{error.code}`: {error.message}",
        hint=error.hint,
        request_id=error.request_id,
    )


def unexpected_error_message() -> Message:
    return render_error(
        "Something went wrong",
        "smartjobs hit an unexpected error; it has been logged.",
        hint="Try again; if it persists, tell the app's operator.",
    )


def not_allowed_message() -> Message:
    return render_notice(
        ":no_entry: You are not allowed to use smartjobs here. "
        "Ask the app's operator to add you (ALLOWED_*_IDS)."
    )


def stale_button_message(reason: str) -> Message:
    return render_error("That button no longer works", reason, hint="Run the command again.")
