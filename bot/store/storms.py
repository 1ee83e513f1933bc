"""Alert storms: one open storm per channel, decided by the database, and the alerts each covers.

`open_channel` is unique while a storm is open (NULL once it ended), so replicas racing to start
a storm in the same channel end up in the same row. Every change a storm's message must show
bumps `version`; the render chore shows storms whose `rendered_version` lags behind.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.engine import Database, sessions
from bot.store.tables import AlertMessageRow, AlertRecord, AlertStatus, MessageKind, StormRecord, StormRow, to_record

# Storms are made of alerts: case messages share the table (by kind) and never count or join.
ALERTS = AlertMessageRow.kind == MessageKind.ALERT.value

OPEN_VALUES = [AlertStatus.TRIGGERED.value, AlertStatus.ACKNOWLEDGED.value]


class Storms:
    """The storms table, and alert_messages.storm_id."""

    def __init__(self, engine: Database) -> None:
        self.engine = engine
        self._session = sessions(engine)

    async def get(self, storm_id: int) -> StormRecord | None:
        """One storm by id."""
        async with self._session() as session:
            row = await session.get(StormRow, storm_id)
            return StormRecord.of(row) if row else None

    async def open_in(self, channel: str) -> StormRecord | None:
        """The channel's open storm, if any."""
        async with self._session() as session:
            row = (await session.scalars(select(StormRow).where(StormRow.open_channel == channel))).first()
            return StormRecord.of(row) if row else None

    async def by_message(self, channel: str, ts: str) -> StormRecord | None:
        """The storm whose message is (channel, ts), if any."""
        query = select(StormRow).where(StormRow.channel == channel, StormRow.ts == ts)
        async with self._session() as session:
            row = (await session.scalars(query)).first()
            return StormRecord.of(row) if row else None

    async def open_incidents(self, storm_id: int) -> int:
        """How many incidents the storm's open alerts have (what a "Resolve all" shown now would resolve)."""
        query = select(func.count(func.distinct(AlertMessageRow.incident_id))).where(
            AlertMessageRow.storm_id == storm_id,
            AlertMessageRow.status.in_(OPEN_VALUES),
            AlertMessageRow.incident_id.is_not(None),
        )
        async with self._session() as session:
            return int((await session.scalar(query)) or 0)

    async def recent_count(self, channel: str, since: datetime) -> int:
        """How many alerts the channel received since `since` (each alert message row, posted or not)."""
        query = select(func.count(AlertMessageRow.id)).where(
            AlertMessageRow.channel == channel, AlertMessageRow.created_at >= since, ALERTS
        )
        async with self._session() as session:
            return int((await session.scalar(query)) or 0)

    async def join(self, record_id: int, channel: str, *, now: datetime, since: datetime) -> StormRecord:
        """Put the alert into the channel's open storm (started now if there is none), with every alert of
        the channel since `since` not in a storm yet (those posted one by one keep their messages)."""
        while True:
            storm = await self.open_in(channel) or await self._start(channel, now)
            if storm is None:
                continue  # it ended between our insert and read: start again
            alive = (
                update(StormRow)
                .where(StormRow.id == storm.id, StormRow.ended_at.is_(None))
                .values(last_alert_at=now, version=StormRow.version + 1)
            )
            attach = (
                update(AlertMessageRow)
                .where(
                    or_(
                        AlertMessageRow.id == record_id,
                        (AlertMessageRow.channel == channel)
                        & ALERTS
                        & (AlertMessageRow.created_at >= since)
                        & AlertMessageRow.storm_id.is_(None),
                    )
                )
                .values(storm_id=storm.id, version=AlertMessageRow.version + 1)
            )
            async with self._session() as session, session.begin():
                if getattr(await session.execute(alive), "rowcount", 0) != 1:
                    continue  # ended just now (quiet for long enough): this alert starts the next one
                await session.execute(attach)
            return storm

    async def _start(self, channel: str, now: datetime) -> StormRecord | None:
        row = StormRow(
            channel=channel,
            open_channel=channel,
            started_at=now,
            last_alert_at=now,
            version=0,
            rendered_version=-1,
        )
        try:
            async with self._session() as session, session.begin():
                session.add(row)
            return StormRecord.of(row)
        except IntegrityError:  # another process started it first
            return await self.open_in(channel)

    async def touch(self, storm_id: int) -> None:
        """Something the storm's message shows changed (an alert of it resolved)."""
        await self._update(storm_id, [], version=StormRow.version + 1)

    async def active(self) -> list[StormRecord]:
        """Storms that are open or not shown as they are: the render chore's one read (few rows)."""
        query = select(StormRow).where(or_(StormRow.ended_at.is_(None), StormRow.version != StormRow.rendered_version))
        return await self._all(query.order_by(StormRow.id))

    async def end(self, storm_id: int, *, now: datetime, last_alert_before: datetime) -> bool:
        """End the storm if it is still quiet; the channel's next storm is a new one."""
        still_quiet = [StormRow.ended_at.is_(None), StormRow.last_alert_at < last_alert_before]
        values: dict[str, Any] = {"ended_at": now, "open_channel": None, "version": StormRow.version + 1}
        return await self._update(storm_id, still_quiet, **values)

    async def rendered(self, storm_id: int, *, version: int, ts: str, at: datetime) -> None:
        """The message shows `version` (ts: where it is)."""
        await self._update(storm_id, [], rendered_version=version, ts=ts, rendered_at=at)

    async def claim_post(self, storm_id: int, *, at: datetime, hold: timedelta) -> bool:
        """Whether this process may post the storm's first message: one UPDATE that only one process wins
        (a leader that lost its lease mid-post and the next one never both post). Taken over once `hold`
        has passed without a message (the poster died, or Slack refused)."""
        free = [StormRow.ts.is_(None), or_(StormRow.rendered_at.is_(None), StormRow.rendered_at < at - hold)]
        return await self._update(storm_id, free, rendered_at=at)

    async def post_failed(self, storm_id: int, *, at: datetime, hold: timedelta, retry_after: timedelta) -> None:
        """The first post, claimed at `at`, failed: its claim lapses after `retry_after` instead of the whole
        `hold` (which stays for a poster that died mid-post, when nobody knows whether it posted)."""
        await self._update(storm_id, [StormRow.ts.is_(None)], rendered_at=at - hold + retry_after)

    async def attempted(self, storm_id: int, *, at: datetime) -> None:
        """Showing the storm failed at `at`: the next try waits for the render interval."""
        await self._update(storm_id, [], rendered_at=at)

    async def members(self, storm_id: int, *, offset: int = 0, limit: int | None = None) -> list[AlertRecord]:
        """The storm's alerts, oldest first (a page with `offset` and `limit`)."""
        query = select(AlertMessageRow).where(AlertMessageRow.storm_id == storm_id).order_by(AlertMessageRow.id)
        query = query.offset(offset).limit(limit)
        async with self._session() as session:
            return [to_record(r) for r in (await session.scalars(query)).all()]

    async def member_count(self, storm_id: int) -> int:
        """How many alerts the storm covers."""
        query = select(func.count(AlertMessageRow.id)).where(AlertMessageRow.storm_id == storm_id)
        async with self._session() as session:
            return int((await session.scalar(query)) or 0)

    async def resolvable(self, storm_id: int, *, upto: int, shown_at: datetime) -> list[str]:
        """The incident ids "Resolve all" stands for: the storm's alerts up to `upto` (the newest it showed)
        that were open when it was shown at `shown_at` (resolved since: reported as already resolved)."""
        query = select(AlertMessageRow.incident_id).where(
            AlertMessageRow.storm_id == storm_id,
            AlertMessageRow.id <= upto,
            AlertMessageRow.incident_id.is_not(None),
            or_(AlertMessageRow.status.in_(OPEN_VALUES), AlertMessageRow.status_at >= shown_at),
        )
        async with self._session() as session:
            ids = (await session.scalars(query.order_by(AlertMessageRow.id))).all()
        return list(dict.fromkeys(i for i in ids if i))

    async def prune(self, before: datetime) -> int:
        """Forget storms that ended before `before` (their alerts are pruned with alert messages)."""
        query = delete(StormRow).where(StormRow.ended_at.is_not(None), StormRow.ended_at < before)
        async with self._session() as session, session.begin():
            return int(getattr(await session.execute(query), "rowcount", 0) or 0)

    async def _update(self, storm_id: int, conditions: list[Any], **values: Any) -> bool:
        query = update(StormRow).where(StormRow.id == storm_id, *conditions).values(**values)
        async with self._session() as session, session.begin():
            return getattr(await session.execute(query), "rowcount", 0) == 1

    async def _all(self, query: Any) -> list[StormRecord]:
        async with self._session() as session:
            return [StormRecord.of(r) for r in (await session.scalars(query)).all()]
