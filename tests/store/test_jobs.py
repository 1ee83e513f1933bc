"""The job journal and incident claims on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, update

from bot.store import Claims, JobKind, Journal, LeaseLost, Store
from bot.store.claims import _RELEASE, _SETTLE, CLAIM_EXPIRY, ClaimRow
from bot.store.jobs import JobRow
from bot.store.on_the_loop import LoopEngine


@pytest.fixture
async def store(migrated_database_url: str) -> AsyncIterator[Store]:
    """A store on a migrated database whose tables are empty, closed afterwards."""
    opened = await Store.open(migrated_database_url)
    try:
        yield opened
    finally:
        await opened.close()


def journal(store: Store, owner: str = "process-a", lease: float = 30.0) -> Journal:
    """A journal for one process."""
    return Journal(store.engine, owner=owner, lease=lease)


async def expire_leases(store: Store) -> None:
    """Pretend every lease ran out (the process holding it died a while ago)."""
    async with store.engine.begin() as connection:
        await connection.execute(update(JobRow).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))


# Jobs


async def test_a_key_is_journaled_once(store: Store) -> None:
    """The first submit of a key journals a job leased to its process; a replay of the key gets None."""
    mine = journal(store)
    job = await mine.submit(JobKind.ACTION, "trigger-1", {"verb": "resolve"})
    assert job is not None and job.attempts == 1 and not job.resumed
    assert await mine.submit(JobKind.ACTION, "trigger-1", {"verb": "resolve"}) is None
    assert await journal(store, "process-b").claim_due(10) == []  # leased: nobody else takes it


async def test_a_job_whose_lease_ran_out_is_resumed_once_by_one_process(store: Store) -> None:
    """After its process dies, exactly one of several processes claims the job, as a resumed run."""
    job = await journal(store).submit(JobKind.ACTION, "k", {})
    assert job is not None
    await expire_leases(store)
    claimed = await asyncio.gather(*(journal(store, f"p{i}").claim_due(5) for i in range(6)))
    winners = [jobs for jobs in claimed if jobs]
    assert len(winners) == 1
    (resumed,) = winners[0]
    assert resumed.id == job.id and resumed.resumed and resumed.payload == {}


async def test_heartbeat_keeps_a_lease_and_only_its_own(store: Store) -> None:
    """A heartbeat extends this process's leases, so nobody takes its job; other jobs stay due."""
    a, b = journal(store, "a"), journal(store, "b")
    await a.submit(JobKind.ACTION, "a-job", {})
    await b.submit(JobKind.ACTION, "b-job", {})
    await expire_leases(store)
    assert await a.heartbeat() == 1
    (taken,) = await journal(store, "c").claim_due(10)
    assert taken.key == "b-job"


async def test_a_process_that_lost_its_lease_cannot_write(store: Store) -> None:
    """Once another process took the job over, the old holder's stage records and finish are refused."""
    old = journal(store, "old")
    job = await old.submit(JobKind.ACTION, "k", {})
    assert job is not None
    await expire_leases(store)
    (taken,) = await journal(store, "new").claim_due(1)
    with pytest.raises(LeaseLost):
        await old.record(job, stage="called", result={"x": 1})
    with pytest.raises(LeaseLost):
        await old.finish(job)
    assert (await old.get(job.id)) == taken


async def test_stage_and_result_survive_for_the_resumed_run(store: Store) -> None:
    """What a run recorded (stage, result) is what the process resuming it reads."""
    first = journal(store, "first")
    job = await first.submit(JobKind.ACTION, "k", {"ids": ["a"]})
    assert job is not None
    await first.record(job, stage="decided", result={"a": "resolved"})
    await expire_leases(store)
    (resumed,) = await journal(store, "second").claim_due(1)
    assert (resumed.stage, resumed.result, resumed.attempts) == ("decided", {"a": "resolved"}, 2)


async def test_finished_jobs_never_run_again(store: Store) -> None:
    """A finished job is not claimable, even with its lease gone."""
    mine = journal(store)
    job = await mine.submit(JobKind.NOTIFICATION, "k", {})
    assert job is not None
    await mine.finish(job, result={"posted": True})
    await expire_leases(store)
    assert await journal(store, "other").claim_due(10) == []


async def test_a_deferred_job_waits_and_a_released_one_does_not(store: Store) -> None:
    """defer() hides a job until its time; release() hands it to any process at once."""
    mine = journal(store)
    later = await mine.submit(JobKind.NOTIFICATION, "later", {})
    now = await mine.submit(JobKind.ACTION, "now", {})
    assert later is not None and now is not None
    await mine.defer(later, seconds=60)
    await mine.release([now.id])
    assert [j.key for j in await journal(store, "other").claim_due(10)] == ["now"]


async def test_prune_removes_old_finished_jobs_in_batches(store: Store) -> None:
    """Finished jobs older than the cut-off go, a batch at a time; running ones stay."""
    mine = journal(store)
    for n in range(7):
        job = await mine.submit(JobKind.ACTION, f"k{n}", {})
        assert job is not None
        if n < 5:
            await mine.finish(job)
    removed = await mine.prune(datetime.now(UTC) + timedelta(seconds=1), batch=2)
    assert removed == 5
    await expire_leases(store)
    assert len(await journal(store, "other").claim_due(10)) == 2


async def test_a_finish_after_a_lost_lease_takes_the_writes_of_its_transaction_with_it(store: Store) -> None:
    """A job's last transaction (claims released, job finished) writes nothing once another process holds
    the job: the claims stay with it, for the process that resumes it."""
    mine, claims = journal(store), Claims(store.engine)
    job = await mine.submit(JobKind.ACTION, "k", {})
    assert job is not None
    await claims.take(["i1"], job_id=job.id, verb="resolve", user="U1")
    await expire_leases(store)
    assert [j.id for j in await journal(store, "process-b").claim_due(5)] == [job.id]

    async def last_writes() -> None:
        async with mine.transaction() as connection:
            await claims.finish(job.id, {"i1": "resolved"}, connection=connection)
            await mine.finish(job, connection=connection)

    with pytest.raises(LeaseLost):
        await last_writes()
    (held,) = await claims.holders(["i1"])
    assert (held.running, held.outcome) == (True, None)


async def test_sqlite_statements_run_on_the_event_loop_thread(tmp_path: Path) -> None:
    """The store's SQLite calls run on the loop's thread, not on a thread of their own (PostgreSQL's is async)."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'loop.sqlite3'}")
    try:
        await _statements_on_the_loop(store)
    finally:
        await store.close()


async def _statements_on_the_loop(store: Store) -> None:
    threads: set[int] = set()
    assert isinstance(store.engine, LoopEngine)
    driver = store.engine.held().connection.driver_connection  # sees SQLAlchemy's statements and DIRECT ones
    assert isinstance(driver, sqlite3.Connection)
    driver.set_trace_callback(lambda _: threads.add(threading.get_ident()))
    job = await journal(store).submit(JobKind.ACTION, "k", {})
    assert job is not None
    await Claims(store.engine).take(["i1"], job_id=job.id, verb="resolve", user="U1")
    assert threads == {threading.get_ident()}


# Claims


async def test_a_jobs_claims_are_released_through_an_index(tmp_path: Path) -> None:
    """Releasing and settling a job's claims find them by index: the finish of an action does not read every
    claim kept (one per incident acted on in the retention window)."""
    store = await Store.open(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    try:
        assert isinstance(store.engine, LoopEngine)
        driver = store.engine.held().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        plans = []
        for statement, values in ((_RELEASE, [0, "2026-01-01", 1]), (_SETTLE, [0, "resolved", "2026-01-01", 1, "i"])):
            sql = str(statement.compile(dialect=store.engine.dialect)).replace("(__[POSTCOMPILE_ids])", "(?)")
            plans.append([row[3] for row in driver.execute(f"EXPLAIN QUERY PLAN {sql}", values)])
    finally:
        await store.close()
    assert all(steps and all(" USING " in step for step in steps) for steps in plans), plans


async def test_the_claims_before_a_take_are_read_with_it(store: Store) -> None:
    """`take_after_reading` tells who had each incident before this job took it (finished claims included)."""
    claims = Claims(store.engine)
    await claims.take(["i1"], job_id=1, verb="resolve", user="U1")
    await claims.finish(1, {"i1": "resolved"})
    taken, others, before = await claims.take_after_reading(["i1", "i2"], job_id=2, verb="resolve", user="U2")
    assert (taken, others) == (["i1", "i2"], [])
    assert [(c.incident_id, c.user, c.outcome, c.running) for c in before] == [("i1", "U1", "resolved", False)]


async def test_claims_go_to_the_first_job_and_name_the_holder_to_others(store: Store) -> None:
    """A second job is refused the incidents a running job holds, and told who holds them."""
    claims = Claims(store.engine)
    taken, others = await claims.take(["i1", "i2"], job_id=1, verb="resolve", user="U1")
    assert (taken, others) == (["i1", "i2"], [])
    taken, others = await claims.take(["i2", "i3"], job_id=2, verb="resolve", user="U2")
    assert taken == ["i3"]
    assert [(c.incident_id, c.user, c.running) for c in others] == [("i2", "U1", True)]


async def test_many_jobs_claiming_one_incident_at_once_make_one_winner(store: Store) -> None:
    """Whatever the interleaving, exactly one of ten concurrent claims on one incident wins."""
    claims = Claims(store.engine)
    results = await asyncio.gather(*(claims.take(["i1"], job_id=n, verb="resolve", user=f"U{n}") for n in range(10)))
    assert sum(1 for taken, _ in results if taken) == 1


async def test_finished_claims_are_free_and_remember_the_outcome(store: Store) -> None:
    """After a job finishes, its incidents can be claimed again, and the last outcome and user are readable."""
    claims = Claims(store.engine)
    await claims.take(["i1"], job_id=1, verb="resolve", user="U1")
    await claims.finish(1, {"i1": "resolved"})
    (held,) = await claims.holders(["i1"])
    assert (held.running, held.outcome, held.user) == (False, "resolved", "U1")
    assert (await claims.take(["i1"], job_id=2, verb="resolve", user="U2"))[0] == ["i1"]


async def test_a_resumed_job_keeps_its_claims_and_an_abandoned_one_loses_them(store: Store) -> None:
    """The same job claims its incidents again after a restart; a claim left running too long is free."""
    claims = Claims(store.engine)
    await claims.take(["i1", "i2"], job_id=1, verb="resolve", user="U1")
    assert (await claims.take(["i1"], job_id=1, verb="resolve", user="U1"))[0] == ["i1"]
    async with store.engine.begin() as connection:
        stale = datetime.now(UTC) - CLAIM_EXPIRY - timedelta(seconds=1)
        await connection.execute(update(ClaimRow).where(ClaimRow.incident_id == "i2").values(updated_at=stale))
    assert (await claims.take(["i2"], job_id=9, verb="resolve", user="U9"))[0] == ["i2"]


async def test_two_thousand_ids_are_claimed_in_chunks(store: Store) -> None:
    """A big command's ids are claimed whatever the drivers' parameter limits."""
    ids = [f"id-{n:05d}" for n in range(2000)]
    taken, others = await Claims(store.engine).take(ids, job_id=1, verb="resolve", user="U1")
    assert taken == ids and others == []


async def test_a_burst_of_submits_is_written_together_and_each_key_once(store: Store) -> None:
    """Fifty jobs submitted at once (a burst of commands), each twice: every key journaled once, the repeat
    told it is a replay, and the burst written in a few statements rather than fifty."""
    mine = journal(store)
    keys = [f"burst-{n}" for n in range(50)]
    inserts: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("INSERT INTO jobs"):
            inserts.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    results = await asyncio.gather(*(mine.submit(JobKind.ACTION, key, {"n": key}) for key in keys + keys))
    event.remove(store.engine.sync_engine, "before_cursor_execute", count)
    assert 1 <= len(inserts) <= 3
    firsts, repeats = results[:50], results[50:]
    assert all(job is not None for job in firsts)
    assert repeats == [None] * 50
    assert sorted(job.key for job in firsts if job) == sorted(keys)
    assert len({job.id for job in firsts if job}) == 50
