"""Incident claims: at most one action works on an incident at a time, whatever surface or process.

A claim is a row per incident id, taken with one INSERT … ON CONFLICT DO UPDATE … WHERE (atomic on
PostgreSQL and SQLite alike): free, finished, expired or already ours → ours; else it stays with its
holder, whose user and start time explain the refusal. Finished claims are kept for a while, so the
next person to act on the incident hears who did what, and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Table, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.direct import DIRECT
from bot.store.engine import Database, DbConnection
from bot.store.tables import Base, aware

# A running claim older than this belongs to a job that will never release it: it may be taken.
CLAIM_EXPIRY = timedelta(minutes=10)
# Rows per statement: well inside both drivers' limits on bound parameters.
CHUNK = 500


class ClaimRow(Base):
    """Who is (or was last) acting on an incident."""

    __tablename__ = "incident_claims"
    __table_args__ = (Index("ix_incident_claims_job_id", "job_id"),)  # a job's claims are released by job id

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer)
    verb: Mapped[str] = mapped_column(String(16))
    user: Mapped[str] = mapped_column(String(64))
    running: Mapped[bool] = mapped_column(Boolean)  # while the job works on it
    outcome: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Claim:
    """The holder of a claim, as the refused action is told."""

    incident_id: str
    job_id: int
    verb: str
    user: str
    running: bool
    outcome: str | None
    at: datetime


CLAIMS = cast(Table, ClaimRow.__table__)
# Core statements (not ORM ones) on the hot path: built once, their compiled form cached by SQLAlchemy.
_RELEASE = (
    update(CLAIMS)
    .where(CLAIMS.c.job_id == bindparam("job"), CLAIMS.c.running.is_(True))
    .values(running=False, updated_at=bindparam("now"))
    .execution_options(**DIRECT)
)
_SETTLE = (
    update(CLAIMS)
    .where(CLAIMS.c.job_id == bindparam("job"), CLAIMS.c.incident_id.in_(bindparam("ids", expanding=True)))
    .values(running=False, outcome=bindparam("settled_as"), updated_at=bindparam("now"))
    .execution_options(**DIRECT)
)
_HOLDERS = select(CLAIMS).where(CLAIMS.c.incident_id.in_(bindparam("ids", expanding=True))).execution_options(**DIRECT)


class Claims:
    """Incident claims on one database."""

    def __init__(self, engine: Database) -> None:
        self.engine = engine
        insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(CLAIMS)
        c, proposed = CLAIMS.c, insert.excluded
        # Free, finished, expired or already this job's: taken. Built once, the rows given at execution
        # (SQLAlchemy caches its compiled form, and sends a chunk as one INSERT).
        stale = bindparam("stale_before", type_=DateTime(timezone=True))
        free = or_(c.running.is_(False), c.job_id == proposed.job_id, c.updated_at < stale)
        self._take = (
            insert.on_conflict_do_update(
                index_elements=[c.incident_id],
                set_={
                    "job_id": proposed.job_id,
                    "verb": proposed.verb,
                    "user": proposed.user,
                    "running": True,
                    "outcome": None,
                    "updated_at": proposed.updated_at,
                },
                where=free,
            )
            .returning(c.incident_id)
            .execution_options(**DIRECT)
        )

    async def take(self, ids: Sequence[str], *, job_id: int, verb: str, user: str) -> tuple[list[str], list[Claim]]:
        """Claim `ids` for a job: (the ids it now holds, the claims others hold on the rest)."""
        taken, others, _ = await self.take_after_reading(ids, job_id=job_id, verb=verb, user=user)
        return taken, others

    async def take_after_reading(
        self, ids: Sequence[str], *, job_id: int, verb: str, user: str
    ) -> tuple[list[str], list[Claim], list[Claim]]:
        """`take`, and the claims on `ids` as they were just before (who did what last), all in one
        transaction: (the ids it now holds, the claims others hold on the rest, the claims before)."""
        now = datetime.now(UTC)
        taken: set[str] = set()
        async with self.engine.begin() as connection:
            before = await self._holders(connection, ids)
            for start in range(0, len(ids), CHUNK):
                row = {"job_id": job_id, "verb": verb, "user": user, "running": True, "updated_at": now}
                stale = {"stale_before": now - CLAIM_EXPIRY}
                rows = [{"incident_id": i, **row, **stale} for i in dict.fromkeys(ids[start : start + CHUNK])]
                taken.update((await connection.execute(self._take, rows)).scalars())
            others = await self._holders(connection, [i for i in dict.fromkeys(ids) if i not in taken])
        return [i for i in dict.fromkeys(ids) if i in taken], others, before

    async def holders(self, ids: Sequence[str]) -> list[Claim]:
        """The claims on `ids` (running or recently finished), in the order of `ids`."""
        if not ids:
            return []
        async with self.engine.connect() as connection:
            return await self._holders(connection, ids)

    async def _holders(self, connection: DbConnection, ids: Sequence[str]) -> list[Claim]:
        found: dict[str, Claim] = {}
        for start in range(0, len(ids), CHUNK):
            for row in (await connection.execute(_HOLDERS, {"ids": ids[start : start + CHUNK]})).mappings():
                found[row["incident_id"]] = Claim(
                    incident_id=row["incident_id"],
                    job_id=row["job_id"],
                    verb=row["verb"],
                    user=row["user"],
                    running=bool(row["running"]),
                    outcome=row["outcome"],
                    at=aware(row["updated_at"]) or row["updated_at"],
                )
        return [found[i] for i in ids if i in found]

    async def finish(self, job_id: int, outcomes: dict[str, str], *, connection: DbConnection | None = None) -> None:
        """Release a job's claims, remembering each incident's outcome (who did what stays readable); in
        `connection`'s transaction when given (the job's last one), else in a transaction of its own."""
        if connection is None:
            async with self.engine.begin() as own:
                return await self.finish(job_id, outcomes, connection=own)
        now = datetime.now(UTC)
        by_outcome: dict[str, list[str]] = {}
        for incident_id, outcome in outcomes.items():
            by_outcome.setdefault(outcome, []).append(incident_id)
        for outcome, ids in by_outcome.items():
            for start in range(0, len(ids), CHUNK):
                settled = {"job": job_id, "ids": ids[start : start + CHUNK], "settled_as": outcome, "now": now}
                await connection.execute(_SETTLE, settled)
        # Anything else the job held (e.g. ids it was refused) is simply released.
        await connection.execute(_RELEASE, {"job": job_id, "now": now})

    async def prune(self, older_than: datetime) -> int:
        """Forget finished claims older than `older_than`."""
        query = delete(ClaimRow).where(ClaimRow.running.is_(False), ClaimRow.updated_at < older_than)
        async with self.engine.begin() as connection:
            return int((await connection.execute(query)).rowcount or 0)
