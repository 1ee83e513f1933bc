"""Statements marked DIRECT on SQLite: the driver runs them, with the results SQLAlchemy would give."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Executable, insert, select

from bot.store import Claims, JobKind, Journal, Store
from bot.store.audit import AuditLog, AuditRecord
from bot.store.claims import _HOLDERS, _RELEASE
from bot.store.direct import DirectResult, plan_for
from bot.store.jobs import _OWNED, JOBS
from bot.store.on_the_loop import LoopEngine
from bot.store.tables import AlertMessageRow

AT = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[LoopEngine]:
    """The running store's SQLite engine on a migrated file."""
    store = await Store.open(f"sqlite:///{tmp_path / 'direct.sqlite3'}")
    assert isinstance(store.engine, LoopEngine)
    try:
        yield store.engine
    finally:
        await store.close()


def through_sqlalchemy(statement: Executable) -> Executable:
    """The same statement, unmarked: SQLAlchemy's execution layer runs it."""
    return statement.execution_options(direct=False)


async def both(engine: LoopEngine, statement: Executable, parameters: dict[str, Any]) -> tuple[Any, Any]:
    """The statement's result directly and through SQLAlchemy, in one transaction (rolled back)."""
    async with engine.connect() as connection:
        direct = await connection.execute(statement, parameters)
        plain = await connection.execute(through_sqlalchemy(statement), parameters)
    return direct, plain


async def test_a_direct_read_gives_the_rows_sqlalchemy_gives(engine: LoopEngine) -> None:
    """Rows, their columns by name, their types (a bool, a datetime) and mappings equal SQLAlchemy's, for IN
    lists of one and of several ids."""
    claims = Claims(engine)
    await claims.take(["i1", "i2", "i3"], job_id=7, verb="resolve", user="U1")
    await claims.finish(7, {"i1": "resolved"})
    for ids in (["i1"], ["i3", "i1", "nope"]):
        direct, plain = await both(engine, _HOLDERS, {"ids": ids})
        assert isinstance(direct, DirectResult)
        rows, expected = direct.all(), plain.all()
        assert [tuple(r) for r in rows] == [tuple(r) for r in expected] and rows
        assert [r.running for r in rows] == [r.running for r in expected]
        assert all(isinstance(r.running, bool) and isinstance(r.updated_at, datetime) for r in rows)
        direct, plain = await both(engine, _HOLDERS, {"ids": ids})
        assert direct.mappings().all() == [dict(m) for m in plain.mappings().all()]


async def test_a_direct_write_stores_what_sqlalchemy_would(engine: LoopEngine) -> None:
    """An audit record written directly (JSON, a datetime, a tuple) reads back as it was written."""
    log = AuditLog(engine)
    record = AuditRecord(
        at=AT, kind="action", job_id=42, user="U1", incident_ids=("i1", "i2"), outcomes={"i1": "resolved"}
    )
    assert await log.record(record)
    assert not await log.record(record)  # the same job's record again: nothing written, as before
    (read,) = await log.query()
    assert (read.at, read.incident_ids, read.outcomes, read.job_id) == (AT, ("i1", "i2"), {"i1": "resolved"}, 42)


async def test_the_rowcount_of_a_direct_update_counts_the_rows_changed(engine: LoopEngine) -> None:
    """An UPDATE's rowcount is the number of rows it changed (the journal's lease check reads it)."""
    await Claims(engine).take(["i1", "i2"], job_id=3, verb="resolve", user="U1")
    async with engine.begin() as connection:
        changed = await connection.execute(_RELEASE, {"job": 3, "now": AT})
        again = await connection.execute(_RELEASE, {"job": 3, "now": AT})
    assert (changed.rowcount, again.rowcount) == (2, 0)


async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(engine: LoopEngine) -> None:
    """A constraint the driver refuses comes out as SQLAlchemy's IntegrityError, the statement named."""
    job = await Journal(engine, owner="p1", lease=30).submit(JobKind.ACTION, "k1", {})
    assert job is not None
    async with engine.begin() as connection:
        with pytest.raises(sqlalchemy.exc.IntegrityError, match=r"(?s)NOT NULL.*UPDATE jobs"):
            await connection.execute(_OWNED, {"job": job.id, "me": "p1", "kind": None})


async def test_what_a_plan_cannot_run_exactly_goes_through_sqlalchemy(engine: LoopEngine) -> None:
    """An empty IN list, a write outside a transaction, several rows, and an unmarked statement are
    SQLAlchemy's to run; so is a statement with Python-side column defaults."""
    async with engine.connect() as connection:
        plans, sync = engine.plans, connection.sync_connection
        assert plans.run(sync, _RELEASE, {"job": 1, "now": AT}) is None  # no transaction begun
        assert plans.run(sync, _HOLDERS, {"ids": []}) is None
        assert (await connection.execute(_HOLDERS, {"ids": []})).all() == []
        assert plans.run(sync, _HOLDERS, [{"ids": ["a"]}, {"ids": ["b"]}]) is None
        assert plans.run(sync, select(JOBS), None) is None
    with_defaults = insert(AlertMessageRow).execution_options(direct=True)
    assert plan_for(with_defaults, ["channel", "ts", "notification", "created_at"], engine.dialect) is None
