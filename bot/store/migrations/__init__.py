"""Schema migrations with Alembic, shipped inside the package so they run from any working folder.

`migrate(url)` brings a database to the newest revision: at every bot start, and from
`python -m bot migrate` (Heroku's `release:` phase). Several processes may start at once on one
empty database: on PostgreSQL they queue on an advisory lock held for the migrating transaction;
on SQLite `BEGIN IMMEDIATE` takes the write lock before anything is read. Migrations are
transactional DDL on both, so a crash mid-way leaves the previous revision intact.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.store.audit
import bot.store.claims
import bot.store.jobs
import bot.store.leases  # noqa: F401 - with the lines above: every table module registers on Base
from bot.store.engine import create_engine
from bot.store.tables import Base

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Any constant will do: it names the lock two processes migrating together take in turn.
MIGRATION_LOCK = 7_204_466_105
# Databases set up before Alembic carry this table at version 1, which is revision 0001.
LEGACY_VERSION_TABLE = "schema_version"
# The newest revision in versions/ (a test checks that it is Alembic's head): a database already
# there is recognised at start without importing Alembic, about a quarter of a process's start-up CPU.
HEAD_REVISION = "0007"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The revisions shipped with this bot (read from disk once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this bot knows."""
    head = _scripts().get_current_head()
    assert head is not None, "the package ships at least one revision"
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision; None for a database the bot has not set up (read-only)."""
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None and inspect(connection).has_table(LEGACY_VERSION_TABLE):
        return "0001"
    return revision


def _at_head(connection: Connection) -> bool:
    """The database records HEAD_REVISION alone, read as Alembic reads it (the same two queries)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return False
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD_REVISION]


def _upgrade(connection: Connection) -> None:
    if _at_head(connection):
        return  # the common start: nothing to do, and no migration machinery loaded
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection)
    found = context.get_current_revision()
    if found == head_revision():
        return
    if found is None and not inspect(connection).get_table_names():
        # A new database: build today's tables at once and record the head (Alembic's cookbook way;
        # a test checks that the migrations and the tables the code declares are the same).
        Base.metadata.create_all(connection)
        context.stamp(_scripts(), "head")
        return
    if found is None and inspect(connection).has_table(LEGACY_VERSION_TABLE):
        context.stamp(_scripts(), "0001")  # adopt a database made by the pre-Alembic bot
        connection.execute(text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))
        found = "0001"
    if found is not None and found not in {s.revision for s in _scripts().walk_revisions()}:
        return  # migrated by a newer bot: never downgrade, and its schema is a superset of ours
    run_revisions(connection)


def run_revisions(connection: Connection, target: str = "head") -> None:
    """Apply the revision scripts one by one from where the database is up to `target`."""
    from alembic import command

    command.upgrade(_config(connection), target)


def _sqlite_transactional_ddl(engine: AsyncEngine) -> None:
    """pysqlite runs DDL outside transactions; take over BEGIN so migrations are atomic and exclusive."""

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_transactions(dbapi_connection: object, _: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]  # pysqlite's own switch

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def migrate(url: str) -> None:
    """Bring the database at `url` to the head revision, one process at a time."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_transactional_ddl(engine)
    try:
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()
