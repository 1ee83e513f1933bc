"""The Slack side of storm mode: the storm message, posted once and then updated, through the writer."""

from __future__ import annotations

from datetime import datetime

from bot.formatters.storm import storm_message
from bot.slack_writes import Priority, SlackWriter
from bot.store import AlertRecord
from bot.store.tables import StormRecord


class SlackStormPublisher:
    """Implements `bot.services.storms.StormPublisher` with chat.postMessage and chat.update (background
    priority: people's clicks and answers go first)."""

    def __init__(self, writer: SlackWriter) -> None:
        self.writer = writer

    async def show(self, storm: StormRecord, members: list[AlertRecord], *, now: datetime) -> str:
        """Post the storm message, or update it; its ts. A failed post or update raises (the chore logs it
        and tries again after the render interval)."""
        message = storm_message(storm, members, now=now)
        if storm.ts is None:
            answer = await self.writer.post(
                storm.channel, priority=Priority.BACKGROUND, text=message.text, blocks=message.blocks
            )
            return str(answer["ts"])
        # A failed update raises too: the chore tries again after the render interval, so the
        # message never keeps a stale count or misses its "over" (see StormService.tick).
        await self.writer.update(
            storm.channel, storm.ts, priority=Priority.BACKGROUND, text=message.text, blocks=message.blocks
        )
        return storm.ts
