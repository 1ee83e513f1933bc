"""From DATABASE_URL to an async engine, and start-up errors an operator can act on."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import sqlalchemy
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.database_url import normalise_database_url, split_url, sqlite_file, where
from bot.errors import BotError
from bot.store.on_the_loop import LoopConnection, LoopEngine, LoopSession


class DatabaseError(BotError):
    """The database cannot be used; the message names it (never its password) and what to do."""


# The store's engine and connections: the async engine (PostgreSQL), or SQLite used on the loop's thread.
Database = AsyncEngine | LoopEngine
DbConnection = AsyncConnection | LoopConnection
DbSession = AsyncSession | LoopSession


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for DATABASE_URL, with `sslmode` translated for asyncpg (migrations, the audit
    command, read-only checks; the running store uses `store_engine`).

    SQLite runs in WAL mode: readers never wait for the writer, and a commit appends to the log
    instead of rewriting pages (with synchronous=NORMAL a process crash loses nothing; only a power
    cut may lose the last commits). The bot journals every action before its ack, so this matters.
    """
    parsed, connect_args = split_url(url)
    engine = create_async_engine(parsed, connect_args=connect_args, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def store_engine(url: str) -> Database:
    """The running store's engine. PostgreSQL: the async engine, a connection pinged at checkout (a server
    connection may have been dropped while pooled). SQLite: its plain engine on the loop's thread
    (`LoopEngine`), one connection (SQLite has one writer at a time; an open file cannot go stale)."""
    parsed = split_url(url)[0]
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = sqlalchemy.create_engine(parsed.set(drivername="sqlite+pysqlite"), pool_size=1, max_overflow=0)
    event.listen(engine, "connect", _sqlite_pragmas)
    return LoopEngine(engine)


def sessions(engine: Database) -> Callable[[], DbSession]:
    """New ORM sessions on `engine` (each entered with `async with`), objects kept usable after commit."""
    if isinstance(engine, LoopEngine):
        return engine.session
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _: object) -> None:
    cursor = dbapi_connection.cursor()
    # First: a writer waits for another instead of failing at once (switching to WAL waits too).
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def check_sqlite_folder(url: str) -> None:
    """Fail early, with the path, when an SQLite file could not be created or written."""
    file = sqlite_file(url)
    if file is None:
        return
    if not file.parent.is_dir():
        raise DatabaseError(
            f"The folder for the SQLite database does not exist: {file.parent} "
            "(create it, or point DATABASE_URL elsewhere)."
        )
    target = file if file.exists() else file.parent
    if not os.access(target, os.W_OK):
        raise DatabaseError(f"The bot cannot write the SQLite database at {target} (check its permissions).")


def unusable(url: str, error: BaseException) -> DatabaseError:
    """The one-line start-up message for a database that failed: where it is and why, no password."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    detail = reason[0][:300] if reason and reason[0] else type(error).__name__
    password = make_url(normalise_database_url(url)).password
    if password:
        detail = detail.replace(str(password), "***")
    return DatabaseError(f"Cannot use the database ({where(url)}): {type(error).__name__}: {detail}")
