"""The I/O the Slack app needs, handed in: tests, the demo and the server swap in their own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.telemetry import Emit, IceCalled, discard

if TYPE_CHECKING:  # httpx loads on the lazy path only, never for an ack
    from bot.ice import CallRecord, IceClient
    from bot.watch.store import WatchStore


KNOWN_ERRORS = 2000
"""ErrorCodes a container remembers (a few hundred kB at most)."""


@dataclass
class Services:
    """Built once per process; ICE clients are made per region on first use (lazy path)."""

    settings: Settings
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ice_factory: Callable[[Settings, str], IceClient] | None = None
    """Builds the client for a region; default: ``IceClient.from_env`` with telemetry."""
    emit: Emit = discard
    """Telemetry hook: one typed event at a time (:mod:`bot.telemetry`)."""
    watch_store: WatchStore | None = None
    """Where watches live; default: ``WATCH_TABLE``'s DynamoDB, else ``SMARTJOBS_DB``."""
    _errors: OrderedDict[str, str] = field(default_factory=OrderedDict, repr=False)
    _clients: dict[str, IceClient] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ice(self, region: str | None = None) -> IceClient:
        """One pooled client per region (default: the deployment's), built on first use."""
        region = region or self.settings.ice_region
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

    def remember_errors(self, codes: Mapping[str, str]) -> None:
        """ErrorCodes learnt from GetSmartHandleJob, so later lists show them for free."""
        with self._lock:
            for job_id, error_code in codes.items():
                self._errors[job_id] = error_code
                self._errors.move_to_end(job_id)
            while len(self._errors) > KNOWN_ERRORS:
                self._errors.popitem(last=False)

    def known_errors(self, job_ids: Iterable[str | None]) -> dict[str, str]:
        with self._lock:
            return {j: self._errors[j] for j in job_ids if j and j in self._errors}

    def watches(self) -> WatchStore:
        """The watch store, opened on first use (lazy path only)."""
        with self._lock:
            if self.watch_store is None:
                from bot.watch.store import open_store

                self.watch_store = open_store(self.settings)
            return self.watch_store

    def __deepcopy__(self, memo: dict[int, object]) -> Services:
        """Shared, never copied: Bolt deep-copies a request's context for lazy threads."""
        return self

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _observe(self, record: CallRecord) -> None:
        self.emit(
            IceCalled(
                record.elapsed * 1000,
                record.code,
                record.request_id,
                degraded=record.degraded,
                unreadable=record.unreadable,
            )
        )
