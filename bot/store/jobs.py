"""The journal of durable work: user actions and Coralogix notifications, claimed with a lease.

A job is written before its request is answered (the insert is one statement), leased to the
process that wrote it, and run at once there. The lease is renewed by a heartbeat (one UPDATE for
all of a process's jobs); when a process dies its leases run out and any process, this one after
a restart or another replica, claims the job again and resumes it from the last stage it recorded.
Claims are conditional UPDATEs (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two processes never
run one job at once; a process that lost its lease finds every later write refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Index, Integer, String, Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.direct import DIRECT
from bot.store.engine import Database, DbConnection, sessions
from bot.store.tables import Base, aware


class JobKind(StrEnum):
    """What a job carries."""

    ACTION = "action"  # a user's resolve or acknowledge, from any surface
    NOTIFICATION = "notification"  # an alert notification from Coralogix
    CASE_NOTIFICATION = "case_notice"  # a case notification from Coralogix (the column holds 16 characters)


class JobState(StrEnum):
    """Where a job is in its life."""

    RUNNING = "running"  # leased (or its lease ran out and it waits to be claimed again)
    DONE = "done"


class JobRow(Base):
    """One durable job."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "state", "lease_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Job:
    """A snapshot of one job, as its runner sees it."""

    id: int
    key: str
    kind: JobKind
    payload: dict[str, Any]
    stage: str | None
    result: dict[str, Any] | None
    attempts: int
    created_at: datetime

    @property
    def resumed(self) -> bool:
        """Whether an earlier run was interrupted (a crash, a shutdown, a lost lease)."""
        return self.attempts > 1


def _job(row: JobRow) -> Job:
    return Job(
        id=row.id,
        key=row.key,
        kind=JobKind(row.kind),
        payload=dict(row.payload),
        stage=row.stage,
        result=dict(row.result) if row.result is not None else None,
        attempts=row.attempts,
        created_at=aware(row.created_at) or row.created_at,
    )


JOBS = cast(Table, JobRow.__table__)
# A job's row, if this process still holds it: a Core statement built once (SQLAlchemy caches its
# compiled form), the columns to set given at execution beside `job` and `me`.
_OWNED = update(JOBS).where(JOBS.c.id == bindparam("job"), JOBS.c.owner == bindparam("me")).execution_options(**DIRECT)

# Jobs written in one INSERT at most (a burst of commands is written in a few statements).
WRITE_BATCH = 200


class LeaseLost(Exception):
    """Another process holds this job now; this one must stop working on it."""


class Journal:
    """Jobs on one database, for one process (`owner`) holding leases of `lease` seconds."""

    def __init__(self, engine: Database, *, owner: str, lease: float) -> None:
        self.engine = engine
        self.owner = owner
        self.lease = timedelta(seconds=lease)
        self._session = sessions(engine)
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._submit = (
            self._insert(JOBS)
            .on_conflict_do_nothing(index_elements=[JOBS.c.key])
            .returning(JOBS.c.id, JOBS.c.key)
            .execution_options(**DIRECT)
        )
        # Told of each deferral (its seconds): the worker looks for due jobs again when it runs out.
        self.on_defer: Callable[[float], None] | None = None
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[int | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, kind: JobKind, key: str, payload: dict[str, Any]) -> Job | None:
        """Journal a new job, leased to this process; None when `key` was journaled before (a replay).

        Jobs submitted together (a burst of commands) are written together, one INSERT and one commit
        for the batch (a group commit), so a burst of acks does not queue for the database.
        """
        now = datetime.now(UTC)
        row = {
            "key": key,
            "kind": kind.value,
            "payload": payload,
            "state": JobState.RUNNING.value,
            "owner": self.owner,
            "lease_until": now + self.lease,
            "attempts": 1,
            "created_at": now,
        }
        written: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="journal writer")
        job_id = await written
        if job_id is None:
            return None
        return Job(job_id, key, kind, payload, None, None, 1, now)

    async def _write(self) -> None:
        """Write what waits, a batch at a time, until nothing does."""
        while self._waiting:
            batch, self._waiting = self._waiting[:WRITE_BATCH], self._waiting[WRITE_BATCH:]
            rows = {row["key"]: row for row, _ in batch}  # a key twice in one batch is a replay too
            try:
                async with self.engine.begin() as connection:
                    # The rows as parameters (not a VALUES list in the statement): its compiled form is cached,
                    # and SQLAlchemy still sends a batch as one INSERT.
                    written_rows = await connection.execute(self._submit, list(rows.values()))
                    ids = {key: job_id for job_id, key in written_rows.all()}
            except Exception as e:  # noqa: BLE001 - every waiting submitter hears it and answers accordingly
                for _, written in batch:
                    if not written.done():
                        written.set_exception(e)
                continue
            for row, written in batch:
                if not written.done():
                    # The first of a key in the batch gets the job; a repeat of it is a replay (None).
                    written.set_result(ids.pop(row["key"], None))

    async def claim_due(self, limit: int) -> list[Job]:
        """Take over up to `limit` jobs whose lease ran out (or that were never run), oldest first."""
        if limit <= 0:
            return []
        now = datetime.now(UTC)
        due = and_(
            JobRow.state == JobState.RUNNING.value,
            or_(JobRow.lease_until.is_(None), JobRow.lease_until < now),
            or_(JobRow.not_before.is_(None), JobRow.not_before <= now),
        )
        candidates = select(JobRow.id).where(due).order_by(JobRow.id).limit(limit).with_for_update(skip_locked=True)
        query = (
            update(JobRow)
            .where(JobRow.id.in_(candidates.scalar_subquery()), due)  # `due` again: checked under the row lock
            .values(owner=self.owner, lease_until=now + self.lease, attempts=JobRow.attempts + 1, not_before=None)
            .returning(JobRow)
            .execution_options(synchronize_session=False)
        )
        async with self._session() as session, session.begin():
            rows = (await session.scalars(query)).all()
            return sorted((_job(r) for r in rows), key=lambda j: j.id)

    async def heartbeat(self) -> int:
        """Extend every lease this process holds; how many it holds."""
        query = (
            update(JobRow)
            .where(JobRow.owner == self.owner, JobRow.state == JobState.RUNNING.value)
            .values(lease_until=datetime.now(UTC) + self.lease)
        )
        async with self.engine.begin() as connection:
            return int((await connection.execute(query)).rowcount or 0)

    def transaction(self) -> AbstractAsyncContextManager[DbConnection]:
        """One transaction on the journal's database: a job's last writes, committed with its finish."""
        return self.engine.begin()

    async def record(self, job: Job, *, stage: str, result: dict[str, Any] | None = None) -> Job:
        """Remember how far `job` got (and what it decided), so a resumed run skips what is done."""
        values: dict[str, Any] = {"stage": stage}
        if result is not None:
            values["result"] = result
        await self._owned_update(job.id, values)
        return Job(
            job.id,
            job.key,
            job.kind,
            job.payload,
            stage,
            result if result is not None else job.result,
            job.attempts,
            job.created_at,
        )

    async def finish(
        self, job: Job, *, result: dict[str, Any] | None = None, connection: DbConnection | None = None
    ) -> None:
        """Mark `job` done; it will not run again. In `connection`'s transaction when given (with the job's
        last writes: they are committed with it, or not at all when the lease was lost), else in its own."""
        values: dict[str, Any] = {
            "state": JobState.DONE.value,
            "owner": None,
            "lease_until": None,
            "finished_at": datetime.now(UTC),
        }
        if result is not None:
            values["result"] = result
        await self._owned_update(job.id, values, connection=connection)

    async def defer(self, job: Job, *, seconds: float) -> None:
        """Give `job` back, to be claimed again (by any process) no sooner than `seconds` from now."""
        now = datetime.now(UTC)
        await self._owned_update(
            job.id, {"owner": None, "lease_until": None, "not_before": now + timedelta(seconds=seconds)}
        )
        if self.on_defer is not None:
            self.on_defer(seconds)

    async def release(self, job_ids: list[int]) -> None:
        """Give unfinished jobs back at once (at shutdown), so another process need not wait out the lease."""
        if not job_ids:
            return
        query = (
            update(JobRow)
            .where(JobRow.id.in_(job_ids), JobRow.owner == self.owner, JobRow.state == JobState.RUNNING.value)
            .values(owner=None, lease_until=None)
        )
        async with self.engine.begin() as connection:
            await connection.execute(query)

    async def get(self, job_id: int) -> Job | None:
        """One job by id (tests, diagnostics)."""
        async with self._session() as session:
            row = await session.get(JobRow, job_id)
            return _job(row) if row else None

    async def prune(self, older_than: datetime, batch: int = 500) -> int:
        """Delete finished jobs older than `older_than`, `batch` rows per statement; how many went."""
        removed = 0
        while True:
            old = select(JobRow.id).where(JobRow.state == JobState.DONE.value, JobRow.finished_at < older_than)
            query = delete(JobRow).where(JobRow.id.in_(old.limit(batch).scalar_subquery()))
            async with self.engine.begin() as connection:
                count = int((await connection.execute(query)).rowcount or 0)
            removed += count
            if count < batch:
                return removed

    async def _owned_update(
        self, job_id: int, values: dict[str, Any], *, connection: DbConnection | None = None
    ) -> None:
        if connection is None:
            async with self.engine.begin() as own:
                return await self._owned_update(job_id, values, connection=own)
        if (await connection.execute(_OWNED, {"job": job_id, "me": self.owner, **values})).rowcount != 1:
            raise LeaseLost(f"job {job_id} is no longer leased to this process")
