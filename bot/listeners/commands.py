"""`/resolve-incident`: parse, journal the action, ack at once; the pipeline resolves and posts the summary."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import payloads
from bot.formatters.common import safe_url
from bot.formatters.usage import refusal_text, resolving_text
from bot.ids import Command
from bot.listeners.error_handler import reported
from bot.listeners.picker import open_picker
from bot.listeners.submit import submit
from bot.parsing import parse_incident_ids
from bot.services import Services
from bot.services.actions import Action, Surface, Verb


async def resolve_incident(ack: AsyncAck, command: dict[str, Any], services: Services) -> None:
    """Resolve the ids in the command text (the summary goes where it was typed), or open the picker."""
    user = payloads.slack_id(command, "user_id", what="user id")
    channel = payloads.slack_id(command, "channel_id", what="channel id")
    text = (payloads.optional_text(command, "text", what="command text", limit=40_000) or "").strip()
    trigger_id = payloads.text(command, "trigger_id", what="trigger id")
    response_url = safe_url(command.get("response_url"))
    if not text:
        await ack()
        await open_picker(services, trigger_id=trigger_id, channel=channel, response_url=response_url or "")
        return
    parsed = parse_incident_ids(text)
    refusal = refusal_text(parsed)
    if refusal is not None:
        await ack(text=refusal)
        return
    action = Action(
        key=f"command:{trigger_id}",
        surface=Surface.COMMAND,
        verb=Verb.CLOSE if parsed.close else Verb.RESOLVE,
        user=user,
        team=payloads.optional_text(command, "team_id", what="team id"),
        channel=channel,
        response_url=response_url,
        ids=tuple(parsed.ids),
    )
    await ack(text=await submit(services, action) or resolving_text(parsed))


def register(app: AsyncApp) -> None:
    """Attach the command listeners."""
    app.command(Command.RESOLVE_INCIDENT.value)(reported(resolve_incident))
