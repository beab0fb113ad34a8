"""Lambda's asynchronous self-invoke, caught locally: Bolt's lazy listeners call
``lambda_client.invoke(InvocationType="Event")`` before the ack returns; this records the
payload so the caller can run it through ``lambda_handler`` afterwards, as Lambda would."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class InvokeRefused(Exception):
    """Raised by ``invoke`` when the stub is told to refuse (tests of a missing IAM grant)."""


@dataclass
class LocalLambda:
    """``refuse``: every invoke raises (a missing grant). ``lose_answer``: the event is
    queued, then the call raises as a client-side timeout would (Lambda took it anyway)."""

    refuse: bool = False
    lose_answer: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)
    invoked: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # boto3's argument names
    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        if self.refuse:
            raise InvokeRefused(f"AccessDeniedException: not authorized to invoke {FunctionName}")
        assert InvocationType == "Event", "lazy listeners must be invoked asynchronously"
        with self._lock:
            self.pending.append(json.loads(Payload))
            self.invoked += 1
        if self.lose_answer:
            raise TimeoutError("the Invoke call timed out after Lambda had queued the event")
        return {"StatusCode": 202}

    def run_pending(self, handler: Callable[[dict[str, Any], Any], Any], context: Any) -> int:
        """Run every recorded invocation (and any it triggers) through the handler."""
        ran = 0
        while True:
            with self._lock:
                if not self.pending:
                    return ran
                event = self.pending.pop(0)
            handler(event, context)
            ran += 1
