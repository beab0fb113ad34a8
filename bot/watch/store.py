"""Where watches live, and which jobs each one has already alerted: one interface, two backends.

DynamoDB when ``WATCH_TABLE`` is set (signed httpx calls, no boto3), a SQLite file
(``SMARTJOBS_DB``) otherwise. Jobs go through three states per watch: *known* (matched when
the watch was created, never alerts), *claimed* (a poll is alerting it right now), *alerted*.
:meth:`WatchStore.claim` is a conditional write: of two polls that overlap (EventBridge may
deliver twice) only one claims a job, and a claim whose poll died is taken over after
:data:`CLAIM_STALE`. Job records are kept for the lookback and then expire.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from bot.watch.model import Watch

if TYPE_CHECKING:
    from bot.aws import AwsClient
    from bot.config import Settings

CLAIM_STALE: Final = timedelta(minutes=10)
"""A claim older than this belongs to a poll that died: another poll may take it over."""
KNOWN, CLAIMED, ALERTED = "known", "claimed", "alerted"


class WatchStore(Protocol):
    def add(self, watch: Watch) -> None: ...

    def watches(self, channel: str | None = None) -> list[Watch]:
        """A channel's watches (all, without ``channel``), oldest first."""
        ...

    def save(self, watch: Watch) -> None:
        """Store the watch's changed fields (mute, pause, its open incident)."""
        ...

    def remove(self, watch_id: str) -> bool: ...

    def remember(self, watch_id: str, job_ids: Iterable[str], *, until: datetime) -> None:
        """Jobs that matched when the watch was created: known, never alerted."""
        ...

    def claim(
        self, watch_id: str, job_ids: Sequence[str], *, now: datetime, until: datetime
    ) -> list[str]:
        """Of ``job_ids``, those this poll may alert: new to the watch, unclaimed by a live poll."""
        ...

    def confirm(self, watch_id: str, job_ids: Iterable[str]) -> None:
        """The alert went out: these jobs never alert this watch again."""
        ...

    def release(self, watch_id: str, job_ids: Iterable[str]) -> None:
        """The alert did not go out: the next poll tries these jobs again."""
        ...


def open_store(settings: Settings, aws: Callable[[], AwsClient] | None = None) -> WatchStore:
    """DynamoDB for ``WATCH_TABLE``, else the SQLite file ``SMARTJOBS_DB``."""
    if settings.watch_table:
        from bot.aws import AwsClient

        return DynamoWatches(settings.watch_table, aws or AwsClient)
    return SqliteWatches(settings.state_db)


def _stamp(when: datetime | None) -> float | None:
    return when.timestamp() if when is not None else None


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value not in (None, "") else None


# --- SQLite ----------------------------------------------------------------------------------

_WATCH_COLUMNS = (
    "id, channel, query, created_by, created, team, muted_until, paused, "
    "incident_ts, incident_at, incident_jobs"
)


class SqliteWatches:
    """Watches in a SQLite file: ``smartjobs serve``, the CLI, the demo, tests."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        with self._db() as db:
            db.executescript(
                f"""
                CREATE TABLE IF NOT EXISTS watches ({_WATCH_COLUMNS}, PRIMARY KEY (id));
                CREATE TABLE IF NOT EXISTS watch_jobs (
                    watch_id TEXT, job_id TEXT, state TEXT, claimed_at REAL, expires REAL,
                    PRIMARY KEY (watch_id, job_id));
                """
            )

    def _db(self) -> sqlite3.Connection:
        if self._path == ":memory:":
            return self._memory
        return sqlite3.connect(self._path, timeout=10, isolation_level=None)

    def _run(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            db = self._db()
            try:
                return db.execute(sql, args).fetchall()
            finally:
                if db is not self._memory:
                    db.close()

    def add(self, watch: Watch) -> None:
        self._run(
            f"INSERT INTO watches ({_WATCH_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608 - our own column list
            *_row(watch),
        )

    def watches(self, channel: str | None = None) -> list[Watch]:
        select = f"SELECT {_WATCH_COLUMNS} FROM watches"  # noqa: S608 - our own column list
        if channel:
            rows = self._run(f"{select} WHERE channel = ? ORDER BY created", channel)
        else:
            rows = self._run(f"{select} ORDER BY created")
        return [_watch(row) for row in rows]

    def save(self, watch: Watch) -> None:
        row = _row(watch)
        self._run(
            "UPDATE watches SET muted_until=?, paused=?, incident_ts=?, incident_at=?, "
            "incident_jobs=? WHERE id=?",
            *row[6:],
            watch.id,
        )

    def remove(self, watch_id: str) -> bool:
        found = self._run("SELECT id FROM watches WHERE id = ?", watch_id)
        self._run("DELETE FROM watches WHERE id = ?", watch_id)
        self._run("DELETE FROM watch_jobs WHERE watch_id = ?", watch_id)
        return bool(found)

    def remember(self, watch_id: str, job_ids: Iterable[str], *, until: datetime) -> None:
        with self._lock:
            db = self._db()
            try:
                db.executemany(
                    "INSERT OR IGNORE INTO watch_jobs VALUES (?, ?, ?, NULL, ?)",
                    [(watch_id, job, KNOWN, until.timestamp()) for job in job_ids],
                )
            finally:
                if db is not self._memory:
                    db.close()

    def claim(
        self, watch_id: str, job_ids: Sequence[str], *, now: datetime, until: datetime
    ) -> list[str]:
        stale = (now - CLAIM_STALE).timestamp()
        claimed: list[str] = []
        with self._lock:
            db = self._db()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("DELETE FROM watch_jobs WHERE expires < ?", (now.timestamp(),))
                for job in job_ids:
                    row = db.execute(
                        "SELECT state, claimed_at FROM watch_jobs WHERE watch_id=? AND job_id=?",
                        (watch_id, job),
                    ).fetchone()
                    if row is not None and not (row[0] == CLAIMED and row[1] < stale):
                        continue
                    db.execute(
                        "INSERT OR REPLACE INTO watch_jobs VALUES (?, ?, ?, ?, ?)",
                        (watch_id, job, CLAIMED, now.timestamp(), until.timestamp()),
                    )
                    claimed.append(job)
                db.execute("COMMIT")
            finally:
                if db is not self._memory:
                    db.close()
        return claimed

    def confirm(self, watch_id: str, job_ids: Iterable[str]) -> None:
        for job in job_ids:
            self._run(
                "UPDATE watch_jobs SET state=? WHERE watch_id=? AND job_id=?",
                ALERTED,
                watch_id,
                job,
            )

    def release(self, watch_id: str, job_ids: Iterable[str]) -> None:
        for job in job_ids:
            self._run(
                "DELETE FROM watch_jobs WHERE watch_id=? AND job_id=? AND state=?",
                watch_id,
                job,
                CLAIMED,
            )


def _row(watch: Watch) -> tuple[Any, ...]:
    return (
        watch.id,
        watch.channel,
        watch.query,
        watch.created_by,
        watch.created.timestamp(),
        watch.team,
        _stamp(watch.muted_until),
        watch.paused,
        watch.incident_ts,
        _stamp(watch.incident_at),
        watch.incident_jobs,
    )


def _watch(row: Sequence[Any]) -> Watch:
    created = _time(row[4])
    assert created is not None
    return Watch(
        id=row[0],
        channel=row[1],
        query=row[2],
        created_by=row[3],
        created=created,
        team=row[5],
        muted_until=_time(row[6]),
        paused=row[7],
        incident_ts=row[8],
        incident_at=_time(row[9]),
        incident_jobs=int(row[10] or 0),
    )


# --- DynamoDB --------------------------------------------------------------------------------

WATCHES_PK: Final = "watches"


class DynamoWatches:
    """One table (``WATCH_TABLE``: keys ``pk``/``sk``, TTL ``expires``).

    A watch is ``pk=watches``, ``sk=<channel>#<created>#<id>`` (a channel's watches are one
    Query); a job a watch has seen is ``pk=watch#<id>``, ``sk=job#<job id>``.
    """

    def __init__(self, table: str, client: Callable[[], AwsClient]) -> None:
        self._table = table
        self._client = client

    def _call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return self._client().dynamodb(operation, {"TableName": self._table, **request})

    def add(self, watch: Watch) -> None:
        self._call("PutItem", {"Item": _item(watch)})

    def watches(self, channel: str | None = None) -> list[Watch]:
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk"
            + (" AND begins_with(sk, :channel)" if channel else ""),
            "ExpressionAttributeValues": {
                ":pk": {"S": WATCHES_PK},
                **({":channel": {"S": f"{channel}#"}} if channel else {}),
            },
        }
        found: list[Watch] = []
        while True:
            answer = self._call("Query", request)
            found += [_from_item(item) for item in answer.get("Items", [])]
            last = answer.get("LastEvaluatedKey")
            if not last:
                return sorted(found, key=lambda w: w.created)
            request["ExclusiveStartKey"] = last

    def save(self, watch: Watch) -> None:
        self._call("PutItem", {"Item": _item(watch)})

    def remove(self, watch_id: str) -> bool:
        for watch in self.watches():
            if watch.id == watch_id:
                self._call("DeleteItem", {"Key": _key(watch)})
                return True
        return False

    def remember(self, watch_id: str, job_ids: Iterable[str], *, until: datetime) -> None:
        items = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"watch#{watch_id}"},
                        "sk": {"S": f"job#{job}"},
                        "state": {"S": KNOWN},
                        "expires": {"N": str(int(until.timestamp()))},
                    }
                }
            }
            for job in dict.fromkeys(job_ids)
        ]
        for start in range(0, len(items), 25):
            pending: dict[str, Any] = {self._table: items[start : start + 25]}
            for _ in range(5):
                answer = self._client().dynamodb("BatchWriteItem", {"RequestItems": pending})
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break

    def claim(
        self, watch_id: str, job_ids: Sequence[str], *, now: datetime, until: datetime
    ) -> list[str]:
        from bot.aws import AwsError

        claimed = []
        for job in job_ids:
            try:
                self._call(
                    "PutItem",
                    {
                        "Item": {
                            "pk": {"S": f"watch#{watch_id}"},
                            "sk": {"S": f"job#{job}"},
                            "state": {"S": CLAIMED},
                            "claimed_at": {"N": str(int(now.timestamp()))},
                            "expires": {"N": str(int(until.timestamp()))},
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR expires < :now OR "
                        "(#state = :claimed AND claimed_at < :stale)",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {
                            ":now": {"N": str(int(now.timestamp()))},
                            ":claimed": {"S": CLAIMED},
                            ":stale": {"N": str(int((now - CLAIM_STALE).timestamp()))},
                        },
                    },
                )
            except AwsError as error:
                if error.kind != "ConditionalCheckFailedException":
                    raise
                continue
            claimed.append(job)
        return claimed

    def confirm(self, watch_id: str, job_ids: Iterable[str]) -> None:
        for job in job_ids:
            self._call(
                "UpdateItem",
                {
                    "Key": {"pk": {"S": f"watch#{watch_id}"}, "sk": {"S": f"job#{job}"}},
                    "UpdateExpression": "SET #state = :alerted",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {":alerted": {"S": ALERTED}},
                },
            )

    def release(self, watch_id: str, job_ids: Iterable[str]) -> None:
        from bot.aws import AwsError

        for job in job_ids:
            try:
                self._call(
                    "DeleteItem",
                    {
                        "Key": {"pk": {"S": f"watch#{watch_id}"}, "sk": {"S": f"job#{job}"}},
                        "ConditionExpression": "#state = :claimed",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":claimed": {"S": CLAIMED}},
                    },
                )
            except AwsError as error:
                if error.kind != "ConditionalCheckFailedException":
                    raise


def _key(watch: Watch) -> dict[str, Any]:
    created = watch.created.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return {"pk": {"S": WATCHES_PK}, "sk": {"S": f"{watch.channel}#{created}#{watch.id}"}}


def _item(watch: Watch) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(watch),
        "id": {"S": watch.id},
        "channel": {"S": watch.channel},
        "query": {"S": watch.query},
        "created_by": {"S": watch.created_by},
        "created": {"N": repr(watch.created.timestamp())},
        "incident_jobs": {"N": str(watch.incident_jobs)},
    }
    optional = {
        "team": watch.team,
        "paused": watch.paused,
        "incident_ts": watch.incident_ts,
    }
    item.update({k: {"S": v} for k, v in optional.items() if v})
    for name, when in (("muted_until", watch.muted_until), ("incident_at", watch.incident_at)):
        if when is not None:
            item[name] = {"N": repr(when.timestamp())}
    return item


def _from_item(item: dict[str, Any]) -> Watch:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return str(value) if value is not None else None

    def number(name: str) -> Any:
        return item.get(name, {}).get("N")

    created = _time(number("created"))
    assert created is not None
    watch = Watch(
        id=text("id") or "",
        channel=text("channel") or "",
        query=text("query") or "watch",
        created_by=text("created_by") or "",
        created=created,
        team=text("team"),
    )
    return replace(
        watch,
        muted_until=_time(number("muted_until")),
        paused=text("paused"),
        incident_ts=text("incident_ts"),
        incident_at=_time(number("incident_at")),
        incident_jobs=int(number("incident_jobs") or 0),
    )
