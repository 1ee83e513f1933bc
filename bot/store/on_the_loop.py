"""SQLite on the event loop's thread, synchronously, behind the async engine's API.

A statement on a local SQLite file takes microseconds. Through SQLAlchemy's asyncio layer each one
also costs greenlet switches (several per statement, four more per transaction) and, with
aiosqlite, a hand-over to a worker thread and back: measured, about five times the work itself.
`LoopEngine` runs SQLAlchemy's plain (synchronous) SQLite engine on the loop's thread instead, and
offers the few async methods the store uses (`begin`, `connect`, `execute`, `scalar(s)`, `run_sync`,
and a session), so the store's code is the same for SQLite and PostgreSQL (where the async engine
and asyncpg stay). The statements an action runs every time are marked `DIRECT`: they skip
SQLAlchemy's execution layer as well (`bot.store.direct`).

One transaction at a time: a lock (uncontended, it never yields) queues transactions and sessions,
as the single pooled connection did before; one inside another in the same task is an error, not a
wait for itself. A transaction's statements run without yielding to the
loop, so none interleaves with another. The loop waits only when another process holds SQLite's
write lock (busy_timeout): SQLite is the single-process default; several replicas use PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, CursorResult, Engine, Executable, Result, ScalarResult
from sqlalchemy.orm import Session

from bot.store.direct import Plans

P = ParamSpec("P")
T = TypeVar("T")
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class LoopConnection:
    """One connection of a `LoopEngine`, in a transaction or not; the async methods of AsyncConnection."""

    def __init__(self, connection: Connection, plans: Plans) -> None:
        self.sync_connection = connection
        self._plans = plans

    async def execute(self, statement: Executable, parameters: Parameters = None) -> CursorResult[Any]:
        """Run a statement; its (buffered) result. A statement marked `DIRECT` goes straight to the driver."""
        direct = self._plans.run(self.sync_connection, statement, parameters)
        if direct is not None:
            return direct  # type: ignore[return-value]  # the part of CursorResult the store reads
        return self.sync_connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row."""
        return self.sync_connection.scalar(statement, parameters)

    async def scalars(self, statement: Executable, parameters: Parameters = None) -> ScalarResult[Any]:
        """The first column of every row."""
        return self.sync_connection.scalars(statement, parameters)

    async def run_sync(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call `fn` with the synchronous connection."""
        return fn(self.sync_connection, *args, **kwargs)


class LoopSession:
    """An ORM session of a `LoopEngine`; the async methods of AsyncSession that the store uses."""

    def __init__(self, engine: LoopEngine) -> None:
        self._engine = engine
        self.sync_session: Session | None = None

    async def __aenter__(self) -> LoopSession:
        await self._engine.acquire()
        try:
            self.sync_session = Session(self._engine.held(), expire_on_commit=False)
        except BaseException:
            self._engine.release()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        try:
            self._session.close()  # rolls back what it began and did not commit (its reads)
        finally:
            self.sync_session = None
            self._engine.release()

    @property
    def _session(self) -> Session:
        if self.sync_session is None:
            raise RuntimeError("a LoopSession is used inside `async with` only")
        return self.sync_session

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[LoopSession]:
        """A transaction: committed at the end of the block, rolled back if it raises."""
        with self._session.begin():
            yield self

    def add(self, instance: object) -> None:
        """Add an object to the session."""
        self._session.add(instance)

    async def get(self, entity: type[T], ident: Any, *, populate_existing: bool = False) -> T | None:
        """An object by primary key."""
        return self._session.get(entity, ident, populate_existing=populate_existing)

    async def execute(self, statement: Executable, parameters: Parameters = None) -> Result[Any]:
        """Run a statement."""
        return self._session.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row."""
        return self._session.scalar(statement, parameters)

    async def scalars(self, statement: Executable, parameters: Parameters = None) -> ScalarResult[Any]:
        """The first column of every row."""
        return self._session.scalars(statement, parameters)


class LoopEngine:
    """A synchronous SQLite engine used on the loop's thread, with the async engine's methods. It holds its one
    connection for good (a pool checkout and return per transaction cost as much as the statements)."""

    def __init__(self, engine: Engine) -> None:
        self.sync_engine = engine
        self.dialect = engine.dialect
        self.url = engine.url
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        self._connection: Connection | None = None
        self.plans = Plans(engine.dialect)

    async def acquire(self) -> None:
        """Wait for the connection (one transaction or session at a time), and start from no transaction."""
        if self._holder is not None and self._holder is asyncio.current_task():
            raise RuntimeError(
                "a transaction on the SQLite store inside another in the same task would wait for itself"
            )
        await self._lock.acquire()
        self._holder = asyncio.current_task()
        try:
            self.end_reads()  # nothing left open by an earlier block is this one's
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give the connection to the next waiting transaction or session, its reads ended first."""
        try:
            self.end_reads()
        finally:
            self._holder = None
            self._lock.release()

    def held(self) -> Connection:
        """The engine's connection, opened on first use (again if an error invalidated it)."""
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            if self._connection is not None:
                self._connection.close()
            self._connection = self.sync_engine.connect()
        return self._connection

    def end_reads(self) -> None:
        """End the transaction reads began (SQLAlchemy begins one at the first statement): a reader left
        open would hold back SQLite's checkpoints."""
        if self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[LoopConnection]:
        """The connection in a transaction: committed at the end of the block, rolled back if it raises."""
        await self.acquire()
        try:
            connection = self.held()
            with connection.begin():
                yield LoopConnection(connection, self.plans)
        finally:
            self.release()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[LoopConnection]:
        """The connection for reads (a write needs `begin`: what is not committed here is rolled back)."""
        await self.acquire()
        try:
            yield LoopConnection(self.held(), self.plans)
        finally:
            self.release()

    def session(self) -> LoopSession:
        """A new ORM session (entered with `async with`)."""
        return LoopSession(self)

    async def dispose(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.sync_engine.dispose()
