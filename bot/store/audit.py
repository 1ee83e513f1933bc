"""The audit trail: every action attempt, allowed or refused, and every notification, one record each.

The audit is the system of record of who did what: Coralogix's API records the API key, not the
person. Records are written once and never changed. A job is recorded at most once (`job_id` is
unique, and recording is one INSERT … ON CONFLICT DO NOTHING), so a job resumed after a crash
does not record twice. Records older than AUDIT_RETENTION_DAYS are pruned in bounded batches.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from bot.store.direct import DIRECT
from bot.store.engine import Database, DbConnection
from bot.store.tables import Base, aware

logger = logging.getLogger(__name__)

TABLE = "audit_records"
# Rows deleted per statement when pruning.
PRUNE_BATCH = 500


class AuditKind(StrEnum):
    """What a record is about."""

    ACTION = "action"  # a person's resolve or acknowledge that was journaled and run
    NOTIFICATION = "notification"  # an alert notification from Coralogix, and what the bot did with it
    REFUSAL = "refusal"  # an attempt refused before it became a job


class Decision(StrEnum):
    """What the access policy said about an attempt."""

    ALLOWED = "allowed"
    REFUSED = "refused"
    PARTLY = "partly"  # allowed for some of the incidents, refused for the others


class AuditRow(Base):
    """One audit record."""

    __tablename__ = TABLE
    __table_args__ = (
        UniqueConstraint("job_id", name="uq_audit_records_job_id"),
        Index("ix_audit_records_at", "at"),
        Index("ix_audit_records_user", "user", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(Integer)
    user: Mapped[str | None] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(255))
    user_email: Mapped[str | None] = mapped_column(String(320))
    team: Mapped[str | None] = mapped_column(String(64))
    surface: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    verb: Mapped[str | None] = mapped_column(String(32))
    incident_ids: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(255))
    outcomes: Mapped[dict[str, str]] = mapped_column(JSON)
    problem: Mapped[str | None] = mapped_column(Text)
    error_id: Mapped[str | None] = mapped_column(String(64))
    coralogix_ms: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One audit record, as written and as read back (`id` is None until it is stored); the fields
    are the table's columns, in its order.

    `kind` and `decision` take the `AuditKind` and `Decision` values; they are read back as plain
    strings, so a record written by a newer bot still reads. `outcomes` maps each incident id to
    its `bot.services.actions.Outcome` value; `detail` says, for a notification, which alert, what
    it asked and what the bot did.
    """

    id: int | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    kind: str
    job_id: int | None = None
    user: str | None = None  # the Slack user id
    user_name: str | None = None
    user_email: str | None = None  # when the app has the users:read.email scope
    team: str | None = None
    surface: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    verb: str | None = None
    incident_ids: tuple[str, ...] = ()
    note: str | None = None
    decision: str | None = None
    rule: str | None = None  # the policy rule that decided
    outcomes: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why the action could not start at all
    error_id: str | None = None
    coralogix_ms: int | None = None  # how long the Coralogix calls took
    detail: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("AuditRecord.at must be timezone-aware")


FIELDS = tuple(f.name for f in fields(AuditRecord))
# The longest text each bounded column takes; longer values are cut to fit rather than lose the record.
_LIMITS = {c.name: c.type.length for c in AuditRow.__table__.columns if isinstance(c.type, String) and c.type.length}


def _row(record: AuditRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in FIELDS if name != "id"}
    values["at"] = _utc(record.at)
    values["incident_ids"] = list(record.incident_ids)
    values["outcomes"] = dict(record.outcomes)
    for name, limit in _LIMITS.items():
        if isinstance(value := values.get(name), str) and len(value) > limit:
            values[name] = value[: limit - 1] + "…"
    return values


def _utc(moment: datetime) -> datetime:
    """In UTC: SQLite keeps a datetime's digits and drops its offset, so only UTC compares right."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record(row: RowMapping) -> AuditRecord:
    values = {name: row[name] for name in FIELDS}
    values["at"] = aware(row["at"]) or row["at"]
    values["incident_ids"] = tuple(row["incident_ids"] or ())
    values["outcomes"] = dict(row["outcomes"] or {})
    return AuditRecord(**values)


class AuditLog:
    """The audit records on one database."""

    def __init__(self, engine: Database) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if self._postgres else sqlite.insert
        # Built once (a Core statement, its values given at execution): SQLAlchemy caches its compiled form.
        table = cast(Table, AuditRow.__table__)
        self._record = self._insert(table).on_conflict_do_nothing(index_elements=[table.c.job_id]).returning(table.c.id)
        self._record = self._record.execution_options(**DIRECT)

    async def record(self, record: AuditRecord, *, connection: DbConnection | None = None) -> bool:
        """Write `record`; False when its `job_id` was recorded already (a resumed job), and nothing is written.
        In `connection`'s transaction when given (a job's last one), else in a transaction of its own."""
        if connection is None:
            async with self.engine.begin() as own:
                return await self.record(record, connection=own)
        return (await connection.execute(self._record, _row(record))).first() is not None

    async def query(
        self,
        *,
        since: datetime | None = None,
        user: str | None = None,
        incident: str | None = None,
        outcome: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """The records matching every filter given, oldest first (a log's order); with `limit`, the newest
        `limit` of them.

        `since`: at or after (naive means UTC). `user`: that Slack user id. `incident`: naming that
        incident id. `outcome`: an Outcome value some incident of the record came to; `refused` also
        matches a refused or partly refused attempt, and `failed` an action that could not start.
        """
        conditions: list[ColumnElement[bool]] = []
        if since is not None:
            conditions.append(AuditRow.at >= _utc(since))
        if user is not None:
            conditions.append(AuditRow.user == user)
        if incident is not None:
            conditions.append(self._names_incident(incident))
        if outcome is not None:
            conditions.append(self._came_to(outcome))
        statement = select(AuditRow).where(*conditions).order_by(AuditRow.at.desc(), AuditRow.id.desc())
        if limit is not None:
            statement = statement.limit(limit)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(statement)).mappings().all()
        return [_record(row) for row in reversed(rows)]

    async def prune(self, older_than: datetime, batch: int = PRUNE_BATCH) -> int:
        """Delete records from before `older_than`, at most `batch` per statement; how many went."""
        removed = 0
        while True:
            old = select(AuditRow.id).where(AuditRow.at < _utc(older_than)).limit(batch).scalar_subquery()
            async with self.engine.begin() as connection:
                count = int((await connection.execute(delete(AuditRow).where(AuditRow.id.in_(old)))).rowcount or 0)
            removed += count
            if count < batch:
                break
            await asyncio.sleep(0)  # let requests in between batches
        if removed:
            logger.info("pruned %d audit records from before %s", removed, older_than.isoformat())
        return removed

    def _names_incident(self, incident: str) -> ColumnElement[bool]:
        if self._postgres:
            contains: ColumnElement[bool] = AuditRow.incident_ids.cast(postgresql.JSONB).contains([incident])
            return contains
        return _any_json_value(AuditRow.incident_ids, incident, "json_each")

    def _came_to(self, outcome: str) -> ColumnElement[bool]:
        each = "json_each_text" if self._postgres else "json_each"
        matches = [_any_json_value(AuditRow.outcomes, outcome, each)]
        if outcome == "refused":
            matches.append(AuditRow.decision.in_([Decision.REFUSED.value, Decision.PARTLY.value]))
        elif outcome == "failed":
            matches.append(AuditRow.problem.is_not(None))
        return or_(*matches)


def _any_json_value(column: Any, value: str, function: str) -> ColumnElement[bool]:
    """Whether a JSON column holds `value` as one of its members' values: `function` is SQLite's
    json_each (arrays and objects) or PostgreSQL's json_each_text (objects), a row per member."""
    members = getattr(func, function)(column).table_valued("value")
    return exists().select_from(members).where(members.c.value == value)
