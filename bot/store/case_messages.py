"""Case messages: rows of alert_messages with `kind` = case (migration 0006).

A case message's `incident_id` is the case id and `incident_key` (channel, case) is unique for
good, so each case gets one message per channel, whichever process or retry posts it first: the
row is reserved (no ts) before it is posted, exactly as for alerts. Everything else (claims,
transitions, the pipeline's lookups by message and by id) is `AlertMessages`' own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from bot.store.alerts import AlertMessages, incident_key
from bot.store.tables import AlertMessageRow, AlertRecord, AlertStatus, MessageKind, to_record


def case_alert_id(case_id: str) -> str:
    """What a case message keeps in `alert_id` (never equal to an alert's id)."""
    return f"case:{case_id}"


class CaseMessages(AlertMessages):
    """The case rows of the alert_messages table."""

    async def reserve_case(
        self,
        *,
        channel: str,
        case_id: str,
        uuid: str,
        status: AlertStatus,
        notification: dict[str, Any],
        job_id: int | None,
    ) -> tuple[AlertRecord, bool]:
        """(a new reservation to post, True), or (the message this case has in `channel`, False).
        `case_id`: what the message acts on (the readable id when there is one); `uuid`: the case's UUID
        when known, kept in `alert_id` so a notification naming the case by its UUID only finds it too."""
        row = AlertMessageRow(
            channel=channel,
            ts=None,
            alert_id=case_alert_id(uuid),
            incident_id=case_id,
            notification=notification,
            status=status.value,
            version=0,
            created_at=datetime.now(UTC),
            open_key=None,
            incident_key=incident_key(channel, case_id),
            job_id=job_id,
            kind=MessageKind.CASE.value,
        )
        try:
            async with self._session() as session, session.begin():
                session.add(row)
            return to_record(row), True
        except IntegrityError:
            existing = await self._one(select(AlertMessageRow).where(AlertMessageRow.incident_key == row.incident_key))
            assert existing is not None, "case messages are deleted only long after they closed"
            return existing, False

    async def for_case(self, case_ids: list[str]) -> list[AlertRecord]:
        """Every message of the case known by any of `case_ids` (its readable id, its UUID), oldest first."""
        named = or_(
            AlertMessageRow.incident_id.in_(case_ids),
            AlertMessageRow.alert_id.in_([case_alert_id(i) for i in case_ids]),
        )
        query = (
            select(AlertMessageRow)
            .where(named, AlertMessageRow.kind == MessageKind.CASE.value)
            .order_by(AlertMessageRow.id)
        )
        return await self._all(query)

    async def refresh(self, record_id: int, notification: dict[str, Any]) -> AlertRecord | None:
        """Keep the case as the latest notification shows it (title, priority, assignee, labels…)."""
        return await self._update_where(record_id, [], notification=notification)
