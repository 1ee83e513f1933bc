"""Posting a summary where the user asked for it, never losing it when Slack refuses."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UpstreamError, record_failure
from bot.formatters.common import Message
from bot.formatters.usage import not_in_channel_text
from bot.services import Outcome, ResolveReport

logger = logging.getLogger(__name__)

# chat.postMessage errors after which telling the user how to invite the bot helps.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


async def post_in_channel(
    client: AsyncWebClient, respond: AsyncRespond, channel: str, message: Message, *, bot_user_id: str | None
) -> None:
    """Post with chat.postMessage; when that fails for any reason, go through response_url (which
    works in any channel), text-only if the blocks are refused. The report is never lost silently."""
    try:
        await client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
        return
    except SlackApiError as e:
        error = str(e.response.get("error"))
    except (aiohttp.ClientError, TimeoutError) as e:
        error = type(e).__name__
    logger.info("chat.postMessage to %s failed (%s); using response_url", channel, error)
    answer = await respond(text=message.text, blocks=message.blocks, response_type="in_channel")
    if answer.status_code != 200:
        answer = await respond(text=message.text, response_type="in_channel")
    if answer.status_code != 200:
        raise UpstreamError(f"Slack refused the summary ({error}, then response_url {answer.status_code}).")
    if error in CANNOT_POST:
        await respond(text=not_in_channel_text(bot_user_id), response_type="ephemeral")


def log_failures(report: ResolveReport) -> str | None:
    """When ids failed: a new error id, logged with the first reason, for the summary to show."""
    failed = report.of(Outcome.FAILED)
    if not failed:
        return None
    what = f"resolve failed for {len(failed)} of {len(report.results)} ids (the first reason)"
    return record_failure(logger, what, failed[0].reason or "not resolved")


async def post_or_dm(
    client: AsyncWebClient, channel: str, message: Message, *, user: str, thread_ts: str | None = None
) -> None:
    """Post in `channel` (in a thread when given); where the bot may not post, send it to `user` by DM.

    For surfaces without a response_url (modals): the app's DM with the user always works.
    """
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
        return
    except SlackApiError as e:
        logger.info("cannot post in %s (%s); sending the summary by DM", channel, e.response.get("error"))
    await client.chat_postMessage(channel=user, text=message.text, blocks=message.blocks)
