"""StormService on a real store with a recording publisher: when a storm starts, renders, and ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.services.storms import POST_HOLD, StormService
from bot.store import AlertRecord, Store
from bot.store.tables import StormRecord
from tests.factories import uuid


@dataclass
class Shown:
    """A publisher that records what it was asked to show."""

    calls: list[tuple[int, int, bool]] = field(default_factory=list)  # storm id, alerts, over

    async def show(self, storm: StormRecord, members: list[AlertRecord], *, now: datetime) -> str:
        """Record; the ts is the storm id."""
        self.calls.append((storm.id, len(members), storm.ended_at is not None))
        return f"1.{storm.id}"


@dataclass
class Refusing(Shown):
    """A publisher whose Slack refuses the first `failures` posts."""

    failures: int = 1
    first_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when the first post was tried

    async def show(self, storm: StormRecord, members: list[AlertRecord], *, now: datetime) -> str:
        """Fail, then record."""
        if self.failures:
            self.first_at = now
            self.failures -= 1
            raise RuntimeError("channel_not_found")
        return await super().show(storm, members, now=now)


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


async def reserve(store: Store, n: int) -> AlertRecord:
    """A new alert reserved in C0ALERTS (as a notification job does before posting)."""
    record, _ = await store.alerts.reserve(
        channel="C0ALERTS",
        alert_id=f"a{n}",
        group_by=None,
        incident_id=uuid(n),
        notification={"alert_id": f"a{n}", "alert_name": "x"},
        job_id=None,
    )
    return record


async def test_more_than_threshold_alerts_start_a_storm_and_later_ones_join(store: Store) -> None:
    """Alerts up to the threshold are posted; the next starts a storm; the rest join it."""
    service = StormService(store.storms, Shown(), threshold=3)
    admitted = [await service.admit(await reserve(store, n)) for n in range(6)]
    assert admitted == [False, False, False, True, True, True]


async def test_threshold_zero_turns_storms_off(store: Store) -> None:
    """STORM_THRESHOLD=0: every alert gets its own message."""
    service = StormService(store.storms, Shown(), threshold=0)
    assert not any([await service.admit(await reserve(store, n)) for n in range(20)])


async def test_tick_renders_at_once_then_at_most_every_interval_and_ends_quiet_storms(store: Store) -> None:
    """A new storm shows at once; changes wait for the interval; quiet for STORM_QUIET ends it, shown at once."""
    shown, clock = Shown(), Clock()
    service = StormService(store.storms, shown, threshold=1, quiet=300, render_every=5, clock=clock)
    for n in range(3):
        await service.admit(await reserve(store, n))
    assert await service.tick() == 1
    await service.admit(await reserve(store, 3))
    assert await service.tick() == 0  # changed, but shown less than 5 s ago
    clock.now += timedelta(seconds=6)
    assert await service.tick() == 1
    assert await service.tick() == 0  # nothing changed
    clock.now += timedelta(seconds=301)
    assert await service.tick() == 1
    assert shown.calls == [(1, 3, False), (1, 4, False), (1, 4, True)]


async def test_a_first_post_slack_refuses_is_tried_again_after_the_render_interval_not_every_look(
    store: Store,
) -> None:
    """A failed first post is logged and tried again once the render interval has passed (not the whole
    hold a poster that died mid-post leaves), and not at every look."""
    shown, clock = Refusing(), Clock()
    service = StormService(store.storms, shown, threshold=1, render_every=5, clock=clock)
    for n in range(3):
        await service.admit(await reserve(store, n))
    assert await service.tick() == 0
    assert await service.tick() == 0
    clock.now += timedelta(seconds=4)
    assert await service.tick() == 0  # within the interval: not tried again
    clock.now += timedelta(seconds=2)
    assert await service.tick() == 1
    assert clock.now - shown.first_at < POST_HOLD
    assert shown.calls == [(1, 3, False)]
