"""The Slack side of storm mode: the storm message, posted once and then updated, through the writer."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.formatters.storm import storm_message
from bot.slack_writes import Priority, SlackWriter
from bot.store import AlertRecord
from bot.store.tables import StormRecord

logger = logging.getLogger(__name__)


class SlackStormPublisher:
    """Implements `bot.services.storms.StormPublisher` with chat.postMessage and chat.update (background
    priority: people's clicks and answers go first)."""

    def __init__(self, writer: SlackWriter) -> None:
        self.writer = writer

    async def show(self, storm: StormRecord, members: list[AlertRecord], *, now: datetime) -> str:
        """Post the storm message, or update it; its ts. A failed update is logged and tried again at the
        next change; a failed post raises (the chore logs it and posts at its next round)."""
        message = storm_message(storm, members, now=now)
        if storm.ts is None:
            answer = await self.writer.post(
                storm.channel, priority=Priority.BACKGROUND, text=message.text, blocks=message.blocks
            )
            return str(answer["ts"])
        try:
            await self.writer.update(
                storm.channel, storm.ts, priority=Priority.BACKGROUND, text=message.text, blocks=message.blocks
            )
        except SlackApiError as e:
            logger.warning("could not update storm message %s/%s: %s", storm.channel, storm.ts, e.response.get("error"))
        return storm.ts
