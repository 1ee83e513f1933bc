"""Pruning on SQLite and PostgreSQL: old resolved alert messages and old event ids go, in bounded batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from bot.store import AlertStatus, Store
from bot.store.retention import prune
from bot.store.tables import EVENT_MEMORY, AlertMessageRow, ProcessedEventRow

RETENTION = timedelta(days=90)
NOW = datetime.now(UTC)
OLD = NOW - RETENTION - timedelta(days=1)
RECENT = NOW - RETENTION + timedelta(days=1)


@pytest.fixture
async def store(migrated_database_url: str) -> AsyncIterator[Store]:
    """A store on a migrated database whose tables are empty, closed afterwards."""
    opened = await Store.open(migrated_database_url)
    try:
        yield opened
    finally:
        await opened.close()


async def add_rows(store: Store, rows: list[dict[str, Any]]) -> None:
    """Insert alert-message rows: `ts`, `status` and `status_at` given, the rest defaulted."""
    defaults = {"channel": "C0ALERTS", "alert_id": "a", "notification": {}, "version": 1, "created_at": OLD}
    async with store.engine.begin() as connection:
        await connection.execute(insert(AlertMessageRow), [{**defaults, **row} for row in rows])


async def remaining(store: Store) -> set[str]:
    """The ts of every alert message still stored."""
    async with store.engine.connect() as connection:
        return {ts for ts in (await connection.execute(select(AlertMessageRow.ts))).scalars() if ts}


async def test_old_resolved_messages_go_open_and_recent_ones_stay(store: Store) -> None:
    """Resolved longer ago than the retention: deleted. Resolved recently, or open however old: kept."""
    resolved, triggered, acknowledged = AlertStatus.RESOLVED.value, AlertStatus.TRIGGERED.value, "acknowledged"
    await add_rows(
        store,
        [
            {"ts": "old-resolved", "status": resolved, "status_at": OLD},
            {"ts": "recent-resolved", "status": resolved, "status_at": RECENT},
            {"ts": "old-open", "status": triggered, "status_at": None},
            {"ts": "old-acknowledged", "status": acknowledged, "status_at": OLD},
        ],
    )
    pruned = await prune(store.engine, retention=RETENTION)
    assert pruned.alert_messages == 1
    assert await remaining(store) == {"recent-resolved", "old-open", "old-acknowledged"}


async def test_old_event_ids_go_recent_ones_stay(store: Store) -> None:
    """Event ids past EVENT_MEMORY are forgotten; a recent one still stops Slack's retry."""
    async with store.engine.begin() as connection:
        await connection.execute(
            insert(ProcessedEventRow),
            [
                {"event_id": "EvOld", "seen_at": NOW - EVENT_MEMORY - timedelta(minutes=1)},
                {"event_id": "EvRecent", "seen_at": NOW},
            ],
        )
    assert (await prune(store.engine, retention=RETENTION)).events == 1
    assert not await store.first_time("EvRecent")


async def test_deletes_in_bounded_batches_until_done(store: Store) -> None:
    """12 old resolved rows with a batch of 5: three DELETEs of at most 5 rows each, and every row gone."""
    await add_rows(store, [{"ts": f"r{i}", "status": AlertStatus.RESOLVED.value, "status_at": OLD} for i in range(12)])
    deleted: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM ALERT_MESSAGES"):
            deleted.append(cursor.rowcount)

    event.listen(store.engine.sync_engine, "after_cursor_execute", count)
    try:
        pruned = await prune(store.engine, retention=RETENTION, batch=5)
    finally:
        event.remove(store.engine.sync_engine, "after_cursor_execute", count)
    assert pruned.alert_messages == 12
    assert deleted == [5, 5, 2]
    assert await remaining(store) == set()


async def test_nothing_to_prune_is_one_cheap_pass(store: Store) -> None:
    """An empty store prunes nothing and says so."""
    pruned = await prune(store.engine, retention=RETENTION)
    assert (pruned.alert_messages, pruned.events) == (0, 0)
