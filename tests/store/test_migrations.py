"""Alembic migrations on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert, inspect, text

from bot.store import Store
from bot.store.engine import create_engine
from bot.store.migrations import HEAD_REVISION, current_revision, head_revision, run_revisions
from bot.store.tables import AlertMessageRow, Base


async def test_the_revision_scripts_build_exactly_the_tables_the_code_declares(database_url: str) -> None:
    """Every revision run in turn on an empty database gives what the ORM declares (new databases are
    built from the declarations at once, so the two must never drift apart)."""
    engine = create_engine(database_url)

    def differences(connection: Connection) -> list[Any]:
        run_revisions(connection)
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    try:
        async with engine.begin() as connection:
            assert await connection.run_sync(differences) == []
            assert await connection.run_sync(current_revision) == head_revision()
    finally:
        await engine.dispose()


def test_the_head_a_start_looks_for_is_alembics_head() -> None:
    """HEAD_REVISION, which a start compares with the database without loading Alembic, is the newest script's."""
    assert head_revision() == HEAD_REVISION


async def test_database_of_the_pre_alembic_bot_is_adopted_with_its_rows(database_url: str) -> None:
    """A database made by the old runner (schema_version = 1) keeps its rows and ends at the head revision."""
    engine = create_engine(database_url)
    legacy = Table("schema_version", MetaData(), Column("version", Integer, nullable=False))

    def old_bot(connection: Connection) -> None:
        # The two tables of the first release (revision 0001 is exactly them), under the old version table.
        run_revisions(connection, "0001")
        connection.execute(text("DROP TABLE alembic_version"))
        legacy.create(connection)
        connection.execute(legacy.insert().values(version=1))
        connection.execute(
            insert(AlertMessageRow).values(
                channel="C0ALERTS",
                ts="1.000001",
                alert_id="alert-1",
                notification={"alert_id": "alert-1"},
                status="triggered",
                version=0,
                created_at=datetime.now(UTC),
            )
        )

    try:
        async with engine.begin() as connection:
            await connection.run_sync(old_bot)
    finally:
        await engine.dispose()
    store = await Store.open(database_url)
    try:
        record = await store.alerts.by_message("C0ALERTS", "1.000001")
        async with store.engine.connect() as reading:
            revision = await reading.run_sync(current_revision)
            tables = await reading.run_sync(lambda c: set(inspect(c).get_table_names()))
            stamped = (await reading.execute(text("SELECT count(*) FROM alembic_version"))).scalar()
    finally:
        await store.close()
    assert record is not None and record.alert_id == "alert-1"
    assert revision == head_revision()
    assert stamped == 1
    assert "schema_version" not in tables


async def test_inspect_reports_an_empty_database_without_touching_it(database_url: str) -> None:
    """Store.inspect on an empty database says so (no revision) and creates no table."""
    found = await Store.inspect(database_url)
    assert found.error is None
    assert found.revision is None
    assert found.head == head_revision()
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(lambda c: inspect(c).get_table_names()) == []
    finally:
        await engine.dispose()
