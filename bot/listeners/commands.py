"""`/resolve-incident`: parse, ack at once, resolve, post the summary into the channel."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import payloads
from bot.formatters.common import safe_url
from bot.formatters.summary import summary_message
from bot.formatters.usage import refusal_text, resolving_text
from bot.ids import Command
from bot.listeners.error_handler import reported
from bot.listeners.picker import open_picker
from bot.listeners.posting import log_failures, post_in_channel
from bot.parsing import parse_incident_ids
from bot.services import Services

logger = logging.getLogger(__name__)


async def resolve_incident(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    services: Services,
) -> None:
    """Resolve the ids in the command text and post a summary where the command was typed."""
    user = payloads.slack_id(command, "user_id", what="user id")
    channel = payloads.slack_id(command, "channel_id", what="channel id")
    text = (payloads.optional_text(command, "text", what="command text", limit=40_000) or "").strip()
    if not text:
        trigger_id = payloads.text(command, "trigger_id", what="trigger id")
        response_url = safe_url(command.get("response_url")) or ""
        await ack()
        await open_picker(client, services, trigger_id=trigger_id, channel=channel, response_url=response_url)
        return
    parsed = parse_incident_ids(text)
    refusal = refusal_text(parsed)
    if refusal is not None:
        await ack(text=refusal)
        return
    await ack(text=resolving_text(parsed))
    report = await services.incidents.resolve(parsed.ids)
    at = datetime.now(UTC)
    message = summary_message(report, user_id=user, at=at, error_id=log_failures(report))
    await post_in_channel(client, respond, channel, message, bot_user_id=context.bot_user_id)
    # Alert messages follow after the summary: each costs a chat.update and a thread post.
    sync = services.alerts.sync_resolved(report.results, user=user, via="command")
    services.tasks.spawn(sync, name="sync alert messages")


def register(app: AsyncApp) -> None:
    """Attach the command listeners."""
    app.command(Command.RESOLVE_INCIDENT.value)(reported(resolve_incident))
