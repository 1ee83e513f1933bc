"""Create or migrate the schema at start, without a separate migration tool.

The schema version lives in `schema_version`. Version 1 is the tables as `db.py` declares them
(created with `create_all`, which never touches existing tables). Later versions append a step
to MIGRATIONS; each runs once, in order, inside one transaction with the version bump.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

Step = Callable[[Connection], None]

# Steps after version 1, in order: MIGRATIONS[0] takes the schema from 1 to 2, and so on.
MIGRATIONS: list[Step] = []
CURRENT_VERSION = 1 + len(MIGRATIONS)

_version_meta = MetaData()
schema_version = Table("schema_version", _version_meta, Column("version", Integer, nullable=False))


def read_version(connection: Connection) -> int | None:
    """The schema version, or None for a database the bot has not set up yet (read-only)."""
    if not inspect(connection).has_table(schema_version.name):
        return None
    return connection.execute(select(schema_version.c.version)).scalar()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    _version_meta.create_all(connection)
    found = connection.execute(select(schema_version.c.version)).scalar()
    if found is None:
        metadata.create_all(connection)
        connection.execute(insert(schema_version).values(version=CURRENT_VERSION))
        return
    for step in MIGRATIONS[found - 1 :]:
        step(connection)
    if found < CURRENT_VERSION:  # never downgrade: a rolled-back bot would make the next upgrade redo steps
        connection.execute(update(schema_version).values(version=CURRENT_VERSION))


# Any constant will do: it names the lock two bot processes starting together take in turn.
_MIGRATION_LOCK = 7_204_466_105


async def migrate(engine: AsyncEngine, metadata: MetaData) -> None:
    """Bring the database to CURRENT_VERSION, one process at a time."""
    if engine.dialect.name == "sqlite":
        # SQLite has no advisory locks; BEGIN IMMEDIATE takes the write lock before reading the
        # version, so a second process waits (pysqlite's 5 s busy timeout) instead of racing.
        async with engine.connect() as raw:
            connection = await raw.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                await connection.run_sync(_migrate, metadata)
            except BaseException:
                await connection.exec_driver_sql("ROLLBACK")
                raise
            await connection.exec_driver_sql("COMMIT")
        return
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        await connection.run_sync(_migrate, metadata)
