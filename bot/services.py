"""The I/O the Slack app needs, handed in: tests, the demo and the server swap in their own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:  # httpx and pydantic load on the lazy path only, never for an ack
    from bot.ice import CallRecord, IceClient


@dataclass
class Services:
    """Built once per process; ICE clients are made per region on first use (lazy path)."""

    settings: Settings
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ice_factory: Callable[[Settings, str], IceClient] | None = None
    """Builds the client for a region; default: ``IceClient.from_env`` with telemetry."""
    on_event: Callable[[str, dict[str, Any]], None] = lambda name, fields: None
    """Telemetry hook: ``("command", {...})``, ``("page", {...})``, ``("ice_error", {...})``."""
    _clients: dict[str, IceClient] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ice(self, region: str) -> IceClient:
        """One pooled client per region, built on first use (lazy path only)."""
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                from bot.ice import IceClient

                client = self._clients[region] = (
                    self.ice_factory(self.settings, region)
                    if self.ice_factory
                    else IceClient.from_env(
                        self.settings.ice_env(region), observers=(self._observe,)
                    )
                )
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _observe(self, record: CallRecord) -> None:
        self.on_event(
            "ice_call",
            {"ms": record.elapsed * 1000, "code": record.code, "request_id": record.request_id},
        )
