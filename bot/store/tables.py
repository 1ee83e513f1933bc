"""The bot's tables, and the frozen records the store hands out instead of live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, Row, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# A claim older than this is taken to belong to a crashed process and may be taken over.
STALE_CLAIM = timedelta(minutes=2)
# Slack retries an event for minutes, not days; older event ids are forgotten.
EVENT_MEMORY = timedelta(days=1)


class AlertStatus(StrEnum):
    """What the alert message shows, mirroring the incident's status in Coralogix."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"  # case messages only: a case past resolved (closed as a false alarm, say)


class MessageKind(StrEnum):
    """What a row of alert_messages shows (migration 0006)."""

    ALERT = "alert"
    CASE = "case"


class Base(DeclarativeBase):
    """Declarative base of the bot's tables."""


class AlertMessageRow(Base):
    """One alert message the bot posted."""

    __tablename__ = "alert_messages"
    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_alert_messages_channel_ts"),
        Index("uq_alert_messages_open_key", "open_key", unique=True),
        Index("uq_alert_messages_incident_key", "incident_key", unique=True),
        Index("ix_alert_messages_channel_created", "channel", "created_at"),  # storms count a channel's minute
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str | None] = mapped_column(String(32))  # empty until posted
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
    # One message per alert and incident: unique while open / for good (see migration 0003).
    open_key: Mapped[str | None] = mapped_column(String(800))
    incident_key: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[int | None] = mapped_column(Integer)  # the notification job that posts it
    pending_job: Mapped[int | None] = mapped_column(Integer)  # the action job showing "Resolving…" on it
    storm_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the storm message covering it (0005)
    # Set by each writer (no Python-side default): rows written before revision 0006 get the server's.
    kind: Mapped[str] = mapped_column(String(16), server_default=MessageKind.ALERT.value)


class StormRow(Base):
    """One alert storm in one channel: a single message standing for many alerts (see migration 0005)."""

    __tablename__ = "storms"
    __table_args__ = (Index("uq_storms_open_channel", "open_channel", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    open_channel: Mapped[str | None] = mapped_column(String(64))  # = channel while open: one open storm each
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_alert_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ts: Mapped[str | None] = mapped_column(String(32))  # its message, once posted
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every change it must show
    rendered_version: Mapped[int] = mapped_column(Integer, default=-1)
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class StormRecord:
    """A snapshot of one storm's row."""

    id: int
    channel: str
    started_at: datetime
    last_alert_at: datetime
    ended_at: datetime | None
    ts: str | None
    version: int
    rendered_version: int
    rendered_at: datetime | None

    @classmethod
    def of(cls, row: StormRow) -> StormRecord:
        """From a live row."""
        return cls(
            id=row.id,
            channel=row.channel,
            started_at=aware(row.started_at) or row.started_at,
            last_alert_at=aware(row.last_alert_at) or row.last_alert_at,
            ended_at=aware(row.ended_at),
            ts=row.ts,
            version=row.version,
            rendered_version=row.rendered_version,
            rendered_at=aware(row.rendered_at),
        )


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
    ts: str | None  # None until the message is posted
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
    job_id: int | None = None
    pending_job: int | None = None
    storm_id: int | None = None
    kind: MessageKind = MessageKind.ALERT


def to_record(row: AlertMessageRow | Row[Any]) -> AlertRecord:
    """An alert message as the services see it, from its ORM object or a Core row of all its columns."""
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
        status_at=aware(row.status_at),
        pending_action=row.pending_action,
        pending_by=row.pending_by,
        pending_since=aware(row.pending_since),
        version=row.version,
        created_at=aware(row.created_at) or row.created_at,
        job_id=row.job_id,
        pending_job=row.pending_job,
        storm_id=row.storm_id,
        kind=MessageKind(row.kind or MessageKind.ALERT.value),
    )


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the bot stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
