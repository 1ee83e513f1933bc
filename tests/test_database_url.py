"""DATABASE_URL as platforms give it: drivers, sslmode, and messages that never show the password."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.database_url import split_url, where
from bot.settings import describe_errors
from bot.store import DatabaseError, Store
from tests.conftest import make_settings


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
def test_sslmode_becomes_asyncpgs_ssl_argument(mode: str) -> None:
    """Every libpq sslmode leaves the URL and reaches asyncpg as `ssl`, with the connect timeout."""
    url, connect_args = split_url(f"postgres://bot:pw@db.example:5432/bot?sslmode={mode}")
    assert url.drivername == "postgresql+asyncpg"
    assert "sslmode" not in url.query
    assert connect_args["ssl"] == mode
    assert connect_args["timeout"] > 0


def test_unknown_sslmode_is_a_configuration_error_naming_the_modes() -> None:
    """A misspelt sslmode is refused at start with the accepted values, not at the first connect."""
    with pytest.raises(ValidationError) as caught:
        make_settings(DATABASE_URL="postgres://bot:s3cret@db.example/bot?sslmode=required")
    message = describe_errors(caught.value)
    assert "DATABASE_URL" in message
    assert "verify-full" in message
    assert "s3cret" not in message


def test_sqlite_urls_get_no_driver_arguments() -> None:
    """SQLite URLs pass through with the async driver and no connect arguments."""
    url, connect_args = split_url("sqlite:///bot.sqlite3")
    assert url.drivername == "sqlite+aiosqlite"
    assert connect_args == {}


def test_where_names_host_port_and_database_but_never_credentials() -> None:
    """Messages about the database show host, port and name, and hide user and password."""
    shown = where("postgres://bot:hunter2@db.example:6543/prod?sslmode=require")
    assert shown == "PostgreSQL at db.example:6543/prod"


@pytest.mark.parametrize("mode", ["disable", "prefer", "allow"])
async def test_platform_urls_connect_to_the_local_postgresql(postgres_url: str, mode: str) -> None:
    """`postgres://…?sslmode=…` connects to a server without TLS where the mode allows plain connections."""
    platform_url = postgres_url.replace("postgresql+asyncpg://", "postgres://") + f"&sslmode={mode}"
    settings = make_settings(DATABASE_URL=platform_url)
    store = await Store.open(settings.DATABASE_URL)
    try:
        await store.ping()
    finally:
        await store.close()


async def test_sslmode_require_against_a_server_without_tls_is_one_clear_line(postgres_url: str) -> None:
    """`sslmode=require` on a server without TLS fails with one line about SSL, host and port, no password."""
    url = postgres_url.replace("postgresql+asyncpg://postgres@", "postgres://postgres:pw-hunter2@") + "&sslmode=require"
    with pytest.raises(DatabaseError) as caught:
        await Store.open(url)
    message = caught.value.user_message
    assert "\n" not in message
    assert "SSL" in message or "ssl" in message
    assert "127.0.0.1:5432" in message
    assert "pw-hunter2" not in message
