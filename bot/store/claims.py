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

from sqlalchemy import Boolean, DateTime, Integer, String, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base, aware

# A running claim older than this belongs to a job that will never release it: it may be taken.
CLAIM_EXPIRY = timedelta(minutes=10)
# Rows per statement: well inside both drivers' limits on bound parameters.
CHUNK = 500


class ClaimRow(Base):
    """Who is (or was last) acting on an incident."""

    __tablename__ = "incident_claims"

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


class Claims:
    """Incident claims on one database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def take(self, ids: Sequence[str], *, job_id: int, verb: str, user: str) -> tuple[list[str], list[Claim]]:
        """Claim `ids` for a job: (the ids it now holds, the claims others hold on the rest)."""
        now = datetime.now(UTC)
        taken: set[str] = set()
        for start in range(0, len(ids), CHUNK):
            chunk = list(dict.fromkeys(ids[start : start + CHUNK]))
            rows = self._insert(ClaimRow).values(
                [
                    {"incident_id": i, "job_id": job_id, "verb": verb, "user": user, "running": True, "updated_at": now}
                    for i in chunk
                ]
            )
            free = or_(
                ClaimRow.running.is_(False),
                ClaimRow.job_id == job_id,
                ClaimRow.updated_at < now - CLAIM_EXPIRY,
            )
            statement = rows.on_conflict_do_update(
                index_elements=[ClaimRow.incident_id],
                set_={
                    "job_id": job_id,
                    "verb": verb,
                    "user": user,
                    "running": True,
                    "outcome": None,
                    "updated_at": now,
                },
                where=free,
            ).returning(ClaimRow.incident_id)
            async with self.engine.begin() as connection:
                taken.update((await connection.execute(statement)).scalars())
        others = [i for i in dict.fromkeys(ids) if i not in taken]
        return [i for i in dict.fromkeys(ids) if i in taken], await self.holders(others)

    async def holders(self, ids: Sequence[str]) -> list[Claim]:
        """The claims on `ids` (running or recently finished), in the order of `ids`."""
        found: dict[str, Claim] = {}
        for start in range(0, len(ids), CHUNK):
            query = select(ClaimRow).where(ClaimRow.incident_id.in_(ids[start : start + CHUNK]))
            async with self.engine.connect() as connection:
                for row in (await connection.execute(query)).mappings():
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

    async def finish(self, job_id: int, outcomes: dict[str, str]) -> None:
        """Release a job's claims, remembering each incident's outcome (who did what stays readable)."""
        now = datetime.now(UTC)
        by_outcome: dict[str, list[str]] = {}
        for incident_id, outcome in outcomes.items():
            by_outcome.setdefault(outcome, []).append(incident_id)
        async with self.engine.begin() as connection:
            for outcome, ids in by_outcome.items():
                for start in range(0, len(ids), CHUNK):
                    await connection.execute(
                        update(ClaimRow)
                        .where(ClaimRow.job_id == job_id, ClaimRow.incident_id.in_(ids[start : start + CHUNK]))
                        .values(running=False, outcome=outcome, updated_at=now)
                    )
            # Anything else the job held (e.g. ids it was refused) is simply released.
            await connection.execute(
                update(ClaimRow)
                .where(ClaimRow.job_id == job_id, ClaimRow.running.is_(True))
                .values(running=False, updated_at=now)
            )

    async def prune(self, older_than: datetime) -> int:
        """Forget finished claims older than `older_than`."""
        query = delete(ClaimRow).where(ClaimRow.running.is_(False), ClaimRow.updated_at < older_than)
        async with self.engine.begin() as connection:
            return int((await connection.execute(query)).rowcount or 0)
