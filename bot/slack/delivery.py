"""How an answer reaches Slack: a response_url post, or a Web API message. One place for it.

Both never raise and never retry on their own: a post whose answer was lost may still have
been shown, and a second try would show it twice. Refusals are logged once, with the fix.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

if TYPE_CHECKING:
    from slack_bolt import Respond
    from slack_sdk import WebClient

log = logging.getLogger("bot.slack")

Message = dict[str, Any]

RESPONSE_URL_TIMEOUT: Final = 10.0
"""Seconds one response_url post may take; Bolt's own ``respond`` waits 30 s and retries."""

SLACK_HINTS: Final[dict[str, str]] = {
    "not_in_channel": "invite the bot to the channel (/invite @smartjobs), "
    "or add the chat:write.public scope to the Slack app and reinstall it",
    "channel_not_found": "check {setting} (a channel id such as C0123456789, not a name); for a private "
    "channel invite the bot (/invite @smartjobs); public channels also work uninvited once "
    "the app has the chat:write.public scope",
    "missing_scope": "add the chat:write scope (and chat:write.public to post without an "
    "invite) to the Slack app and reinstall it",
    "is_archived": "the channel is archived: unarchive it or point {setting} elsewhere",
    "invalid_auth": "check SLACK_BOT_TOKEN (an xoxb- bot token of this workspace)",
    "not_authed": "set SLACK_BOT_TOKEN (an xoxb- bot token)",
    "token_revoked": "the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot token belongs to a deactivated app or user: reinstall the app",
    "ratelimited": "Slack is rate limiting the app: it is tried again later",
    "msg_too_long": "the message was too long: this is a bug, please report it",
    "unreachable": "check SLACK_API_URL and the network path to Slack",
    "server_error": "Slack had a server error: it is tried again later",
}
_FALLBACK_HINT: Final = "see https://api.slack.com/methods/chat.postMessage#errors"

PERMANENT: Final = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
"""Refusals that will not pass by themselves: the channel must change, or the bot be invited."""
TRANSIENT: Final = frozenset(
    {"ratelimited", "unreachable", "server_error", "fatal_error", "internal_error"}
)
"""Refusals worth another try later (Slack's 5xx come through as ``unreachable`` or these)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Slack did not take a Web API message; ``code`` is Slack's error (or ``unreachable``)."""

    code: str
    needed: str | None = None
    setting: str = "the channel id"
    """What names the channel (``DIGEST_CHANNEL``, a watch), for the hint."""

    @property
    def hint(self) -> str:
        return SLACK_HINTS.get(self.code, _FALLBACK_HINT).format(setting=self.setting)

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT


class SlackPostError(Exception):
    """Raised by :func:`post_message`; carries the :class:`Refusal` (already logged)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def send_response(respond: Respond, **message: Any) -> bool:
    """Post one answer to the request's response_url; log why when it did not arrive.

    Returns True when Slack took it.
    """
    url = respond.response_url
    if not url:
        log.error("answer not delivered: the request carried no response_url")
        return False
    host = url.split("://", 1)[-1].split("/", 1)[0]  # the path is a capability: not logged
    client = WebhookClient(
        url=url,
        timeout=RESPONSE_URL_TIMEOUT,  # type: ignore[arg-type]  # slack_sdk annotates int
        proxy=respond.proxy,
        ssl=respond.ssl,
        retry_handlers=[],
    )
    body = {key: value for key, value in message.items() if value is not None}
    try:
        response = client.send_dict(body)
    except Exception as error:  # urllib raises timeouts and refusals as OSError and friends
        log.error(
            "answer not delivered: Slack's response_url (%s) did not answer (%s%s); "
            "not retried, so the user may see nothing: check the network path to Slack",
            host,
            type(error).__name__,
            " - timed out" if isinstance(error, TimeoutError) else "",
        )
        return False
    if response.status_code != 200:
        said = " ".join(str(response.body or "").split())[:80] or "(no body)"
        log.error(
            "answer not delivered: Slack's response_url answered HTTP %s %s%s",
            response.status_code,
            said,
            "; it has expired or was used 5 times (they last 30 minutes)"
            if response.status_code == 404 or "expired" in said or "used_url" in said
            else "; not retried",
        )
        return False
    return True


def post_message(
    client: WebClient,
    channel: str,
    message: Message,
    *,
    what: str = "message",
    setting: str = "the channel id",
    thread_ts: str | None = None,
) -> str | None:
    """``chat.postMessage``; the new message's ``ts``. Raises :class:`SlackPostError`.

    ``what`` and ``setting`` word the log line ("digest not posted…: check DIGEST_CHANNEL").
    """
    return _call(client, "chat_postMessage", channel, message, what, setting, thread_ts=thread_ts)


def update_message(
    client: WebClient, channel: str, ts: str, message: Message, *, what: str
) -> None:
    """``chat.update`` of a message the bot posted. Raises :class:`SlackPostError`."""
    _call(client, "chat_update", channel, message, what, "the channel id", ts=ts)


def _call(
    client: WebClient,
    method: str,
    channel: str,
    message: Message,
    what: str,
    setting: str,
    **extra: Any,
) -> str | None:
    arguments = {key: value for key, value in extra.items() if value is not None}
    try:
        response = getattr(client, method)(
            channel=channel,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
            **arguments,
        )
    except SlackApiError as error:
        status = error.response.status_code
        code = str(error.response.get("error") or "unknown_error")
        if status >= 500 or status == 429:
            code = "ratelimited" if status == 429 else "server_error"
        needed = error.response.get("needed")
        refusal = Refusal(code, str(needed) if needed else None, setting)
    except (SlackClientError, OSError) as error:
        refusal = Refusal("unreachable", setting=setting)
        log.error(
            "%s not posted to %s: Slack's Web API did not answer (%s). Fix: %s",
            what,
            channel,
            type(error).__name__,
            refusal.hint,
            extra={"slack_error": refusal.code},
        )
        raise SlackPostError(refusal) from None
    else:
        ts = response.get("ts")
        return ts if isinstance(ts, str) else None
    log.error(
        "%s not posted to %s: Slack said %s%s. Fix: %s",
        what,
        channel,
        refusal.code,
        f" (needs {refusal.needed})" if refusal.needed else "",
        refusal.hint,
        extra={"slack_error": refusal.code},
    )
    raise SlackPostError(refusal) from None


@dataclass(frozen=True, slots=True)
class Answer:
    """What a request is answered with; ``ok`` False marks an error notice.

    An error never replaces what the user was looking at: a failed click leaves its list
    in place, buttons and all, and the error arrives as a private message of its own.
    """

    message: Message
    ok: bool = True


def reply(respond: Respond, answer: Answer, *, replace: bool = False) -> bool:
    """Send an :class:`Answer` to the request's response_url, privately."""
    return send_response(
        respond,
        replace_original=replace and answer.ok,
        response_type="ephemeral",
        **answer.message,
    )


def guarded(function: Callable[..., None]) -> Callable[..., None]:
    """A lazy listener that always ends in an answer: any exception becomes the friendly error.

    Bolt itself would only log it, and the user, acked silently, would see nothing. The
    wrapper keeps the listener's signature (Bolt injects arguments by name) and its name
    (Bolt finds a lazy run's function by it).
    """

    @functools.wraps(function)
    def run(**kwargs: Any) -> None:
        try:
            function(**kwargs)
        except Exception:
            log.exception("unexpected failure in %s", function.__name__)
            respond = kwargs.get("respond")
            if respond is None:
                return
            from bot.render import unexpected_error_message

            reply(respond, Answer(unexpected_error_message(), ok=False))

    return run
