"""The store: alert messages and processed Slack events, on SQLite (default) or PostgreSQL.

Every method returns plain frozen records, never live ORM objects, so callers cannot touch a
session by accident. Claims (`claim`) are single conditional UPDATEs, atomic on both databases:
that is what keeps two clicks, or two bot processes, from resolving the same incident twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.settings import normalise_database_url
from bot.store.migrations import migrate, read_version

# A claim older than this is taken to belong to a crashed process and may be taken over.
STALE_CLAIM = timedelta(minutes=2)
# Slack retries an event for minutes, not days; older event ids are forgotten.
EVENT_MEMORY = timedelta(days=1)


class AlertStatus(StrEnum):
    """What the alert message shows, mirroring the incident's status in Coralogix."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Base(DeclarativeBase):
    """Declarative base of the bot's tables."""


class AlertMessageRow(Base):
    """One alert message the bot posted."""

    __tablename__ = "alert_messages"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_alert_messages_channel_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[str] = mapped_column(String(255), index=True)
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)
    notification: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.TRIGGERED.value)
    status_by: Mapped[str | None] = mapped_column(String(64))
    status_via: Mapped[str | None] = mapped_column(String(32))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pending_action: Mapped[str | None] = mapped_column(String(16))
    pending_by: Mapped[str | None] = mapped_column(String(64))
    pending_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProcessedEventRow(Base):
    """A Slack event id the bot has acted on (Slack retries deliveries with the same id)."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A snapshot of one alert message's row."""

    id: int
    channel: str
    ts: str
    alert_id: str
    incident_id: str | None
    notification: dict[str, Any]
    status: AlertStatus
    status_by: str | None
    status_via: str | None
    status_at: datetime | None
    pending_action: str | None
    pending_by: str | None
    pending_since: datetime | None
    version: int
    created_at: datetime


def _record(row: AlertMessageRow) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        channel=row.channel,
        ts=row.ts,
        alert_id=row.alert_id,
        incident_id=row.incident_id,
        notification=dict(row.notification),
        status=AlertStatus(row.status),
        status_by=row.status_by,
        status_via=row.status_via,
        status_at=_aware(row.status_at),
        pending_action=row.pending_action,
        pending_by=row.pending_by,
        pending_since=_aware(row.pending_since),
        version=row.version,
        created_at=_aware(row.created_at) or row.created_at,
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the bot stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _sqlite_file_missing(engine: AsyncEngine) -> bool:
    """Whether the engine is SQLite on a file that does not exist yet (one stat, at doctor time only)."""
    database = engine.url.database
    return engine.url.get_backend_name() == "sqlite" and bool(database) and not Path(str(database)).exists()


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What `Store.inspect` found."""

    url: str
    version: int | None
    error: str | None


class Store:
    """Async access to the bot's tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._session = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, and create or migrate the tables."""
        engine = create_async_engine(normalise_database_url(url), pool_pre_ping=True)
        await migrate(engine, Base.metadata)
        return cls(engine)

    @staticmethod
    async def inspect(url: str) -> StoreInfo:
        """Read-only: can the database be reached, and which schema version does it hold?"""
        engine = create_async_engine(normalise_database_url(url))
        shown = engine.url.render_as_string(hide_password=True)
        if _sqlite_file_missing(engine):
            await engine.dispose()  # connecting would create the file: report instead
            return StoreInfo(url=shown, version=None, error=None)
        try:
            async with engine.connect() as connection:
                version = await connection.run_sync(read_version)
        except Exception as e:  # noqa: BLE001 - any failure to connect is the answer
            return StoreInfo(url=shown, version=None, error=f"{type(e).__name__}: {str(e)[:200]}")
        finally:
            await engine.dispose()
        return StoreInfo(url=shown, version=version, error=None)

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
        return _record(row)

    async def get(self, record_id: int) -> AlertRecord | None:
        """One alert message by its id."""
        async with self._session() as session:
            row = await session.get(AlertMessageRow, record_id)
            return _record(row) if row else None

    async def by_message(self, channel: str, ts: str) -> AlertRecord | None:
        """The alert shown by the Slack message (channel, ts), if the bot posted it."""
        return await self._one(
            select(AlertMessageRow).where(AlertMessageRow.channel == channel, AlertMessageRow.ts == ts)
        )

    async def by_incident(self, incident_id: str) -> list[AlertRecord]:
        """Every alert message showing `incident_id`, oldest first."""
        query = select(AlertMessageRow).where(AlertMessageRow.incident_id == incident_id).order_by(AlertMessageRow.id)
        async with self._session() as session:
            return [_record(r) for r in (await session.scalars(query)).all()]

    async def alert_urls(self, incident_ids: list[str]) -> dict[str, str]:
        """The `alert_url` of the newest alert message of each incident that has one."""
        if not incident_ids:
            return {}
        query = (
            select(AlertMessageRow).where(AlertMessageRow.incident_id.in_(incident_ids)).order_by(AlertMessageRow.id)
        )
        async with self._session() as session:
            rows = (await session.scalars(query)).all()
        return {
            r.incident_id: str(r.notification["alert_url"])
            for r in rows
            if r.incident_id and str(r.notification.get("alert_url") or "").startswith(("https://", "http://"))
        }

    async def latest_open_for_alert(self, alert_id: str) -> AlertRecord | None:
        """The newest unresolved alert message of `alert_id`."""
        query = (
            select(AlertMessageRow)
            .where(AlertMessageRow.alert_id == alert_id, AlertMessageRow.status != AlertStatus.RESOLVED.value)
            .order_by(AlertMessageRow.id.desc())
            .limit(1)
        )
        return await self._one(query)

    async def claim(self, record_id: int, *, action: str, user: str) -> bool:
        """Atomically mark an action in flight; False when another one is, or the alert is resolved."""
        now = datetime.now(UTC)
        query = (
            update(AlertMessageRow)
            .where(
                AlertMessageRow.id == record_id,
                AlertMessageRow.status != AlertStatus.RESOLVED.value,
                or_(AlertMessageRow.pending_action.is_(None), AlertMessageRow.pending_since < now - STALE_CLAIM),
            )
            .values(pending_action=action, pending_by=user, pending_since=now, version=AlertMessageRow.version + 1)
        )
        async with self._session() as session, session.begin():
            result = await session.execute(query)
        return bool(getattr(result, "rowcount", 0) == 1)

    async def release(self, record_id: int) -> AlertRecord | None:
        """Drop an in-flight mark (the action failed); the message goes back to its previous state."""
        return await self._update(record_id, pending_action=None, pending_by=None, pending_since=None)

    async def set_status(
        self, record_id: int, status: AlertStatus, *, by: str | None, via: str, incident_id: str | None = None
    ) -> AlertRecord | None:
        """Record a new status (and clear any in-flight mark)."""
        values: dict[str, Any] = {
            "status": status.value,
            "status_by": by,
            "status_via": via,
            "status_at": datetime.now(UTC),
            "pending_action": None,
            "pending_by": None,
            "pending_since": None,
        }
        if incident_id:
            values["incident_id"] = incident_id
        return await self._update(record_id, **values)

    async def set_incident(self, record_id: int, incident_id: str) -> AlertRecord | None:
        """Bind an alert message to the incident found for it."""
        return await self._update(record_id, incident_id=incident_id)

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

    async def _update(self, record_id: int, **values: Any) -> AlertRecord | None:
        async with self._session() as session, session.begin():
            row = await session.get(AlertMessageRow, record_id, with_for_update=True)
            if row is None:
                return None
            for key, value in values.items():
                setattr(row, key, value)
            # Bumped in SQL, not `row.version += 1`: SQLite ignores FOR UPDATE, so concurrent updates
            # there all read the same version and lost each other's bumps.
            row.version = AlertMessageRow.version + 1
            await session.flush()
            await session.refresh(row)
        return _record(row)

    async def _one(self, query: Any) -> AlertRecord | None:
        async with self._session() as session:
            row = (await session.scalars(query)).first()
            return _record(row) if row else None
