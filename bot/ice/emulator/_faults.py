"""Injected failures: scripted or random errors, hangs, a proxy's HTML page, broken JSON."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Final

from bot.ice.emulator._errors import ApiError

# Special script entries (anything else in ``Faults.script`` is an error Code).
TIMEOUT, HTML, MALFORMED = "timeout", "html", "malformed"

HTML_502: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n"
    "</body>\r\n</html>\r\n"
)

Answer = tuple[int, dict[str, Any] | str]
"""An HTTP status and its body: JSON-ready data, or text sent as HTML."""


@dataclass
class Faults:
    """Injected failures, answered before verification (a faulted request does not use its nonce).

    ``script`` entries are popped one per request, in order, then normal service
    resumes; append to it on a live emulator to script the next requests. An entry
    is an error ``Code`` (status from :data:`ERRORS`, 400 when unknown), or
    ``"timeout"`` (hold the connection ``hang`` seconds, then close it unanswered;
    ``stop()`` cuts the wait short), ``"html"`` (a gateway's HTML 502 page) or
    ``"malformed"`` (200 with truncated JSON). Random faults draw from their own
    RNG seeded by ``seed``: ``Throttling.User`` at ``throttle_rate``, else
    ``InternalError``/``ServiceUnavailable`` at ``error_rate``.
    """

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency: float = 0.0
    seed: int = 0
    script: list[str] = field(default_factory=list)
    hang: float = 30.0
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311  (fault injection, not crypto)

    def draw(self) -> str | None:
        """The fault for the next request, or None; callers hold the emulator's lock."""
        if self.script:
            return self.script.pop(0)
        if self.throttle_rate <= 0 and self.error_rate <= 0:
            return None
        roll = self._rng.random()
        if roll < self.throttle_rate:
            return "Throttling.User"
        if roll < self.throttle_rate + self.error_rate:
            return self._rng.choice(["InternalError", "ServiceUnavailable"])
        return None


class Hang(Exception):
    """The ``timeout`` fault: close the connection without an answer."""


def fault_answer(fault: str, *, hang: float, request_id: str, stopping: threading.Event) -> Answer:
    """What a drawn fault sends; raises :class:`ApiError` for a code, :class:`Hang` for a hang.

    ``stopping`` cuts a hang short when the emulator stops.
    """
    if fault == TIMEOUT:
        stopping.wait(hang)
        raise Hang
    if fault == HTML:
        return 502, HTML_502
    if fault == MALFORMED:
        return 200, f'{{"RequestId":"{request_id}","SmartJobList":[{{"JobId":'
    raise ApiError(fault)
