"""Case messages in the store, on SQLite and PostgreSQL: one per case, found by either of its ids."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.store import AlertStatus, Store
from bot.store.case_messages import CaseMessages
from bot.store.tables import MessageKind

CHANNEL = "C0ALERTS"
UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


@pytest.fixture
async def messages(migrated_database_url: str) -> AsyncIterator[CaseMessages]:
    """The case rows of a migrated database whose tables are empty."""
    store = await Store.open(migrated_database_url)
    try:
        yield CaseMessages(store.engine)
    finally:
        await store.close()


async def reserve(messages: CaseMessages, job_id: int) -> tuple[int, bool]:
    """Reserve the message of CASE-12 in CHANNEL for a job; (its row id, whether this call created it)."""
    record, created = await messages.reserve_case(
        channel=CHANNEL, case_id="CASE-12", uuid=UUID, status=AlertStatus.TRIGGERED, notification={}, job_id=job_id
    )
    return record.id, created


async def test_racing_reservations_make_one_message(messages: CaseMessages) -> None:
    """Ten jobs reserving the same case's message at once: one creates it, the others find it."""
    results = await asyncio.gather(*(reserve(messages, job) for job in range(10)))
    assert len({row for row, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_a_case_message_is_found_by_its_readable_id_or_its_uuid(messages: CaseMessages) -> None:
    """The message reserved under CASE-12 is the one a notification naming only the UUID finds."""
    await reserve(messages, 1)
    by_ref, by_uuid = await messages.for_case(["CASE-12"]), await messages.for_case([UUID])
    assert [r.id for r in by_ref] == [r.id for r in by_uuid]
    assert by_ref[0].kind is MessageKind.CASE
    assert by_ref[0].incident_id == "CASE-12"
    assert await messages.for_case(["CASE-13"]) == []


async def test_existing_rows_are_alert_messages(messages: CaseMessages) -> None:
    """Revision 0006 gives every row a kind; a row written without one reads as an alert message."""
    async with messages.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO alert_messages (channel, alert_id, notification, status, version, created_at)"
                " VALUES ('C1', 'a-1', '{}', 'triggered', 0, CURRENT_TIMESTAMP)"
            )
        )
    [record] = await messages.recent_for_alert("a-1")
    assert record.kind is MessageKind.ALERT
