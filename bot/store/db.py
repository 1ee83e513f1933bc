"""The store: one database (SQLite by default, PostgreSQL for several processes) and its tables.

`Store` opens and migrates the database and holds the table gateways: `alerts` (alert messages),
`claims` (incident claims), `audit` (the audit trail), `storms` (alert storms); the job journal is
built on its engine by the composition root, which knows the process's identity. Processed Slack
event ids are kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError

from bot.database_url import where
from bot.store.alerts import AlertMessages
from bot.store.audit import AuditLog
from bot.store.claims import Claims
from bot.store.engine import (
    Database,
    DatabaseError,
    check_sqlite_folder,
    create_engine,
    sessions,
    store_engine,
    unusable,
)
from bot.store.migrations import current_revision, head_revision, migrate
from bot.store.storms import Storms
from bot.store.tables import (
    EVENT_MEMORY,
    STALE_CLAIM,
    AlertMessageRow,
    AlertRecord,
    AlertStatus,
    ProcessedEventRow,
)

__all__ = [
    "EVENT_MEMORY",
    "STALE_CLAIM",
    "AlertMessageRow",
    "AlertRecord",
    "AlertStatus",
    "DatabaseError",
    "ProcessedEventRow",
    "Store",
    "StoreInfo",
]


def _sqlite_file_missing(engine: Database) -> bool:
    """Whether the engine is SQLite on a file that does not exist yet (one stat, at doctor time only)."""
    database = engine.url.database
    return engine.url.get_backend_name() == "sqlite" and bool(database) and not Path(str(database)).exists()


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What `Store.inspect` found."""

    url: str
    revision: str | None
    head: str
    error: str | None


class Store:
    """Async access to the bot's tables."""

    def __init__(self, engine: Database) -> None:
        self.engine = engine
        self._session = sessions(engine)
        self.alerts = AlertMessages(engine)
        self.claims = Claims(engine)
        self.audit = AuditLog(engine)
        self.storms = Storms(engine)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, and create or migrate the tables; `DatabaseError` (one clear line) when that fails."""
        check_sqlite_folder(url)
        try:
            await migrate(url)
        except DatabaseError:
            raise
        except Exception as e:
            raise unusable(url, e) from e
        return cls(store_engine(url))

    @staticmethod
    async def migrate(url: str) -> StoreInfo:
        """Create or upgrade the tables and exit (`python -m bot migrate`); what the database holds now."""
        opened = await Store.open(url)
        await opened.close()
        return await Store.inspect(url)

    @staticmethod
    async def inspect(url: str) -> StoreInfo:
        """Read-only: can the database be reached, and which revision does it hold?"""
        engine = create_engine(url)
        shown, head = where(url), head_revision()
        if _sqlite_file_missing(engine):
            await engine.dispose()  # connecting would create the file: report instead
            return StoreInfo(url=shown, revision=None, head=head, error=None)
        try:
            async with engine.connect() as connection:
                revision = await connection.run_sync(current_revision)
        except Exception as e:  # noqa: BLE001 - any failure to connect is the answer
            return StoreInfo(url=shown, revision=None, head=head, error=unusable(url, e).user_message)
        finally:
            await engine.dispose()
        return StoreInfo(url=shown, revision=revision, head=head, error=None)

    async def ping(self) -> None:
        """One cheap round trip; raises when the database does not answer."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Release the connection pool."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    async def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen, False for every repeat (Slack's retries)."""
        now = datetime.now(UTC)
        try:
            async with self._session() as session, session.begin():
                session.add(ProcessedEventRow(event_id=event_id, seen_at=now))
        except IntegrityError:
            return False
        async with self._session() as session, session.begin():
            await session.execute(delete(ProcessedEventRow).where(ProcessedEventRow.seen_at < now - EVENT_MEMORY))
        return True
