"""The worker's look for due jobs: not after every job that ends (at once when the last look may have left
some behind, else at most once in a while), and when a retry it deferred comes due."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from bot.store import Job, JobKind, Journal, Store
from bot.store.leases import Leases
from bot.worker import Worker

# The claim of due jobs: it sets the owner and counts an attempt (a deferral or a release sets no attempt).
LOOK_FOR_DUE = ("UPDATE jobs SET owner=", "attempts=")


def looks(store: Store) -> list[str]:
    """Every look for due jobs from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(LOOK_FOR_DUE[0]) and LOOK_FOR_DUE[1] in statement:
            seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    return seen


def worker(store: Store, ran: list[int], *, fail_first: bool = False, **options: Any) -> Worker:
    """A worker whose action jobs only note their id (the first attempt of each failing, with `fail_first`);
    its periodic look is 10 s away (lease 30 s)."""
    journal = Journal(store.engine, owner="p1", lease=30)

    async def run(job: Job) -> None:
        ran.append(job.id)
        if fail_first and job.attempts == 1:
            raise RuntimeError("Coralogix answered 503")
        await journal.finish(job)

    return Worker(journal, Leases(store.engine), {JobKind.ACTION: run}, **options)


async def runs(runner: Worker, ran: list[int], n: int, *, within: float = 5) -> None:
    """Until `n` job runs happened (each ending may ask for a look, which runs once the loop turns)."""
    async with asyncio.timeout(within):
        while len(ran) < n:
            await runner.idle()
            await asyncio.sleep(0.01)  # the look a job's end asked for, or a deferral running out


async def left_behind(store: Store, n: int) -> None:
    """`n` jobs of a process that handed them back (a SIGTERM): due for anyone."""
    other = Journal(store.engine, owner="p2", lease=30)
    jobs = [await other.submit(JobKind.ACTION, f"left-{i}", {}) for i in range(n)]
    await other.release([job.id for job in jobs if job is not None])


async def test_jobs_run_here_end_without_a_look_for_due_jobs(store: Store) -> None:
    """Twenty jobs submitted and finished here cost no look for due jobs (at most one a minute here)."""
    ran: list[int] = []
    runner = worker(store, ran, look_after_jobs_every=60)
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
    """Five jobs handed back by another process, room for two: each end looks again, and all five run long
    before the periodic look (10 s away)."""
    await left_behind(store, 5)
    ran: list[int] = []
    runner = worker(store, ran, concurrency=2, look_after_jobs_every=60)
    seen = looks(store)
    runner.start()
    runner.wake()  # as at start-up
    try:
        await runs(runner, ran, 5)
    finally:
        await runner.stop(grace=1)
    assert sorted(ran) == [1, 2, 3, 4, 5]
    assert 3 <= len(seen) <= 6


async def test_jobs_handed_back_meanwhile_are_taken_after_the_next_job_ends_here(store: Store) -> None:
    """Jobs another process handed back while this one was idle run after its next job ends, not 10 s later."""
    ran: list[int] = []
    runner = worker(store, ran, look_after_jobs_every=0)
    runner.start()
    try:
        await left_behind(store, 3)
        await runner.submit(JobKind.ACTION, "here", {})
        await runs(runner, ran, 4)
    finally:
        await runner.stop(grace=1)
    assert sorted(ran) == [1, 2, 3, 4]


async def test_a_failed_job_is_retried_when_its_backoff_ends(store: Store) -> None:
    """A job that failed is deferred, and this process looks again when the deferral ends (0.2 s here),
    not at the periodic look 10 s away."""
    ran: list[int] = []
    runner = worker(store, ran, fail_first=True, retry_backoff=0.2)
    runner.start()
    try:
        await runner.submit(JobKind.ACTION, "flaky", {})
        await runs(runner, ran, 2)
    finally:
        await runner.stop(grace=1)
    assert ran == [1, 1]


async def test_a_job_that_defers_itself_runs_again_when_its_wait_ends(store: Store) -> None:
    """A notification job waiting for its message (deferring itself 0.2 s) runs again then, not at the
    periodic look 10 s away."""
    journal = Journal(store.engine, owner="p1", lease=30)
    ran: list[int] = []

    async def wait_once(job: Job) -> None:
        ran.append(job.id)
        if job.attempts == 1:
            await journal.defer(job, seconds=0.2)
        else:
            await journal.finish(job)

    runner = Worker(journal, Leases(store.engine), {JobKind.NOTIFICATION: wait_once}, look_after_jobs_every=60)
    runner.start()
    try:
        await runner.submit(JobKind.NOTIFICATION, "resolved-before-triggered", {})
        await runs(runner, ran, 2)
    finally:
        await runner.stop(grace=1)
    assert ran == [1, 1]
