"""SQLite used on the loop's thread (`LoopEngine`): transactions, reads, sessions, one held connection."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event, select, text

from bot.store import Store
from bot.store.jobs import JobRow
from bot.store.on_the_loop import LoopEngine


def connections_opened(engine: LoopEngine) -> list[object]:
    """Every new DBAPI connection the engine opens from now on."""
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda dbapi, _: opened.append(dbapi))
    return opened


async def count_jobs(engine: LoopEngine) -> int:
    """Rows in the jobs table, read through the engine."""
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT count(*) FROM jobs")))


async def add_job(engine: LoopEngine, key: str, *, fail: bool = False) -> None:
    """Insert a job row in a transaction; raise inside it when `fail`."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO jobs (key, kind, payload, state, attempts, created_at)"
                " VALUES (:key, 'action', '{}', 'running', 1, '2026-01-01 00:00:00')"
            ),
            {"key": key},
        )
        if fail:
            raise RuntimeError("the block failed")


async def test_a_transaction_commits_its_block_and_rolls_back_a_failed_one(engine: LoopEngine) -> None:
    """`begin` commits what its block wrote, and nothing of a block that raised."""
    await add_job(engine, "kept")
    with pytest.raises(RuntimeError):
        await add_job(engine, "dropped", fail=True)
    assert await count_jobs(engine) == 1


async def test_every_transaction_and_read_uses_one_held_connection(engine: LoopEngine) -> None:
    """Transactions, reads and sessions reuse one connection: no pool checkout per transaction."""
    await count_jobs(engine)
    opened = connections_opened(engine)
    for n in range(5):
        await add_job(engine, f"k{n}")
        await count_jobs(engine)
        async with engine.session() as session:
            assert len((await session.scalars(select(JobRow))).all()) == n + 1
    assert opened == []


async def test_reads_and_sessions_leave_no_transaction_open(engine: LoopEngine) -> None:
    """After a read or a session the held connection is out of its transaction (checkpoints are not held back)."""
    await count_jobs(engine)
    assert not engine.held().in_transaction()
    async with engine.session() as session:
        await session.scalar(text("SELECT count(*) FROM jobs"))
    assert not engine.held().in_transaction()


async def test_a_write_outside_begin_is_not_kept(engine: LoopEngine) -> None:
    """What a `connect` block writes without a transaction of its own is rolled back, as a returned connection's."""
    async with engine.connect() as connection:
        await connection.execute(
            text(
                "INSERT INTO jobs (key, kind, payload, state, attempts, created_at)"
                " VALUES ('loose', 'action', '{}', 'running', 1, '2026-01-01 00:00:00')"
            )
        )
    assert await count_jobs(engine) == 0


async def test_a_session_commits_in_its_transaction(engine: LoopEngine) -> None:
    """A session's `begin` block is committed; a session's plain reads see it afterwards."""
    async with engine.session() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO jobs (key, kind, payload, state, attempts, created_at)"
                " VALUES ('s', 'action', '{}', 'running', 1, '2026-01-01 00:00:00')"
            )
        )
    async with engine.session() as session:
        row = await session.get(JobRow, 1)
    assert row is not None and row.key == "s"


async def test_transactions_from_many_tasks_queue_and_all_land(engine: LoopEngine) -> None:
    """Fifty tasks writing at once are served one transaction at a time, and every write lands."""
    await asyncio.gather(*(add_job(engine, f"t{n}") for n in range(50)))
    assert await count_jobs(engine) == 50


async def test_a_transaction_waiting_on_something_holds_the_others_back_until_it_ends(engine: LoopEngine) -> None:
    """While one transaction waits (really suspends), another task's transaction waits for it, then lands."""
    holding, go_on = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
            holding.set()
            await go_on.wait()

    first = asyncio.create_task(slow())
    await holding.wait()
    second = asyncio.create_task(add_job(engine, "after"))
    await asyncio.sleep(0)  # the second task runs up to the wait for the connection
    assert not second.done()
    go_on.set()
    await asyncio.gather(first, second)
    assert await count_jobs(engine) == 1


async def test_a_transaction_inside_another_in_one_task_is_an_error_not_a_hang(engine: LoopEngine) -> None:
    """Opening a read or a session inside a transaction of the same task raises at once."""
    async with engine.begin():
        with pytest.raises(RuntimeError, match="inside another"):
            async with engine.connect():
                pass
        with pytest.raises(RuntimeError, match="inside another"):
            async with engine.session():
                pass
    assert await count_jobs(engine) == 0  # and the engine is usable afterwards


class FailingEnd(LoopEngine):
    """A LoopEngine whose first end of reads fails (as a rollback on a broken disk would)."""

    failed = False

    def end_reads(self) -> None:
        if self._connection is not None and not self.failed:
            self.failed = True
            raise OSError("disk I/O error")
        super().end_reads()


async def test_a_failure_at_the_end_of_a_block_still_frees_the_connection(tmp_path: Path) -> None:
    """When ending a session's reads fails, the error surfaces and the next transaction still runs."""
    opened = await Store.open(f"sqlite:///{tmp_path / 'failing.sqlite3'}")
    await opened.close()
    engine = FailingEnd(sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'failing.sqlite3'}"))
    try:
        with pytest.raises(OSError, match="disk I/O"):
            async with engine.session() as session:
                await session.scalar(text("SELECT count(*) FROM jobs"))
        async with asyncio.timeout(5):
            assert await count_jobs(engine) == 0
    finally:
        await engine.dispose()


async def test_an_invalidated_connection_is_replaced(engine: LoopEngine) -> None:
    """A connection an error invalidated is closed and a new one opened at the next use."""
    await count_jobs(engine)
    engine.held().invalidate()
    opened = connections_opened(engine)
    assert await count_jobs(engine) == 0
    assert len(opened) == 1


async def test_dispose_closes_the_connection_and_a_later_use_reopens_it(engine: LoopEngine) -> None:
    """After `dispose`, the next use opens a fresh connection."""
    await count_jobs(engine)
    await engine.dispose()
    opened: list[Any] = connections_opened(engine)
    assert await count_jobs(engine) == 0
    assert len(opened) == 1
