"""Named leases: one process at a time holds `leader`, and runs the chores only one process may run.

A lease is a row (name, owner, until), taken or renewed with one INSERT … ON CONFLICT DO UPDATE …
WHERE it is free, expired or already ours (atomic on PostgreSQL and SQLite alike). No advisory
lock, so no connection has to stay open: a leader that dies simply stops renewing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.engine import Database
from bot.store.tables import Base


class LeaseRow(Base):
    """Who holds a named lease, until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Leases:
    """Named leases on one database."""

    def __init__(self, engine: Database) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def hold(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Take or renew lease `name` for `owner` for `ttl`; whether `owner` holds it now."""
        now = datetime.now(UTC)
        rows = self._insert(LeaseRow).values(name=name, owner=owner, until=now + ttl)
        statement = rows.on_conflict_do_update(
            index_elements=[LeaseRow.name],
            set_={"owner": owner, "until": now + ttl},
            where=or_(LeaseRow.owner == owner, LeaseRow.until < now),
        ).returning(LeaseRow.owner)
        async with self.engine.begin() as connection:
            return (await connection.execute(statement)).scalar() == owner

    async def release(self, name: str, owner: str) -> None:
        """Give lease `name` up (at shutdown), so another process takes it at its next heartbeat."""
        async with self.engine.begin() as connection:
            await connection.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.owner == owner))
