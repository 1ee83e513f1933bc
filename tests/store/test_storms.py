"""The storms table on SQLite and PostgreSQL: one open storm per channel, its alerts, its render state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import AlertRecord, AlertStatus, Store
from bot.store.case_messages import CaseMessages
from tests.factories import posted_alert, uuid


@pytest.fixture
async def store(migrated_database_url: str) -> AsyncIterator[Store]:
    """A store on a migrated database whose tables are empty, closed afterwards."""
    opened = await Store.open(migrated_database_url)
    try:
        yield opened
    finally:
        await opened.close()


async def alert(store: Store, n: int, channel: str = "C0ALERTS") -> AlertRecord:
    """Alert `n` in `channel`, posted."""
    return await posted_alert(store.alerts, channel=channel, ts=f"17000000{n:02d}.0001", incident_id=uuid(n))


async def test_join_starts_one_storm_and_takes_in_the_channels_recent_alerts(store: Store) -> None:
    """The first join starts the storm with every alert of the window; other channels stay out."""
    now = datetime.now(UTC)
    earlier = [await alert(store, n) for n in range(3)]
    elsewhere = await alert(store, 9, channel="C0OTHER")
    storm = await store.storms.join(earlier[-1].id, "C0ALERTS", now=now, since=now - timedelta(seconds=60))
    members = await store.storms.members(storm.id)
    assert [m.id for m in members] == [e.id for e in earlier]
    assert (await store.alerts.get(elsewhere.id)).storm_id is None  # type: ignore[union-attr]
    assert await store.storms.recent_count("C0ALERTS", now - timedelta(seconds=60)) == 3
    assert (await store.storms.open_in("C0ALERTS")) is not None
    assert await store.storms.open_in("C0OTHER") is None


async def test_case_messages_neither_count_nor_join(store: Store) -> None:
    """Case messages share the table but are not alerts: they do not count toward a storm, nor join one."""
    now = datetime.now(UTC)
    cases = CaseMessages(store.engine)
    for n in range(3):
        await cases.reserve_case(
            channel="C0ALERTS",
            case_id=f"CASE-{n}",
            uuid=uuid(50 + n),
            status=AlertStatus.TRIGGERED,
            notification={},
            job_id=None,
        )
    record = await alert(store, 0)
    assert await store.storms.recent_count("C0ALERTS", now - timedelta(seconds=60)) == 1
    storm = await store.storms.join(record.id, "C0ALERTS", now=now, since=now - timedelta(seconds=60))
    assert [m.id for m in await store.storms.members(storm.id)] == [record.id]


async def test_racing_joins_share_one_open_storm(store: Store) -> None:
    """Ten alerts joining at once end up in one storm: the database allows one open storm per channel."""
    now = datetime.now(UTC)
    records = [await alert(store, n) for n in range(10)]
    joined = await asyncio.gather(
        *(store.storms.join(r.id, "C0ALERTS", now=now, since=now - timedelta(seconds=60)) for r in records)
    )
    assert len({s.id for s in joined}) == 1
    assert await store.storms.member_count(joined[0].id) == 10


async def test_render_state_active_and_rendered(store: Store) -> None:
    """An open storm is active, shown or not; an ended one only until it is shown as ended."""
    now = datetime.now(UTC)
    record = await alert(store, 0)
    storm = await store.storms.join(record.id, "C0ALERTS", now=now, since=now)
    (active,) = await store.storms.active()
    assert active.version > active.rendered_version
    await store.storms.rendered(storm.id, version=active.version, ts="1.1", at=now)
    await store.storms.touch(storm.id)
    (touched,) = await store.storms.active()
    assert (touched.ts, touched.rendered_version, touched.version) == ("1.1", active.version, active.version + 1)
    assert await store.storms.end(storm.id, now=now, last_alert_before=now + timedelta(seconds=1))
    (ended,) = await store.storms.active()
    await store.storms.rendered(storm.id, version=ended.version, ts="1.1", at=now)
    assert await store.storms.active() == []


async def test_a_quiet_storm_ends_and_the_next_alert_starts_a_new_one(store: Store) -> None:
    """End only while still quiet; afterwards the channel's next storm is a new row."""
    then = datetime.now(UTC) - timedelta(minutes=10)
    first = await store.storms.join((await alert(store, 0)).id, "C0ALERTS", now=then, since=then)
    now = datetime.now(UTC)
    assert not await store.storms.end(first.id, now=now, last_alert_before=then)  # not quiet by that measure
    assert await store.storms.end(first.id, now=now, last_alert_before=now - timedelta(minutes=5))
    ended = await store.storms.get(first.id)
    assert ended is not None and ended.ended_at is not None
    assert await store.storms.open_in("C0ALERTS") is None
    second = await store.storms.join((await alert(store, 1)).id, "C0ALERTS", now=now, since=now)
    assert second.id != first.id
    assert await store.storms.prune(now + timedelta(seconds=1)) == 1  # the ended one; the open one stays
    assert await store.storms.get(first.id) is None
    assert await store.storms.get(second.id) is not None


async def test_resolvable_is_pinned_to_the_alerts_shown_and_open_then(store: Store) -> None:
    """Resolve all's ids: members up to the newest shown, open when shown (resolved since: still included)."""
    now = datetime.now(UTC)
    records = [await alert(store, n) for n in range(4)]
    storm = await store.storms.join(records[0].id, "C0ALERTS", now=now, since=now - timedelta(seconds=60))
    resolved_before = await store.alerts.transition(
        records[0].id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from={AlertStatus.TRIGGERED}
    )
    assert resolved_before is not None
    shown_at = datetime.now(UTC) + timedelta(milliseconds=1)
    await asyncio.sleep(0.01)
    await store.alerts.transition(
        records[1].id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from={AlertStatus.TRIGGERED}
    )
    ids = await store.storms.resolvable(storm.id, upto=records[2].id, shown_at=shown_at)
    assert ids == [uuid(1), uuid(2)]


async def test_only_one_process_may_post_a_storms_first_message(store: Store) -> None:
    """Racing claims to post: one wins; the claim is free again only after the hold, and never once posted."""
    now = datetime.now(UTC)
    storm = await store.storms.join((await alert(store, 0)).id, "C0ALERTS", now=now, since=now)
    hold = timedelta(seconds=30)
    won = await asyncio.gather(*(store.storms.claim_post(storm.id, at=now, hold=hold) for _ in range(5)))
    assert sorted(won) == [False, False, False, False, True]
    assert not await store.storms.claim_post(storm.id, at=now + timedelta(seconds=10), hold=hold)
    assert await store.storms.claim_post(storm.id, at=now + timedelta(seconds=31), hold=hold)
    await store.storms.rendered(storm.id, version=1, ts="1.1", at=now)
    assert not await store.storms.claim_post(storm.id, at=now + timedelta(minutes=5), hold=hold)


async def test_a_storm_is_found_by_its_message_with_its_open_incidents_counted(store: Store) -> None:
    """by_message finds the storm whose message starts a thread; open_incidents counts its open alerts' incidents."""
    now = datetime.now(UTC)
    records = [await alert(store, n) for n in range(3)]
    storm = await store.storms.join(records[0].id, "C0ALERTS", now=now, since=now - timedelta(seconds=60))
    await store.storms.rendered(storm.id, version=1, ts="1700009999.0001", at=now)
    await store.alerts.transition(
        records[0].id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from={AlertStatus.TRIGGERED}
    )
    found = await store.storms.by_message("C0ALERTS", "1700009999.0001")
    assert found is not None and found.id == storm.id
    assert await store.storms.by_message("C0OTHER", "1700009999.0001") is None
    assert await store.storms.open_incidents(storm.id) == 2
