"""Shared fixtures: hermetic settings, paths to the third-party contracts kept in tests/contracts."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url

from bot.settings import FIELD_NAMES, Settings
from bot.store import Store
from tests.fakes.coralogix import API_KEY
from tests.fakes.slack import VALID_TOKEN

ROOT = Path(__file__).resolve().parent.parent
# Verbatim copies of Coralogix's OpenAPI files, Slack's manifest schema and Slack request bodies (see its README).
CONTRACTS = ROOT / "tests" / "contracts"
SPECS = CONTRACTS / "coralogix"
MANIFEST_SCHEMA = CONTRACTS / "slack-manifest" / "manifest.schema.1.0.0.json"
PAYLOADS = CONTRACTS / "slack-payloads"

SIGNING_SECRET = "test-signing-secret"  # what the e2e tests sign Slack's requests with
BASE_SETTINGS: dict[str, str] = {
    "SLACK_BOT_TOKEN": VALID_TOKEN,  # the token the fake Slack accepts
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "CORALOGIX_API_KEY": API_KEY,  # the key the fake Coralogix accepts
}


@pytest.fixture(autouse=True)
def _clean_environment() -> Iterator[None]:
    """Hide the developer's own SLACK_*/CORALOGIX_* variables: tests build settings explicitly."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k in FIELD_NAMES}
    try:
        yield
    finally:
        os.environ.update(saved)


def make_settings(**overrides: Any) -> Settings:
    """Settings from the test defaults plus `overrides` (None removes a key)."""
    values: dict[str, Any] = {**BASE_SETTINGS, **overrides}
    return Settings(**{k: v for k, v in values.items() if v is not None})


# The PostgreSQL server the tests create their throwaway schemas on (TEST_POSTGRES_URL overrides).
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _server_url() -> URL:
    return make_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL).set(drivername="postgresql")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[URL]:
    """One database for the whole run on the PostgreSQL server (CREATE DATABASE costs ~0.3 s; a schema ~5 ms).

    Skipped when the server is unreachable, except under CI=true, where that is a failure.
    """
    import asyncpg  # type: ignore[import-untyped]  # only the PostgreSQL runs need it; it ships no types

    server = _server_url()
    dsn = server.render_as_string(hide_password=False)
    name = f"bot_tests_{secrets.token_hex(6)}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def admin(statement: str) -> None:
        # In a thread of its own: the first test to ask for this may already run an event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, execute(statement)).result()

    try:
        admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        message = f"PostgreSQL not reachable at {server.render_as_string(hide_password=True)}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(message)
    try:
        yield server.set(drivername="postgresql+asyncpg", database=name)
    finally:
        # FORCE ends connections a failed test (or a killed bot) left open (PostgreSQL 13+).
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(database: URL, *statements: tuple[str, ...]) -> None:
    """Run `statements` (SQL, then its arguments) on one connection to the run's database."""
    import asyncpg

    dsn = database.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        for sql, *args in statements:
            await connection.execute(sql, *args)
    finally:
        await connection.close()


def _schema_url(database: URL, name: str) -> str:
    """The URL of schema `name`: libpq's `options=-csearch_path=… -capplication_name=…`, as an operator
    would give it to keep the bot's tables in a schema; the application name finds its connections."""
    return database.update_query_dict({"options": f"-csearch_path={name} -capplication_name={name}"}).render_as_string(
        hide_password=False
    )


def _end_connections(name: str) -> tuple[str, ...]:
    return ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", name)


@asynccontextmanager
async def fresh_postgres_schema(database: URL) -> AsyncIterator[str]:
    """A new, empty schema in the run's database, as a URL whose connections use only it; dropped afterwards."""
    name = f"t_{secrets.token_hex(8)}"
    await _admin(database, (f'CREATE SCHEMA "{name}"',))
    try:
        yield _schema_url(database, name)
    finally:
        await _admin(database, _end_connections(name), (f'DROP SCHEMA "{name}" CASCADE',))


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: an SQLite file in tmp_path, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
        return
    async with fresh_postgres_schema(request.getfixturevalue("postgres_database")) as url:
        yield url


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated SQLite store in the test's folder (the store's own tests override it with both databases)."""
    opened = await Store.open(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        yield opened
    finally:
        await opened.close()


@dataclass
class _MigratedPool:
    """This worker's databases at the head revision, for tests that start from empty tables."""

    sqlite_template: Path | None = None  # a migrated SQLite file, copied for each test
    schemas: list[str] = field(default_factory=list)  # migrated PostgreSQL schemas, emptied, free


@pytest.fixture(scope="session")
def _migrated_pool() -> _MigratedPool:
    """Per worker: migrating a database costs ~0.3 s of CPU (client and server), emptying one ~0.03 s."""
    return _MigratedPool()


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
async def migrated_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _migrated_pool: _MigratedPool
) -> AsyncIterator[str]:
    """A database at the head revision with every table empty, as a fresh one is after its first start: a copy
    of a migrated SQLite file, or a PostgreSQL schema migrated once per worker and emptied after each test.

    For tests of what the store does with rows; tests of creating or migrating tables take `database_url`.
    """
    from bot.store import Store

    if request.param == "sqlite":
        if _migrated_pool.sqlite_template is None:
            template = request.getfixturevalue("tmp_path_factory").mktemp("migrated") / "store.sqlite3"
            await Store.migrate(f"sqlite+aiosqlite:///{template}")
            _migrated_pool.sqlite_template = template
        shutil.copyfile(_migrated_pool.sqlite_template, tmp_path / "store.sqlite3")
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
        return
    database: URL = request.getfixturevalue("postgres_database")
    if _migrated_pool.schemas:
        name = _migrated_pool.schemas.pop()
    else:
        name = f"t_{secrets.token_hex(8)}"
        await _admin(database, (f'CREATE SCHEMA "{name}"',))
        await Store.migrate(_schema_url(database, name))
    yield _schema_url(database, name)
    if await _emptied(database, name):
        _migrated_pool.schemas.append(name)
    else:
        await _admin(database, _end_connections(name), (f'DROP SCHEMA "{name}" CASCADE',))


async def _emptied(database: URL, name: str) -> bool:
    """Schema `name` with its connections ended and every row of the bot's tables deleted (sequences
    restarted), if it still has exactly the bot's tables at the head revision; else False."""
    import asyncpg

    from bot.store.migrations import HEAD_REVISION
    from bot.store.tables import Base

    tables = set(Base.metadata.tables)
    dsn = database.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(*_end_connections(name))
        found = {
            r["tablename"]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", name)
        }
        if found != tables | {"alembic_version"}:
            return False
        versions = await connection.fetch(f'SELECT version_num FROM "{name}".alembic_version')  # noqa: S608 - ours
        if [r["version_num"] for r in versions] != [HEAD_REVISION]:
            return False
        await connection.execute(
            "TRUNCATE " + ", ".join(f'"{name}"."{t}"' for t in sorted(tables)) + " RESTART IDENTITY CASCADE"
        )
        return True
    finally:
        await connection.close()


@pytest.fixture
async def postgres_url(postgres_database: URL) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL schema as a database URL."""
    async with fresh_postgres_schema(postgres_database) as url:
        yield url
