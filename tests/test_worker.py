"""The worker's look for due jobs: after a job ends only when the last look may have left some behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from bot.store import Job, JobKind, Journal, Store
from bot.store.jobs import JobRow
from bot.store.leases import Leases
from bot.worker import Worker

LOOK_FOR_DUE = "UPDATE jobs SET owner="  # the claim of due jobs (a lease renewal sets lease_until only)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated SQLite store."""
    opened = await Store.open(f"sqlite:///{tmp_path / 'worker.sqlite3'}")
    try:
        yield opened
    finally:
        await opened.close()


def looks(store: Store) -> list[str]:
    """Every look for due jobs from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(LOOK_FOR_DUE):
            seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    return seen


def worker(store: Store, ran: list[int], *, owner: str = "p1", concurrency: int = 32) -> Worker:
    """A worker whose action jobs only note their id; its periodic look is 10 s away (lease 30 s)."""

    async def run(job: Job) -> None:
        ran.append(job.id)
        await Journal(store.engine, owner=owner, lease=30).finish(job)

    journal = Journal(store.engine, owner=owner, lease=30)
    return Worker(journal, Leases(store.engine), {JobKind.ACTION: run}, concurrency=concurrency)


async def test_jobs_run_here_end_without_a_look_for_due_jobs(store: Store) -> None:
    """Twenty jobs submitted and finished here cost no look for due jobs: the periodic one will do."""
    ran: list[int] = []
    runner = worker(store, ran)
    seen = looks(store)
    runner.start()
    try:
        for n in range(20):
            await runner.submit(JobKind.ACTION, f"k{n}", {})
        await runner.idle()
    finally:
        await runner.stop(grace=1)
    assert len(ran) == 20
    assert seen == []


async def test_due_jobs_beyond_the_room_are_taken_as_soon_as_a_job_ends(store: Store) -> None:
    """Five jobs left by a dead process, room for two: each end looks again, and all five run long before
    the periodic look (10 s away)."""
    dead = Journal(store.engine, owner="dead", lease=30)
    for n in range(5):
        await dead.submit(JobKind.ACTION, f"left-{n}", {})
    async with store.engine.begin() as connection:
        await connection.execute(update(JobRow).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
    ran: list[int] = []
    runner = worker(store, ran, concurrency=2)
    seen = looks(store)
    runner.start()
    runner.wake()  # as at start-up
    try:
        async with asyncio.timeout(5):
            while len(ran) < 5:
                await runner.idle()
                await asyncio.sleep(0)  # the look the last end asked for
    finally:
        await runner.stop(grace=1)
    assert sorted(ran) == [1, 2, 3, 4, 5]
    assert 3 <= len(seen) <= 6
