"""Alert messages: which Slack message shows which alert and incident, and in what state.

Every method returns frozen records, never live ORM rows. Every change is one conditional UPDATE
(atomic on both databases) that bumps the row's version, so two processes never both win a
claim or a transition. One message per alert and incident is the database's rule, not a lock's:
`open_key` is unique while a message is open and `incident_key` for good, so a message is
reserved (a row without ts) before it is posted, and a second process finds the reservation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.formatters.common import safe_url
from bot.store.direct import DIRECT
from bot.store.engine import Database, sessions
from bot.store.tables import STALE_CLAIM, AlertMessageRow, AlertRecord, AlertStatus, MessageKind, to_record

# Ids per statement: well inside both drivers' limits on bound parameters.
CHUNK = 500
OPEN = frozenset({AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED})
# Built once, the ids given at execution (SQLAlchemy caches its compiled form): on every action's path.
_BY_INCIDENTS = (
    select(AlertMessageRow)
    .where(AlertMessageRow.incident_id.in_(bindparam("ids", expanding=True)))
    .order_by(AlertMessageRow.id)
    .execution_options(**DIRECT)
)


def open_key(channel: str, alert_id: str, group_by: str | None, incident_id: str | None) -> str:
    """What makes an open message unique: where, which alert (and group-by values), which incident."""
    return "|".join((channel, alert_id, group_by or "", incident_id or "-"))


def incident_key(channel: str, incident_id: str | None) -> str | None:
    """What makes a message unique for good: one per incident per channel."""
    return f"{channel}|{incident_id}" if incident_id else None


class AlertMessages:
    """The alert_messages table."""

    def __init__(self, engine: Database) -> None:
        self.engine = engine
        self._session = sessions(engine)

    async def reserve(
        self,
        *,
        channel: str,
        alert_id: str,
        group_by: str | None,
        incident_id: str | None,
        notification: dict[str, Any],
        job_id: int | None,
    ) -> tuple[AlertRecord, bool]:
        """The message for this alert and incident: (a new reservation to post, True) or (the one that
        exists, False). The database decides between processes racing for the same alert."""
        now = datetime.now(UTC)
        row = AlertMessageRow(
            channel=channel,
            ts=None,
            alert_id=alert_id,
            incident_id=incident_id,
            notification=notification,
            status=AlertStatus.TRIGGERED.value,
            version=0,
            created_at=now,
            open_key=open_key(channel, alert_id, group_by, incident_id),
            incident_key=incident_key(channel, incident_id),
            job_id=job_id,
            kind=MessageKind.ALERT.value,
        )
        try:
            async with self._session() as session, session.begin():
                session.add(row)
            return to_record(row), True
        except IntegrityError:
            existing = await self._one(
                select(AlertMessageRow).where(
                    or_(AlertMessageRow.open_key == row.open_key, AlertMessageRow.incident_key == row.incident_key)
                )
            )
            if existing is None:  # the other row was resolved or deleted in between: try once more
                return await self.reserve(
                    channel=channel,
                    alert_id=alert_id,
                    group_by=group_by,
                    incident_id=incident_id,
                    notification=notification,
                    job_id=job_id,
                )
            return existing, False

    async def posted(self, record_id: int, *, channel: str, ts: str) -> AlertRecord:
        """Record where Slack put the reserved message (a `#name` became a channel id)."""
        record = await self._update_where(record_id, [], channel=channel, ts=ts)
        assert record is not None, "a reservation is never deleted while its job runs"
        return record

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
        return (await self.by_incidents([incident_id])).get(incident_id, [])

    async def by_incidents(self, incident_ids: list[str]) -> dict[str, list[AlertRecord]]:
        """Every alert message showing each of `incident_ids` (those with none left out), oldest first."""
        shown: dict[str, list[AlertRecord]] = {}
        for start in range(0, len(incident_ids), CHUNK):
            async with self.engine.connect() as connection:
                rows = await connection.execute(_BY_INCIDENTS, {"ids": incident_ids[start : start + CHUNK]})
                for record in map(to_record, rows.all()):
                    shown.setdefault(str(record.incident_id), []).append(record)
        return shown

    async def open_with_incident(self, *, after: int, limit: int) -> list[AlertRecord]:
        """Open messages bound to an incident, by id after `after` (for reading Coralogix in batches)."""
        query = (
            select(AlertMessageRow)
            .where(
                AlertMessageRow.id > after,
                AlertMessageRow.incident_id.is_not(None),
                AlertMessageRow.status.in_([s.value for s in OPEN]),
                AlertMessageRow.kind == MessageKind.ALERT.value,  # a case's id is not an incident's
            )
            .order_by(AlertMessageRow.id)
            .limit(limit)
        )
        return await self._all(query)

    async def alert_urls(self, incident_ids: list[str]) -> dict[str, str]:
        """The `alert_url` of the newest alert message of each incident that has one Slack accepts."""
        if not incident_ids:
            return {}
        query = (
            select(AlertMessageRow).where(AlertMessageRow.incident_id.in_(incident_ids)).order_by(AlertMessageRow.id)
        )
        rows = await self._all(query)
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
        return await self._all(query)

    async def claim(
        self, record_id: int, *, action: str, user: str, allowed_from: set[AlertStatus], job_id: int | None = None
    ) -> AlertRecord | None:
        """Atomically mark an action in flight, if the alert is in one of `allowed_from` and nothing else is
        in flight (or only a stale claim, or one of the same job before a restart); the record, or None."""
        now = datetime.now(UTC)
        free = [AlertMessageRow.pending_action.is_(None), AlertMessageRow.pending_since < now - STALE_CLAIM]
        if job_id is not None:
            free.append(AlertMessageRow.pending_job == job_id)
        return await self._update_where(
            record_id,
            [AlertMessageRow.status.in_([s.value for s in allowed_from]), or_(*free)],
            pending_action=action,
            pending_by=user,
            pending_since=now,
            pending_job=job_id,
        )

    async def release(self, record_id: int, *, expect_version: int) -> AlertRecord | None:
        """Drop our in-flight mark (the action failed) unless the record changed since; the message goes back
        to its previous state."""
        return await self._update_where(record_id, [AlertMessageRow.version == expect_version], **_NOT_PENDING)

    async def transition(
        self,
        record_id: int,
        to: AlertStatus,
        *,
        by: str | None,
        via: str,
        allowed_from: set[AlertStatus],
        expect_version: int | None = None,
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
            **_NOT_PENDING,
        }
        if to is AlertStatus.RESOLVED:
            values["open_key"] = None  # the next incident of this alert gets a message of its own
        return await self._update_where(record_id, conditions, **values)

    async def set_incident(self, record_id: int, incident_id: str) -> AlertRecord | None:
        """Bind an open alert message to the incident found for it; None when another message has it."""
        record = await self.get(record_id)
        if record is None:
            return None
        keys: dict[str, Any] = {"incident_key": incident_key(record.channel, incident_id)}
        if record.status in OPEN:
            keys["open_key"] = open_key(
                record.channel, record.alert_id, record.notification.get("group_by"), incident_id
            )
        try:
            return await self._update_where(record_id, [], incident_id=incident_id, **keys)
        except IntegrityError:
            return None

    async def release_stale(self) -> list[AlertRecord]:
        """Drop claims older than STALE_CLAIM (left by a crash or restart); the records to re-render."""
        cutoff = datetime.now(UTC) - STALE_CLAIM
        still_stale = [AlertMessageRow.pending_action.is_not(None), AlertMessageRow.pending_since < cutoff]
        stale = select(AlertMessageRow.id).where(*still_stale)
        async with self._session() as session:
            ids = list((await session.scalars(stale)).all())
        # Checked again per row: a claim taken over since the read is fresh and must stay.
        released = [await self._update_where(i, still_stale, **_NOT_PENDING) for i in ids]
        return [r for r in released if r is not None]

    async def _update_where(self, record_id: int, conditions: list[Any], **values: Any) -> AlertRecord | None:
        """One conditional UPDATE that also bumps the version; the row as written, or None when the
        conditions did not hold."""
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

    # Reads run as Core (rows, not ORM objects and a session): the same columns, at a fraction of the cost.
    async def _one(self, query: Any) -> AlertRecord | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
            return to_record(row) if row else None

    async def _all(self, query: Any) -> list[AlertRecord]:
        async with self.engine.connect() as connection:
            return [to_record(r) for r in (await connection.execute(query)).all()]


_NOT_PENDING: dict[str, Any] = {"pending_action": None, "pending_by": None, "pending_since": None, "pending_job": None}
