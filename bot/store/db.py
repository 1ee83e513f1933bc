"""The store: alert messages and processed Slack events, on SQLite (default) or PostgreSQL.

Every method returns plain frozen records, never live ORM objects, so callers cannot touch a
session by accident. Claims (`claim`) are single conditional UPDATEs, atomic on both databases:
that is what keeps two clicks, or two bot processes, from resolving the same incident twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.database_url import where
from bot.formatters.common import safe_url
from bot.store.engine import DatabaseError, check_sqlite_folder, create_engine, unusable
from bot.store.migrations import current_revision, head_revision, migrate
from bot.store.tables import (
    EVENT_MEMORY,
    STALE_CLAIM,
    AlertMessageRow,
    AlertRecord,
    AlertStatus,
    ProcessedEventRow,
    to_record,
)

__all__ = [
    "EVENT_MEMORY",
    "STALE_CLAIM",
    "AlertMessageRow",
    "AlertRecord",
    "AlertStatus",
    "DatabaseError",
    "ProcessedEventRow",
    "Store",
    "StoreInfo",
]


def _sqlite_file_missing(engine: AsyncEngine) -> bool:
    """Whether the engine is SQLite on a file that does not exist yet (one stat, at doctor time only)."""
    database = engine.url.database
    return engine.url.get_backend_name() == "sqlite" and bool(database) and not Path(str(database)).exists()


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What `Store.inspect` found."""

    url: str
    revision: str | None
    head: str
    error: str | None


class Store:
    """Async access to the bot's tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._session = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, and create or migrate the tables; `DatabaseError` (one clear line) when that fails."""
        check_sqlite_folder(url)
        try:
            await migrate(url)
        except DatabaseError:
            raise
        except Exception as e:
            raise unusable(url, e) from e
        return cls(create_engine(url, pool_pre_ping=True))

    @staticmethod
    async def migrate(url: str) -> StoreInfo:
        """Create or upgrade the tables and exit (`python -m bot migrate`); what the database holds now."""
        opened = await Store.open(url)
        await opened.close()
        return await Store.inspect(url)

    @staticmethod
    async def inspect(url: str) -> StoreInfo:
        """Read-only: can the database be reached, and which revision does it hold?"""
        engine = create_engine(url)
        shown, head = where(url), head_revision()
        if _sqlite_file_missing(engine):
            await engine.dispose()  # connecting would create the file: report instead
            return StoreInfo(url=shown, revision=None, head=head, error=None)
        try:
            async with engine.connect() as connection:
                revision = await connection.run_sync(current_revision)
        except Exception as e:  # noqa: BLE001 - any failure to connect is the answer
            return StoreInfo(url=shown, revision=None, head=head, error=unusable(url, e).user_message)
        finally:
            await engine.dispose()
        return StoreInfo(url=shown, revision=revision, head=head, error=None)

    async def ping(self) -> None:
        """One cheap round trip; raises when the database does not answer."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Release the connection pool."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    async def add_alert(
        self,
        *,
        channel: str,
        ts: str,
        alert_id: str,
        incident_id: str | None,
        notification: dict[str, Any],
        status: AlertStatus = AlertStatus.TRIGGERED,
        status_via: str | None = None,
    ) -> AlertRecord:
        """Remember a freshly posted alert message."""
        now = datetime.now(UTC)
        row = AlertMessageRow(
            channel=channel,
            ts=ts,
            alert_id=alert_id,
            incident_id=incident_id,
            notification=notification,
            status=status.value,
            status_via=status_via,
            status_at=now if status_via else None,
            version=0,
            created_at=now,
        )
        async with self._session() as session, session.begin():
            session.add(row)
        return to_record(row)

    async def get(self, record_id: int) -> AlertRecord | None:
        """One alert message by its id."""
        async with self._session() as session:
            row = await session.get(AlertMessageRow, record_id)
            return to_record(row) if row else None

    async def by_message(self, channel: str, ts: str) -> AlertRecord | None:
        """The alert shown by the Slack message (channel, ts), if the bot posted it."""
        return await self._one(
            select(AlertMessageRow).where(AlertMessageRow.channel == channel, AlertMessageRow.ts == ts)
        )

    async def by_incident(self, incident_id: str) -> list[AlertRecord]:
        """Every alert message showing `incident_id`, oldest first."""
        query = select(AlertMessageRow).where(AlertMessageRow.incident_id == incident_id).order_by(AlertMessageRow.id)
        async with self._session() as session:
            return [to_record(r) for r in (await session.scalars(query)).all()]

    async def alert_urls(self, incident_ids: list[str]) -> dict[str, str]:
        """The `alert_url` of the newest alert message of each incident that has one Slack accepts."""
        if not incident_ids:
            return {}
        query = (
            select(AlertMessageRow).where(AlertMessageRow.incident_id.in_(incident_ids)).order_by(AlertMessageRow.id)
        )
        async with self._session() as session:
            rows = (await session.scalars(query)).all()
        return {
            r.incident_id: url for r in rows if r.incident_id and (url := safe_url(r.notification.get("alert_url")))
        }

    async def recent_for_alert(self, alert_id: str, limit: int = 20) -> list[AlertRecord]:
        """The newest alert messages of `alert_id`, newest first."""
        query = (
            select(AlertMessageRow)
            .where(AlertMessageRow.alert_id == alert_id)
            .order_by(AlertMessageRow.id.desc())
            .limit(limit)
        )
        async with self._session() as session:
            return [to_record(r) for r in (await session.scalars(query)).all()]

    async def claim(
        self, record_id: int, *, action: str, user: str, allowed_from: set[AlertStatus]
    ) -> AlertRecord | None:
        """Atomically mark an action in flight, if the alert is in one of `allowed_from` and nothing else is
        in flight (or only a stale claim); the claimed record, or None."""
        now = datetime.now(UTC)
        return await self._update_where(
            record_id,
            [
                AlertMessageRow.status.in_([s.value for s in allowed_from]),
                or_(AlertMessageRow.pending_action.is_(None), AlertMessageRow.pending_since < now - STALE_CLAIM),
            ],
            pending_action=action,
            pending_by=user,
            pending_since=now,
        )

    async def release(self, record_id: int, *, expect_version: int) -> AlertRecord | None:
        """Drop our in-flight mark (the action failed) unless the record changed since; the message goes back
        to its previous state."""
        return await self._update_where(
            record_id,
            [AlertMessageRow.version == expect_version],
            pending_action=None,
            pending_by=None,
            pending_since=None,
        )

    async def transition(
        self,
        record_id: int,
        to: AlertStatus,
        *,
        by: str | None,
        via: str,
        allowed_from: set[AlertStatus],
        expect_version: int | None = None,
        incident_id: str | None = None,
    ) -> AlertRecord | None:
        """Move to `to` only from `allowed_from` (and, with `expect_version`, only if nothing changed since
        our claim); clears any in-flight mark. None when the condition failed: a late or duplicate event
        never overwrites newer state (a late acknowledge never reopens a resolved alert)."""
        conditions: list[Any] = [AlertMessageRow.status.in_([s.value for s in allowed_from])]
        if expect_version is not None:
            conditions.append(AlertMessageRow.version == expect_version)
        values: dict[str, Any] = {
            "status": to.value,
            "status_by": by,
            "status_via": via,
            "status_at": datetime.now(UTC),
            "pending_action": None,
            "pending_by": None,
            "pending_since": None,
        }
        if incident_id:
            values["incident_id"] = incident_id
        return await self._update_where(record_id, conditions, **values)

    async def set_incident(self, record_id: int, incident_id: str) -> AlertRecord | None:
        """Bind an alert message to the incident found for it; the updated record."""
        return await self._update_where(record_id, [], incident_id=incident_id)

    async def release_stale(self) -> list[AlertRecord]:
        """Drop claims older than STALE_CLAIM (left by a crash or restart); the records to re-render."""
        cutoff = datetime.now(UTC) - STALE_CLAIM
        still_stale = [AlertMessageRow.pending_action.is_not(None), AlertMessageRow.pending_since < cutoff]
        stale = select(AlertMessageRow.id).where(*still_stale)
        async with self._session() as session:
            ids = list((await session.scalars(stale)).all())
        # Checked again per row: a claim taken over since the read is fresh and must stay.
        released = [
            await self._update_where(i, still_stale, pending_action=None, pending_by=None, pending_since=None)
            for i in ids
        ]
        return [r for r in released if r is not None]

    async def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen, False for every repeat (Slack's retries)."""
        now = datetime.now(UTC)
        try:
            async with self._session() as session, session.begin():
                session.add(ProcessedEventRow(event_id=event_id, seen_at=now))
        except IntegrityError:
            return False
        async with self._session() as session, session.begin():
            await session.execute(delete(ProcessedEventRow).where(ProcessedEventRow.seen_at < now - EVENT_MEMORY))
        return True

    async def _update_where(self, record_id: int, conditions: list[Any], **values: Any) -> AlertRecord | None:
        """One conditional UPDATE (atomic on both databases) that also bumps the version; the row as
        written, or None when the conditions did not hold."""
        query = (
            update(AlertMessageRow)
            .where(AlertMessageRow.id == record_id, *conditions)
            .values(**values, version=AlertMessageRow.version + 1)
        )
        async with self._session() as session, session.begin():
            result = await session.execute(query)
            if getattr(result, "rowcount", 0) != 1:
                return None
            row = await session.get(AlertMessageRow, record_id, populate_existing=True)
            return to_record(row) if row else None

    async def _one(self, query: Any) -> AlertRecord | None:
        async with self._session() as session:
            row = (await session.scalars(query)).first()
            return to_record(row) if row else None
