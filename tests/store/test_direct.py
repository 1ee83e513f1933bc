"""Statements marked DIRECT on SQLite: the driver runs them, with the results SQLAlchemy would give."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Executable, event, insert, select

from bot.store import Claims, JobKind, Journal
from bot.store.audit import AuditLog, AuditRecord, _row
from bot.store.claims import _HOLDERS, _RELEASE
from bot.store.direct import DirectResult, plan_for
from bot.store.jobs import _OWNED, JOBS
from bot.store.on_the_loop import LoopEngine
from bot.store.tables import AlertMessageRow

AT = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)


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
    """An audit record written directly (JSON with None inside, an aware datetime not in UTC, a tuple) is stored
    column for column as SQLAlchemy stores the same record; a second write of the job's record writes nothing."""
    log = AuditLog(engine)
    record = AuditRecord(
        at=AT.astimezone(timezone(timedelta(hours=2))),
        kind="action",
        job_id=42,
        user="U1",
        incident_ids=("i1", "i2"),
        outcomes={"i1": "resolved"},
        detail={"note": None, "n": 1},
    )
    async with engine.begin() as connection:
        written = engine.plans.run(connection.sync_connection, log._record, _row(record))
        assert isinstance(written, DirectResult) and written.first() is not None
        await connection.execute(through_sqlalchemy(log._record), _row(replace(record, job_id=43)))
        again = engine.plans.run(connection.sync_connection, log._record, _row(record))
        assert again is not None and again.first() is None
    driver = engine.held().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    direct, plain = driver.execute("SELECT * FROM audit_records ORDER BY job_id").fetchall()
    assert (direct[3], plain[3]) == (42, 43)  # the columns: id, at, kind, job_id, user, …
    assert direct[1:3] + direct[4:] == plain[1:3] + plain[4:]
    assert direct[1] == "2026-12-02 09:30:15.123456"  # in UTC, as SQLAlchemy writes a datetime
    (read, _) = await log.query()
    assert (read.at, read.incident_ids, read.detail) == (AT, ("i1", "i2"), {"note": None, "n": 1})


async def test_the_rowcount_of_a_direct_update_counts_the_rows_changed(engine: LoopEngine) -> None:
    """An UPDATE's rowcount is the number of rows it changed (the journal's lease check reads it)."""
    await Claims(engine).take(["i1", "i2"], job_id=3, verb="resolve", user="U1")
    async with engine.begin() as connection:
        changed = await connection.execute(_RELEASE, {"job": 3, "now": AT})
        again = await connection.execute(_RELEASE, {"job": 3, "now": AT})
    assert isinstance(changed, DirectResult) and isinstance(again, DirectResult)
    assert (changed.rowcount, again.rowcount) == (2, 0)


async def test_errors_are_raised_as_sqlalchemy_raises_them(engine: LoopEngine) -> None:
    """A constraint the driver refuses, and a value the column's type cannot take, come out as SQLAlchemy's
    exceptions, the statement named."""
    job = await Journal(engine, owner="p1", lease=30).submit(JobKind.ACTION, "k1", {})
    assert job is not None
    async with engine.begin() as connection:
        with pytest.raises(sqlalchemy.exc.IntegrityError, match=r"(?s)NOT NULL.*UPDATE jobs"):
            await connection.execute(_OWNED, {"job": job.id, "me": "p1", "kind": None})
    async with engine.begin() as connection:
        with pytest.raises(sqlalchemy.exc.StatementError, match=r"(?s)not JSON serializable.*UPDATE jobs"):
            await connection.execute(_OWNED, {"job": job.id, "me": "p1", "result": {"x": object()}})


async def test_a_connection_the_driver_lost_is_replaced(engine: LoopEngine) -> None:
    """A direct statement on a connection that went away fails as SQLAlchemy fails, and the connection is
    invalidated: the next statement runs on a new one."""
    await Claims(engine).take(["i1"], job_id=5, verb="resolve", user="U1")
    driver = engine.held().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    driver.close()
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="closed database"):
        async with engine.connect() as connection:
            await connection.execute(_HOLDERS, {"ids": ["i1"]})
    async with engine.connect() as connection:
        assert [r.job_id for r in (await connection.execute(_HOLDERS, {"ids": ["i1"]})).all()] == [5]


async def test_statements_go_through_sqlalchemy_while_its_events_are_listened_to(engine: LoopEngine) -> None:
    """While something listens to the engine's events (instrumentation, a test counting statements), a marked
    statement goes through SQLAlchemy, so the listener sees it."""
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, …)
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(_HOLDERS, {"ids": ["i1"]})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    assert not isinstance(result, DirectResult)
    assert len(seen) == 1 and seen[0].startswith("SELECT incident_claims.incident_id")


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
