"""Claims: who answers a Slack request, so it is answered once across retries and fallbacks.

Lambda delivers an async event at least once, and a self-invoke that timed out on our side
may still have been accepted; without a record both runs would answer. A run *begins* a
claim before answering and *finishes* it after. A second run finds the claim and stays
silent; a run that finds a claim whose owner died (still in progress past its deadline)
takes it over, so a crash before the answer is retried rather than lost.

A store that cannot be reached never costs the answer: ``begin`` then says yes (a rare
double answer beats a silent one) and logs why.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from bot.aws import AwsClient

log = logging.getLogger("bot.store")

KEEP_FOR: Final = 3600.0
"""Seconds a claim is remembered: Lambda gives up on an async event within minutes."""
PREFIX: Final = "smartjobs-answer#"


class Claims(Protocol):
    def begin(self, key: str, *, busy_for: float) -> bool:
        """True when this run should answer: nobody has, and nobody alive is answering.

        ``busy_for``: seconds after which an unfinished claim counts as abandoned (the
        function's remaining time, plus a margin).
        """

    def finish(self, key: str) -> None:
        """The answer went out (or was given up on for good): later runs stay silent."""


@dataclass
class MemoryClaims:
    """One process's claims (``smartjobs serve``, tests)."""

    clock: Callable[[], float] = time.time
    _claims: dict[str, tuple[bool, float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, key: str, *, busy_for: float) -> bool:
        now = self.clock()
        with self._lock:
            found = self._claims.get(key)
            if found is not None and not _open(found, now):
                return False
            self._claims[key] = (False, now + busy_for, now + KEEP_FOR)
            return True

    def finish(self, key: str) -> None:
        with self._lock:
            self._claims[key] = (True, 0.0, self.clock() + KEEP_FOR)


def _open(claim: tuple[bool, float, float], now: float) -> bool:
    done, busy_until, expires = claim
    return expires < now or (not done and busy_until < now)


class SqliteClaims:
    """Claims in a SQLite file, shared by the processes of one machine."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = str(path)
        self._clock = clock
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, done INTEGER, "
                "busy_until REAL, expires REAL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=10, isolation_level=None)

    def begin(self, key: str, *, busy_for: float) -> bool:
        now = self._clock()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT done, busy_until, expires FROM claims WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and not _open((bool(row[0]), row[1], row[2]), now):
                db.execute("COMMIT")
                return False
            db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, 0, ?, ?)",
                (key, now + busy_for, now + KEEP_FOR),
            )
            db.execute("COMMIT")
            return True

    def finish(self, key: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE claims SET done = 1, busy_until = 0, expires = ? WHERE key = ?",
                (self._clock() + KEEP_FOR, key),
            )


class DynamoClaims:
    """Claims as items of the idempotency table (``DIGEST_TABLE``: key ``id``, TTL
    ``expiration``), beside Powertools' digest records; one conditional write each way."""

    def __init__(
        self, table: str, client: Callable[[], AwsClient], *, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = table
        self._client = client  # built on first use: a claim is made on the lazy path only
        self._clock = clock

    def begin(self, key: str, *, busy_for: float) -> bool:
        from bot.aws import AwsError

        now = self._clock()
        request = {
            "TableName": self._table,
            "Item": {
                "id": {"S": PREFIX + key},
                "status": {"S": "INPROGRESS"},
                "busy_until": {"N": str(int(now + busy_for))},
                "expiration": {"N": str(int(now + KEEP_FOR))},
            },
            "ConditionExpression": (
                "attribute_not_exists(id) OR expiration < :now OR "
                "(#status = :busy AND busy_until < :now)"
            ),
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":now": {"N": str(int(now))},
                ":busy": {"S": "INPROGRESS"},
            },
        }
        try:
            self._client().dynamodb("PutItem", request)
        except AwsError as error:
            if error.kind == "ConditionalCheckFailedException":
                return False
            log.error(
                "claims table unreachable (%s); answering anyway, a retry may answer twice. "
                "Fix: check DIGEST_TABLE and dynamodb:PutItem/UpdateItem on it",
                error,
            )
        return True

    def finish(self, key: str) -> None:
        from bot.aws import AwsError

        request = {
            "TableName": self._table,
            "Key": {"id": {"S": PREFIX + key}},
            "UpdateExpression": "SET #status = :done, expiration = :expires",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":done": {"S": "COMPLETED"},
                ":expires": {"N": str(int(self._clock() + KEEP_FOR))},
            },
        }
        try:
            self._client().dynamodb("UpdateItem", request)
        except AwsError as error:
            log.error("claim %s not marked answered (%s); a retry may answer twice", key, error)
