"""Store against real SQLite and PostgreSQL databases (the `database_url` fixture runs each test on both)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.database_url import normalise_database_url
from bot.store import AlertRecord, AlertStatus, Store
from bot.store.db import EVENT_MEMORY, STALE_CLAIM, AlertMessageRow, ProcessedEventRow
from bot.store.migrations import current_revision, head_revision
from tests.factories import posted_alert

NOTIFICATION: dict[str, Any] = {"alert_id": "alert-1", "alert_name": "CPU high", "labels": {"env": "prod"}}
# The states each action may start from (as the alert service uses them).
ACKNOWLEDGE_FROM = {AlertStatus.TRIGGERED}
RESOLVE_FROM = {AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED}


@pytest.fixture
async def store(migrated_database_url: str) -> AsyncIterator[Store]:
    """A store on a migrated database whose tables are empty, closed afterwards."""
    opened = await Store.open(migrated_database_url)
    try:
        yield opened
    finally:
        await opened.close()


async def add(store: Store, *, ts: str = "1700000000.000100", **overrides: Any) -> AlertRecord:
    """Add a posted alert message with test defaults plus `overrides`."""
    return await posted_alert(store.alerts, ts=ts, **{"notification": NOTIFICATION, **overrides})


async def moved_to(store: Store, record: AlertRecord, status: AlertStatus) -> AlertRecord:
    """Move `record` to `status` as a Coralogix notification would, from any state; the updated record."""
    moved = await store.alerts.transition(record.id, status, by="U0", via="coralogix", allowed_from=set(AlertStatus))
    assert moved is not None
    return moved


async def versions(store: Store) -> list[str]:
    """Every row of alembic_version."""
    async with store.engine.connect() as connection:
        return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def age_claim(store: Store, record_id: int, age: timedelta) -> None:
    """Pretend the record's claim was made `age` ago."""
    async with store.engine.begin() as connection:
        await connection.execute(
            update(AlertMessageRow).where(AlertMessageRow.id == record_id).values(pending_since=datetime.now(UTC) - age)
        )


def assert_utc(value: datetime | None) -> None:
    """`value` is a timezone-aware UTC datetime from the last minute."""
    assert value is not None
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - value) < timedelta(minutes=1)


# Schema


async def test_fresh_database_gets_tables_and_current_version(database_url: str) -> None:
    """Opening an empty database creates every table and records the head revision once."""

    def table_names(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    store = await Store.open(database_url)
    try:
        async with store.engine.connect() as connection:
            tables = await connection.run_sync(table_names)
        assert {"alert_messages", "processed_events", "alembic_version"} <= tables
        assert await versions(store) == [head_revision()]
    finally:
        await store.close()


async def test_opening_twice_keeps_schema_and_data(database_url: str) -> None:
    """Reopening an existing database neither fails nor loses rows nor adds a version row."""
    first = await Store.open(database_url)
    try:
        record = await add(first)
        assert await first.first_time("Ev1")
    finally:
        await first.close()
    second = await Store.open(database_url)
    try:
        assert await second.alerts.get(record.id) == record
        assert not await second.first_time("Ev1")
        assert await versions(second) == [head_revision()]
    finally:
        await second.close()


async def test_newer_schema_revision_is_not_downgraded(database_url: str) -> None:
    """An older bot opening a database migrated by a newer one leaves its revision alone and starts."""
    first = await Store.open(database_url)
    try:
        async with first.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    finally:
        await first.close()
    second = await Store.open(database_url)
    try:
        assert await versions(second) == ["9999_from_the_future"]
        assert await second.alerts.get(1) is None
    finally:
        await second.close()


async def test_open_accepts_urls_without_async_driver(database_url: str) -> None:
    """Store.open picks its driver itself for plain sqlite:// and postgresql:// URLs (SQLite's runs on the loop)."""
    plain = database_url.replace("+aiosqlite", "").replace("+asyncpg", "")
    assert plain != database_url
    opened = await Store.open(plain)
    try:
        assert opened.engine.url.drivername in {"sqlite+pysqlite", "postgresql+asyncpg"}
        assert await opened.alerts.get(1) is None
    finally:
        await opened.close()


# Alert messages


async def test_a_posted_alert_is_a_fresh_record(store: Store) -> None:
    """A new alert message is triggered and unclaimed once posted, and reads back identically."""
    record = await add(store, incident_id="inc-1")
    assert (record.channel, record.ts, record.alert_id, record.incident_id) == (
        "C0ALERTS",
        "1700000000.000100",
        "alert-1",
        "inc-1",
    )
    assert record.notification == NOTIFICATION
    assert record.status is AlertStatus.TRIGGERED
    assert (record.status_by, record.status_via, record.status_at) == (None, None, None)
    assert (record.pending_action, record.pending_by, record.pending_since) == (None, None, None)
    assert record.version == 1  # reserved, then posted
    assert_utc(record.created_at)
    assert await store.alerts.get(record.id) == record


async def test_get_unknown_id_is_none(store: Store) -> None:
    """get answers None for an id that was never stored."""
    assert await store.alerts.get(12345) is None


async def test_by_message_finds_only_that_message(store: Store) -> None:
    """by_message matches channel and ts together."""
    record = await add(store, channel="C1", ts="1.1")
    await add(store, channel="C2", ts="1.2")
    assert await store.alerts.by_message("C1", "1.1") == record
    assert await store.alerts.by_message("C1", "1.2") is None
    assert await store.alerts.by_message("C2", "1.1") is None


async def test_same_message_cannot_be_added_twice(store: Store) -> None:
    """(channel, ts) is unique: a second row for the same Slack message is refused."""
    await add(store, channel="C1", ts="1.1")
    other, _ = await store.alerts.reserve(
        channel="C1", alert_id="alert-2", group_by=None, incident_id=None, notification={}, job_id=None
    )
    with pytest.raises(IntegrityError):
        await store.alerts.posted(other.id, channel="C1", ts="1.1")


async def test_one_open_message_per_alert_and_one_message_per_incident(store: Store) -> None:
    """The same alert (and group-by values) gets one open message, and an incident one message per channel;
    a resolved message leaves room for the alert's next one."""
    first = dict(channel="C1", alert_id="a", group_by="host=x", notification={}, job_id=1)
    record, created = await store.alerts.reserve(incident_id=None, **first)  # type: ignore[arg-type]
    again, created_again = await store.alerts.reserve(incident_id=None, **first)  # type: ignore[arg-type]
    assert created and not created_again and again.id == record.id
    bound = await store.alerts.set_incident(record.id, "inc-1")
    assert bound is not None
    same_incident, created = await store.alerts.reserve(
        channel="C1", alert_id="b", group_by=None, incident_id="inc-1", notification={}, job_id=2
    )
    assert not created and same_incident.id == record.id
    await store.alerts.transition(
        record.id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from={AlertStatus.TRIGGERED}
    )
    _, created = await store.alerts.reserve(incident_id=None, **first)  # type: ignore[arg-type]
    assert created


async def test_by_incident_lists_oldest_first(store: Store) -> None:
    """by_incident returns every message of the incident in insertion order, and no others."""
    first = await add(store, ts="1.1", incident_id="inc-1")
    await add(store, ts="1.2", incident_id="inc-2")
    second = await add(store, ts="1.3", incident_id="inc-1", channel="C0OTHER")
    assert await store.alerts.by_incident("inc-1") == [first, second]
    assert await store.alerts.by_incident("inc-unknown") == []


async def test_recent_for_alert_is_newest_first_and_limited(store: Store) -> None:
    """recent_for_alert lists only that alert's messages, resolved ones included, newest first, up to limit."""
    added = [await add(store, ts=f"1.{n}", alert_id="alert-1") for n in range(5)]
    await add(store, ts="2.0", alert_id="alert-2")
    resolved = await store.alerts.transition(
        added[4].id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from={AlertStatus.TRIGGERED}
    )
    assert resolved is not None
    newest_first = [resolved, *reversed(added[:4])]
    assert await store.alerts.recent_for_alert("alert-1") == newest_first
    assert await store.alerts.recent_for_alert("alert-1", limit=2) == newest_first[:2]
    assert await store.alerts.recent_for_alert("alert-unknown") == []


async def test_recent_for_alert_default_limit_is_twenty(store: Store) -> None:
    """Without a limit recent_for_alert returns the 20 newest messages."""
    added = [await add(store, ts=f"1.{n:02d}") for n in range(22)]
    recent = await store.alerts.recent_for_alert("alert-1")
    assert [r.id for r in recent] == [r.id for r in reversed(added)][:20]


# Claims


async def test_claim_returns_the_claimed_record(store: Store) -> None:
    """A successful claim returns the record as written: pending fields set, status kept, version bumped."""
    record = await add(store)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    assert (claimed.pending_action, claimed.pending_by) == ("resolve", "U1")
    assert_utc(claimed.pending_since)
    assert claimed.status is AlertStatus.TRIGGERED
    assert (claimed.status_by, claimed.status_via, claimed.status_at) == (None, None, None)
    assert claimed.version == record.version + 1
    assert await store.alerts.get(record.id) == claimed


async def test_exactly_one_of_many_concurrent_claims_wins(store: Store) -> None:
    """Of 20 simultaneous claims on one record exactly one succeeds, and the record names its user."""
    record = await add(store)
    users = [f"U{n:02d}" for n in range(20)]
    results = await asyncio.gather(
        *(store.alerts.claim(record.id, action="resolve", user=u, allowed_from=RESOLVE_FROM) for u in users)
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    winner = winners[0]
    assert winner.pending_by == users[results.index(winner)]
    assert winner.version == record.version + 1
    assert await store.alerts.get(record.id) == winner


async def test_claimed_record_cannot_be_claimed_again(store: Store) -> None:
    """A fresh claim blocks a second one, which changes nothing."""
    record = await add(store)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    assert await store.alerts.claim(record.id, action="acknowledge", user="U2", allowed_from=ACKNOWLEDGE_FROM) is None
    assert await store.alerts.get(record.id) == claimed


@pytest.mark.parametrize("status", [AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED])
async def test_acknowledge_claim_refused_unless_triggered(store: Store, status: AlertStatus) -> None:
    """An acknowledge claim is refused on an acknowledged or resolved alert, leaving the record untouched."""
    record = await moved_to(store, await add(store), status)
    assert await store.alerts.claim(record.id, action="acknowledge", user="U2", allowed_from=ACKNOWLEDGE_FROM) is None
    assert await store.alerts.get(record.id) == record


async def test_resolve_claim_refused_when_resolved(store: Store) -> None:
    """A resolve claim is refused on a resolved alert, leaving the record untouched."""
    record = await moved_to(store, await add(store), AlertStatus.RESOLVED)
    assert await store.alerts.claim(record.id, action="resolve", user="U2", allowed_from=RESOLVE_FROM) is None
    assert await store.alerts.get(record.id) == record


async def test_resolve_claim_allowed_when_acknowledged(store: Store) -> None:
    """An acknowledged alert can still be claimed for resolving."""
    record = await moved_to(store, await add(store), AlertStatus.ACKNOWLEDGED)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U2", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    assert claimed.status is AlertStatus.ACKNOWLEDGED and claimed.pending_action == "resolve"


async def test_claim_on_unknown_record_is_none(store: Store) -> None:
    """Claiming an id that does not exist is refused rather than raising."""
    assert await store.alerts.claim(12345, action="resolve", user="U1", allowed_from=RESOLVE_FROM) is None


async def test_stale_claim_can_be_taken_over(store: Store) -> None:
    """A claim older than STALE_CLAIM (its process crashed) is taken over; a younger one is not."""
    record = await add(store)
    assert await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    await age_claim(store, record.id, STALE_CLAIM - timedelta(seconds=10))
    assert await store.alerts.claim(record.id, action="acknowledge", user="U2", allowed_from=ACKNOWLEDGE_FROM) is None
    await age_claim(store, record.id, STALE_CLAIM + timedelta(seconds=1))
    taken = await store.alerts.claim(record.id, action="acknowledge", user="U2", allowed_from=ACKNOWLEDGE_FROM)
    assert taken is not None
    assert (taken.pending_action, taken.pending_by) == ("acknowledge", "U2")
    assert_utc(taken.pending_since)
    assert taken.version == record.version + 2
    assert await store.alerts.get(record.id) == taken


async def test_stale_claim_takeover_still_respects_allowed_from(store: Store) -> None:
    """Even a stale claim is only taken over from an allowed state."""
    record = await moved_to(store, await add(store), AlertStatus.ACKNOWLEDGED)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    await age_claim(store, record.id, STALE_CLAIM + timedelta(seconds=1))
    before = await store.alerts.get(record.id)
    assert await store.alerts.claim(record.id, action="acknowledge", user="U2", allowed_from=ACKNOWLEDGE_FROM) is None
    assert await store.alerts.get(record.id) == before


async def test_release_with_current_version_clears_the_claim(store: Store) -> None:
    """release with the claim's version drops the in-flight mark, bumps the version, and lets a new claim in."""
    record = await add(store)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    released = await store.alerts.release(record.id, expect_version=claimed.version)
    assert released is not None
    assert (released.pending_action, released.pending_by, released.pending_since) == (None, None, None)
    assert released.status is AlertStatus.TRIGGERED
    assert released.version == claimed.version + 1
    assert await store.alerts.get(record.id) == released
    assert await store.alerts.claim(record.id, action="resolve", user="U2", allowed_from=RESOLVE_FROM) is not None


async def test_release_with_stale_version_does_nothing(store: Store) -> None:
    """release after the record changed since the claim answers None and keeps the newer claim."""
    record = await add(store)
    first = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert first is not None
    await age_claim(store, record.id, STALE_CLAIM + timedelta(seconds=1))
    second = await store.alerts.claim(record.id, action="resolve", user="U2", allowed_from=RESOLVE_FROM)
    assert second is not None
    assert await store.alerts.release(record.id, expect_version=first.version) is None
    assert await store.alerts.get(record.id) == second


async def test_release_unknown_record_is_none(store: Store) -> None:
    """Releasing an id that does not exist answers None."""
    assert await store.alerts.release(12345, expect_version=0) is None


async def test_release_stale_releases_only_old_claims(store: Store) -> None:
    """release_stale clears claims older than STALE_CLAIM, returns those records, and leaves the rest alone."""
    stale = await add(store, ts="1.1")
    fresh = await add(store, ts="1.2")
    unclaimed = await add(store, ts="1.3")
    for record in (stale, fresh):
        assert await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    await age_claim(store, stale.id, STALE_CLAIM + timedelta(seconds=1))
    fresh_claimed = await store.alerts.get(fresh.id)

    released = await store.alerts.release_stale()
    assert len(released) == 1
    assert released[0].id == stale.id
    assert (released[0].pending_action, released[0].pending_by, released[0].pending_since) == (None, None, None)
    assert released[0].status is AlertStatus.TRIGGERED
    assert released[0].version == stale.version + 2
    assert await store.alerts.get(stale.id) == released[0]
    assert await store.alerts.get(fresh.id) == fresh_claimed
    assert await store.alerts.get(unclaimed.id) == unclaimed
    assert await store.alerts.release_stale() == []


# Transitions and incident


async def test_transition_from_allowed_state_records_who_how_when(store: Store) -> None:
    """transition stores status/by/via/at, clears the claim, and bumps the version."""
    record = await add(store, incident_id="inc-9")
    claimed = await store.alerts.claim(record.id, action="acknowledge", user="U1", allowed_from=ACKNOWLEDGE_FROM)
    assert claimed is not None
    acked = await store.alerts.transition(
        record.id,
        AlertStatus.ACKNOWLEDGED,
        by="U1",
        via="button",
        allowed_from=ACKNOWLEDGE_FROM,
        expect_version=claimed.version,
    )
    assert acked is not None
    assert (acked.status, acked.status_by, acked.status_via) == (AlertStatus.ACKNOWLEDGED, "U1", "button")
    assert acked.incident_id == "inc-9"
    assert_utc(acked.status_at)
    assert (acked.pending_action, acked.pending_by, acked.pending_since) == (None, None, None)
    assert acked.version == claimed.version + 1
    assert await store.alerts.get(record.id) == acked

    resolved = await store.alerts.transition(
        record.id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from=RESOLVE_FROM
    )
    assert resolved is not None
    assert (resolved.status, resolved.status_by, resolved.status_via) == (AlertStatus.RESOLVED, None, "coralogix")
    assert resolved.incident_id == "inc-9"
    assert resolved.status_at is not None and acked.status_at is not None
    assert resolved.status_at >= acked.status_at
    assert resolved.version == acked.version + 1
    assert await store.alerts.by_incident("inc-9") == [resolved]


async def test_transition_from_disallowed_state_changes_nothing(store: Store) -> None:
    """A late acknowledge after the alert was resolved answers None and never reopens it."""
    record = await moved_to(store, await add(store), AlertStatus.RESOLVED)
    late = await store.alerts.transition(
        record.id, AlertStatus.ACKNOWLEDGED, by="U1", via="button", allowed_from=ACKNOWLEDGE_FROM
    )
    assert late is None
    assert await store.alerts.get(record.id) == record


async def test_transition_with_expect_version_fails_after_a_notification(store: Store) -> None:
    """A claimed resolve loses when a notification resolved the alert meanwhile; the notification's state stays."""
    record = await add(store)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    notified = await store.alerts.transition(
        record.id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from=RESOLVE_FROM
    )
    assert notified is not None and notified.pending_action is None
    mine = await store.alerts.transition(
        record.id,
        AlertStatus.RESOLVED,
        by="U1",
        via="button",
        allowed_from={*RESOLVE_FROM, AlertStatus.RESOLVED},
        expect_version=claimed.version,
    )
    assert mine is None
    assert await store.alerts.get(record.id) == notified


async def test_transition_with_expect_version_fails_after_any_update(store: Store) -> None:
    """Even an update that leaves the status alone (binding an incident) makes an old expect_version fail."""
    record = await add(store)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    bound = await store.alerts.set_incident(record.id, "inc-3")
    assert bound is not None and bound.pending_action == "resolve"
    stale = await store.alerts.transition(
        record.id,
        AlertStatus.RESOLVED,
        by="U1",
        via="button",
        allowed_from=RESOLVE_FROM,
        expect_version=claimed.version,
    )
    assert stale is None
    assert await store.alerts.get(record.id) == bound


async def test_exactly_one_of_many_concurrent_transitions_wins(store: Store) -> None:
    """Of 10 simultaneous TRIGGERED -> RESOLVED transitions exactly one succeeds."""
    record = await add(store)
    users = [f"U{n}" for n in range(10)]
    results = await asyncio.gather(
        *(
            store.alerts.transition(
                record.id, AlertStatus.RESOLVED, by=u, via="button", allowed_from={AlertStatus.TRIGGERED}
            )
            for u in users
        )
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    winner = winners[0]
    assert winner.status is AlertStatus.RESOLVED and winner.status_by == users[results.index(winner)]
    assert winner.version == record.version + 1
    assert await store.alerts.get(record.id) == winner


async def test_transition_unknown_record_is_none(store: Store) -> None:
    """transition on an id that does not exist answers None."""
    result = await store.alerts.transition(
        12345, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from=RESOLVE_FROM
    )
    assert result is None


async def test_set_incident_binds_and_bumps_version(store: Store) -> None:
    """set_incident binds the message to the incident without touching its status or claim."""
    record = await add(store)
    claimed = await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    assert claimed is not None
    bound = await store.alerts.set_incident(record.id, "inc-7")
    assert bound is not None
    assert bound.incident_id == "inc-7" and bound.status is AlertStatus.TRIGGERED
    assert (bound.pending_action, bound.pending_by) == ("resolve", "U1")
    assert bound.version == claimed.version + 1
    assert await store.alerts.by_incident("inc-7") == [bound]
    assert await store.alerts.set_incident(12345, "inc-7") is None


async def test_concurrent_set_incident_each_bump_the_version(store: Store) -> None:
    """Simultaneous set_incident calls lose none of their version bumps (SQLite included)."""
    record = await add(store)
    n = 10
    results = await asyncio.gather(*(store.alerts.set_incident(record.id, f"inc-{i}") for i in range(n)))
    v = record.version
    assert sorted(r.version for r in results if r is not None) == list(range(v + 1, v + n + 1))
    stored = await store.alerts.get(record.id)
    assert stored is not None and stored.version == v + n
    assert stored.incident_id in {f"inc-{i}" for i in range(n)}


# Processed events


async def test_first_time_is_true_once_per_event(store: Store) -> None:
    """first_time answers True for a new event id and False for every repeat."""
    assert await store.first_time("Ev1")
    assert not await store.first_time("Ev1")
    assert not await store.first_time("Ev1")
    assert await store.first_time("Ev2")


async def test_first_time_concurrent_repeats_pass_once(store: Store) -> None:
    """Of 10 simultaneous deliveries of one event exactly one is processed."""
    results = await asyncio.gather(*(store.first_time("EvSame") for _ in range(10)))
    assert results.count(True) == 1


async def test_first_time_forgets_events_older_than_memory(store: Store) -> None:
    """Event ids older than EVENT_MEMORY are purged, so they would count as new again."""
    async with store.engine.begin() as connection:
        await connection.execute(
            insert(ProcessedEventRow).values(
                event_id="EvOld", seen_at=datetime.now(UTC) - EVENT_MEMORY - timedelta(minutes=1)
            )
        )
    assert await store.first_time("EvNew")
    async with store.engine.connect() as connection:
        remaining = (await connection.execute(select(func.count()).select_from(ProcessedEventRow))).scalar()
    assert remaining == 1
    assert await store.first_time("EvOld")


# Datetimes


async def test_datetimes_come_back_timezone_aware(store: Store) -> None:
    """created_at, status_at and pending_since read back as aware UTC datetimes, unchanged."""
    record = await add(store, incident_id="inc-1")
    acked = await moved_to(store, record, AlertStatus.ACKNOWLEDGED)
    assert await store.alerts.claim(record.id, action="resolve", user="U1", allowed_from=RESOLVE_FROM)
    read_back = [
        await store.alerts.get(record.id),
        await store.alerts.by_message(record.channel, record.ts or ""),
        *await store.alerts.recent_for_alert(record.alert_id),
        *await store.alerts.by_incident("inc-1"),
    ]
    assert len(read_back) == 4
    for stored in read_back:
        assert stored is not None
        assert_utc(stored.created_at)
        assert_utc(stored.status_at)
        assert_utc(stored.pending_since)
        assert stored.created_at == record.created_at
        assert stored.status_at == acked.status_at


# URLs (pure functions: no database involved, so not run per database)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/bot", "postgresql+asyncpg://u:p@db.example:5432/bot"),
        ("postgresql://u@db.example/bot", "postgresql+asyncpg://u@db.example/bot"),
        ("postgresql+asyncpg://u@db.example/bot", "postgresql+asyncpg://u@db.example/bot"),
        ("sqlite:///coralogix-bot.sqlite3", "sqlite+aiosqlite:///coralogix-bot.sqlite3"),
        ("sqlite:////var/lib/bot/bot.sqlite3", "sqlite+aiosqlite:////var/lib/bot/bot.sqlite3"),
        ("sqlite+aiosqlite:///x.sqlite3", "sqlite+aiosqlite:///x.sqlite3"),
    ],
)
def test_normalise_database_url_picks_async_driver(given: str, expected: str) -> None:
    """postgres:// and postgresql:// map to asyncpg, sqlite:// to aiosqlite; async URLs are kept."""
    assert normalise_database_url(given) == expected


async def test_store_repr_hides_the_password() -> None:
    """repr(Store) shows where the database is but never its password."""
    engine = create_async_engine("postgresql+asyncpg://bot:s3cr3t-pw@db.example:5432/bot")
    try:
        shown = repr(Store(engine))
    finally:
        await engine.dispose()
    assert "s3cr3t-pw" not in shown
    assert "bot:***@db.example:5432/bot" in shown


async def test_two_processes_starting_together_migrate_once(database_url: str) -> None:
    """Two bots opening the same empty database at once both start, and alembic_version holds one row."""
    first, second = await asyncio.gather(Store.open(database_url), Store.open(database_url))
    try:
        async with first.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT count(*) FROM alembic_version"))).scalar()
            revision = await connection.run_sync(current_revision)
        assert rows == 1
        assert revision == head_revision()
    finally:
        await first.close()
        await second.close()


async def test_alert_urls_keep_the_newest_link_slack_accepts(store: Store) -> None:
    """Per incident the newest usable alert_url wins; a newer unusable one never hides an older good one."""
    good, newer_good = "https://t.coralogix.com/#/alerts/1", "https://t.coralogix.com/#/alerts/2"
    await add(store, ts="1.1", incident_id="inc-a", notification={**NOTIFICATION, "alert_url": good})
    bad = {**NOTIFICATION, "alert_url": "https://t/a b"}
    await add(store, ts="1.2", incident_id="inc-a", notification=bad, channel="C0OTHER")
    await add(store, ts="1.3", incident_id="inc-b", notification={**NOTIFICATION, "alert_url": good})
    newer = {**NOTIFICATION, "alert_url": newer_good}
    await add(store, ts="1.4", incident_id="inc-b", notification=newer, channel="C0OTHER")
    await add(store, ts="1.5", incident_id="inc-c", notification={**NOTIFICATION, "alert_url": "javascript:x"})
    assert await store.alerts.alert_urls(["inc-a", "inc-b", "inc-c", "inc-d"]) == {"inc-a": good, "inc-b": newer_good}
