"""Records do not grow for ever: alert messages of incidents resolved long ago, and old event ids, are deleted.

In bounded batches (one short DELETE each, yielding to the event loop between them), so a first
prune of a large table never holds a lock or the loop for long. Open alert messages are kept
whatever their age: a click may still come.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.store.engine import Database
from bot.store.tables import EVENT_MEMORY, AlertMessageRow, AlertStatus, Base, ProcessedEventRow

logger = logging.getLogger(__name__)

BATCH = 500
# Once at start, then this often.
PRUNE_EVERY = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows one prune deleted."""

    alert_messages: int
    events: int


async def prune(engine: Database, *, retention: timedelta, batch: int = BATCH) -> Pruned:
    """Delete alert messages resolved more than `retention` ago, and event ids past EVENT_MEMORY (Slack
    retries for minutes: older ids are never needed again), at most `batch` rows per statement."""
    now = datetime.now(UTC)
    resolved_long_ago = [
        AlertMessageRow.status.in_([AlertStatus.RESOLVED.value, AlertStatus.CLOSED.value]),  # closed: a case
        AlertMessageRow.status_at < now - retention,
    ]
    alerts = await _delete_in_batches(engine, AlertMessageRow, AlertMessageRow.id, resolved_long_ago, batch)
    forgotten = [ProcessedEventRow.seen_at < now - EVENT_MEMORY]
    events = await _delete_in_batches(engine, ProcessedEventRow, ProcessedEventRow.event_id, forgotten, batch)
    if alerts or events:
        logger.info("pruned %d resolved alert messages and %d event ids", alerts, events)
    return Pruned(alert_messages=alerts, events=events)


async def _delete_in_batches(engine: Database, table: type[Base], key: Any, conditions: list[Any], batch: int) -> int:
    """DELETE … WHERE key IN (the first `batch` matching keys), repeated until fewer than `batch` go."""
    total = 0
    while True:
        chosen = select(key).where(*conditions).limit(batch).scalar_subquery()
        async with engine.begin() as connection:
            deleted = (await connection.execute(delete(table).where(key.in_(chosen)))).rowcount
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let requests in between batches
