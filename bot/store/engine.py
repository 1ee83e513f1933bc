"""From DATABASE_URL to an async engine, and start-up errors an operator can act on."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.database_url import normalise_database_url, split_url, sqlite_file, where
from bot.errors import BotError


class DatabaseError(BotError):
    """The database cannot be used; the message names it (never its password) and what to do."""


def create_engine(url: str, *, on_the_loop: bool = False, **options: Any) -> AsyncEngine:
    """An async engine for DATABASE_URL, with `sslmode` translated for asyncpg.

    SQLite runs in WAL mode: readers never wait for the writer, and a commit appends to the log
    instead of rewriting pages (with synchronous=NORMAL a process crash loses nothing; only a power
    cut may lose the last commits). The bot journals every action before its ack, so this matters.

    `on_the_loop` (SQLite only): each SQLite call runs on the event loop's thread instead of being
    handed to aiosqlite's thread and back. A call on a local file takes microseconds; the hand-over
    (a queue, a thread woken, the loop woken) cost more CPU than the work, several times per
    statement. The loop waits only when another process holds the write lock (busy_timeout).
    """
    parsed, connect_args = split_url(url)
    if on_the_loop and parsed.get_backend_name() == "sqlite":
        connect_args = {**connect_args, "async_creator_fn": _connect_on_the_loop}
    engine = create_async_engine(parsed, connect_args=connect_args, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class _OnTheLoop(aiosqlite.Connection):
    """aiosqlite's connection, its calls made on the caller's thread. Its own thread still starts (SQLAlchemy
    hands it the isolation level, and it closes the connection at the end), and is otherwise idle."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _connect_on_the_loop(database: str, **options: Any) -> aiosqlite.Connection:
    """`aiosqlite.connect`, for `_OnTheLoop` (the sqlite3 connection, opened on aiosqlite's thread, is used on
    the loop's: one caller at a time, never two at once)."""
    options["check_same_thread"] = False
    connection = _OnTheLoop(lambda: sqlite3.connect(database, **options), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return connection


def _sqlite_pragmas(dbapi_connection: Any, _: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")  # a writer waits for another instead of failing at once
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
