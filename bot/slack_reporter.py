"""Where the answer to an action goes in Slack, decided by the surface it came from.

A summary of a command or the picker goes into its channel (chat.postMessage, else the
response_url while Slack still takes it, else the person's DM); the shortcut's into the message's
thread; a click or a thread mention gets a word only when something is wrong or someone else was
first; App Home is published again with a notice. A resumed action (after a crash or a deploy)
takes the same routes: the response_url only while it is valid (30 minutes).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.errors import UpstreamError
from bot.formatters.common import Message, escape
from bot.formatters.outcomes import click_answer, error_line, home_notice, refused_answer
from bot.formatters.summary import incident_name, summary_message
from bot.formatters.usage import not_in_channel_text
from bot.services.actions import Action, Outcome, Report, Surface
from bot.slack_home import HomePublisher
from bot.slack_writes import SlackWriter

logger = logging.getLogger(__name__)

# chat.postMessage errors after which telling the user how to invite the bot helps.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


class SlackReporter:
    """Implements `bot.services.pipeline.Reporter` with the Web API and response_urls."""

    def __init__(self, writer: SlackWriter, home: HomePublisher, *, bot_user_id: str | None = None) -> None:
        self.writer = writer
        self.home = home
        self.bot_user_id = bot_user_id

    async def tell(self, action: Action, report: Report) -> None:
        """Give the person the one answer to their action, where they asked."""
        if action.surface is Surface.HOME:
            first = report.results[0] if report.results else None
            name = incident_name(first.incident, first.id) if first else ""
            unchanged = first is not None and first.outcome is Outcome.REFUSED
            await self.home.publish(action.user, notice=home_notice(report, name), unchanged=unchanged)
            return
        if action.surface in (Surface.BUTTON, Surface.THREAD):
            text = click_answer(action.verb, report)
            if text is None:
                return
            if action.surface is Surface.THREAD and action.channel:
                await self.writer.post(action.channel, thread_ts=action.thread_ts, text=text)
            else:  # an ephemeral line beside the message; the response_url's few uses are kept
                await self._privately(action, text, response_url_first=False)
            return
        if report.problem is not None:  # nothing could be done at all: only the person hears it
            text = f":warning: Could not resolve: {escape(report.problem)}{error_line(report.error_id)}"
            await self._privately(action, text, response_url_first=True)
            return
        if refused := refused_answer(action.verb, report):  # nothing allowed: nothing for the channel either
            await self._privately(action, refused, response_url_first=True)
            return
        message = summary_message(report, user_id=action.user, at=datetime.now(UTC), note=action.note)
        if action.surface is Surface.SHORTCUT:
            await self._post_or_dm(action, message, thread_ts=action.thread_ts)
        else:
            await self._in_channel(action, message)

    async def _in_channel(self, action: Action, message: Message) -> None:
        """chat.postMessage; when that fails, the response_url (which works in any channel, text-only if
        the blocks are refused) while it is valid; else the person's DM. Never lost silently."""
        try:
            await self.writer.post(action.channel or action.user, text=message.text, blocks=message.blocks)
            return
        except SlackApiError as e:
            error = str(e.response.get("error"))
        except (aiohttp.ClientError, TimeoutError) as e:
            error = type(e).__name__
        if not action.response_url_valid():
            logger.info("chat.postMessage to %s failed (%s); sending the summary by DM", action.channel, error)
            await self.writer.post(action.user, text=message.text, blocks=message.blocks)
            return
        logger.info("chat.postMessage to %s failed (%s); using response_url", action.channel, error)
        url = action.response_url or ""
        status = await self.writer.respond(url, text=message.text, blocks=message.blocks, response_type="in_channel")
        if status != 200:
            status = await self.writer.respond(url, text=message.text, response_type="in_channel")
        if status != 200:
            raise UpstreamError(f"Slack refused the summary ({error}, then response_url {status}).")
        if error in CANNOT_POST:
            await self.writer.respond(url, text=not_in_channel_text(self.bot_user_id), response_type="ephemeral")

    async def _post_or_dm(self, action: Action, message: Message, *, thread_ts: str | None) -> None:
        """Post in the channel (in a thread when given); where the bot may not post, by DM."""
        try:
            await self.writer.post(
                action.channel or action.user, thread_ts=thread_ts, text=message.text, blocks=message.blocks
            )
            return
        except SlackApiError as e:
            logger.info("cannot post in %s (%s); sending the summary by DM", action.channel, e.response.get("error"))
        await self.writer.post(action.user, text=message.text, blocks=message.blocks)

    async def _privately(self, action: Action, text: str, *, response_url_first: bool) -> None:
        """Only to the person: the response_url while valid, else ephemeral in the channel, else by DM."""
        if response_url_first and action.response_url_valid():
            url = action.response_url or ""
            if await self.writer.respond(url, text=text, response_type="ephemeral", replace_original=False) == 200:
                return
        if action.channel:
            try:
                await self.writer.ephemeral(action.channel, action.user, text=text)
                return
            except SlackApiError as e:
                logger.info("cannot answer in %s (%s); by DM instead", action.channel, e.response.get("error"))
        await self.writer.post(action.user, text=text)
