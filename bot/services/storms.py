"""Storm mode, free of Slack: when a channel gets too many alerts at once, one message stands for them.

More than `threshold` new alerts in a channel within `window` seconds start a storm there (the
database decides, so replicas agree on one storm per channel). From then on every new alert of
the channel joins the storm, recorded like any other alert (resolvable, audited) but without a
message of its own; the alerts of the window that were posted one by one join it too and keep
their messages. A leader chore (`tick`) shows each changed storm at most once per `render_every`
seconds through the `StormPublisher` port, and ends storms quiet for `quiet` seconds (the message
then says so, with the final tally).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.store import AlertRecord
from bot.store.storms import Storms
from bot.store.tables import StormRecord

logger = logging.getLogger(__name__)

WINDOW = 60.0  # seconds in which more than `threshold` alerts make a storm
RENDER_EVERY = 5.0  # a storm's message is updated at most this often
QUIET = 300.0
# The first post of a storm message is claimed in the database for this long (another leader may
# post only when it passed without a message): a leader that died mid-post may have posted, so the
# next one waits; a post that failed here frees its claim after `render_every` (see `tick`).
POST_HOLD = timedelta(seconds=30)


class StormPublisher(Protocol):
    """What storm mode needs from Slack."""

    async def show(self, storm: StormRecord, members: list[AlertRecord], *, now: datetime) -> str:
        """Post the storm's message (no ts yet) or update it; its ts."""


class StormService:
    """Deciding storms, and keeping their messages up to date."""

    def __init__(
        self,
        storms: Storms,
        publisher: StormPublisher,
        *,
        threshold: int,
        quiet: float = QUIET,
        window: float = WINDOW,
        render_every: float = RENDER_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.storms = storms
        self.publisher = publisher
        self.threshold = threshold
        self.quiet = timedelta(seconds=quiet)
        self.window = timedelta(seconds=window)
        self.render_every = timedelta(seconds=render_every)
        self.clock = clock

    async def admit(self, record: AlertRecord) -> bool:
        """A new alert was recorded (reserved, not posted): whether a storm covers it (then it gets no
        message of its own). Off when `threshold` is 0 (storms open from before still end: see `tick`)."""
        if not self.threshold:
            return False
        now = self.clock()
        since = now - self.window
        storm = await self.storms.open_in(record.channel)
        if storm is None and await self.storms.recent_count(record.channel, since) <= self.threshold:
            return False
        storm = await self.storms.join(record.id, record.channel, now=now, since=since)
        logger.debug("alert %s joins storm %d in %s", record.alert_id, storm.id, record.channel)
        return True

    async def changed(self, storm_id: int) -> None:
        """An alert of the storm changed (resolved, acknowledged): its message shows it at the next render."""
        await self.storms.touch(storm_id)

    async def tick(self) -> int:
        """The chore: end quiet storms, then show every storm that changed (at most once per
        `render_every` each, at once when it is new or over); how many messages were written."""
        now = self.clock()
        quiet_since = now - self.quiet
        shown = 0
        for storm in await self.storms.active():
            if storm.ended_at is None and storm.last_alert_at < quiet_since:
                if not await self.storms.end(storm.id, now=now, last_alert_before=quiet_since):
                    continue  # an alert came in just now: shown at the next look
                logger.info("the alert storm in %s is over", storm.channel)
                storm = await self.storms.get(storm.id) or storm
            elif storm.version == storm.rendered_version or self._shown_lately(storm, now):
                continue
            try:
                shown += await self._show(storm, now)
            except Exception as e:  # noqa: BLE001 - one storm Slack refuses must not stop the others
                logger.warning(
                    "could not show the alert storm in %s (%s: %.200s); trying again in %.0f s",
                    storm.channel,
                    type(e).__name__,
                    e,
                    self.render_every.total_seconds(),
                )
                if storm.ts is None:  # a refused first post is tried again after the interval too
                    await self.storms.post_failed(storm.id, at=now, hold=POST_HOLD, retry_after=self.render_every)
                else:
                    await self.storms.attempted(storm.id, at=now)
        return shown

    def _shown_lately(self, storm: StormRecord, now: datetime) -> bool:
        """Shown (or tried) less than `render_every` ago: the next change waits."""
        return storm.rendered_at is not None and now - storm.rendered_at < self.render_every

    async def _show(self, storm: StormRecord, now: datetime) -> int:
        members = await self.storms.members(storm.id)
        if not members:
            return 0
        if storm.ts is None and not await self.storms.claim_post(storm.id, at=now, hold=POST_HOLD):
            return 0  # another process is posting it
        ts = await self.publisher.show(storm, members, now=now)
        await self.storms.rendered(storm.id, version=storm.version, ts=ts, at=now)
        return 1

    async def page(self, storm_id: int, page: int, size: int) -> tuple[StormRecord, list[AlertRecord], int] | None:
        """A page (from 0) of the storm's alerts, oldest first, and how many it has; None for no such storm."""
        storm = await self.storms.get(storm_id)
        if storm is None:
            return None
        members = await self.storms.members(storm_id, offset=max(page, 0) * size, limit=size)
        return storm, members, await self.storms.member_count(storm_id)

    async def resolvable(self, storm_id: int, *, upto: int, shown_at: datetime) -> tuple[StormRecord, list[str]] | None:
        """The storm and the incident ids its "Resolve all" stood for when it was shown (see `Storms.resolvable`)."""
        storm = await self.storms.get(storm_id)
        if storm is None:
            return None
        return storm, await self.storms.resolvable(storm_id, upto=upto, shown_at=shown_at)

    async def open_in_thread(self, channel: str, thread_ts: str) -> int | None:
        """How many open incidents the storm whose message starts the thread has; None: not a storm's thread."""
        storm = await self.storms.by_message(channel, thread_ts)
        return None if storm is None else await self.storms.open_incidents(storm.id)
