"""Shared fixtures: hermetic settings, paths to the third-party contracts kept in tests/contracts."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.settings import FIELD_NAMES, Settings

ROOT = Path(__file__).resolve().parent.parent
# Verbatim copies of Coralogix's OpenAPI files, Slack's manifest schema and Slack request bodies (see its README).
CONTRACTS = ROOT / "tests" / "contracts"
SPECS = CONTRACTS / "coralogix"
MANIFEST_SCHEMA = CONTRACTS / "slack-manifest" / "manifest.schema.1.0.0.json"
PAYLOADS = CONTRACTS / "slack-payloads"

BASE_SETTINGS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "test-signing-secret",
    "CORALOGIX_API_KEY": "cx-test-key",
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


# The PostgreSQL server the store tests create their throwaway databases on (TEST_POSTGRES_URL overrides).
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server (dropped afterwards), as an asyncpg URL.

    Skipped when the server is unreachable, except under CI=true, where that is a failure.
    """
    import asyncpg  # type: ignore[import-untyped]  # only the PostgreSQL runs need it; it ships no types

    server = make_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL).set(drivername="postgresql")
    dsn = server.render_as_string(hide_password=False)
    try:
        admin = await asyncpg.connect(dsn, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        message = f"PostgreSQL not reachable at {server.render_as_string(hide_password=True)}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(message)
    name = f"test_{secrets.token_hex(8)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(dsn, timeout=5)
        try:
            # FORCE terminates connections a failed test (or a killed bot) left open (PostgreSQL 13+).
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: an SQLite file in tmp_path, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database URL."""
    async with fresh_postgres_database() as url:
        yield url
