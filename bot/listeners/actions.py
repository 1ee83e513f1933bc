"""Buttons on alert messages: ack at once, then act through the alert service (which guards double clicks)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import payloads
from bot.formatters.replies import outcome_text
from bot.ids import ActionId
from bot.listeners.error_handler import reported
from bot.services import Services
from bot.services.alerts import Action


async def _act(action: Action, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    channel = payloads.slack_id(body, "channel", "id", what="channel id")
    user = payloads.slack_id(body, "user", "id", what="user id")
    ts = payloads.optional_text(body, "container", "message_ts", what="message timestamp")
    ts = ts or payloads.text(body, "message", "ts", what="message timestamp")
    await ack()
    outcome = await services.alerts.act(channel=channel, ts=ts, action=action, user=user, via="button")
    text = outcome_text(outcome, action.value)
    if text:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)


async def resolve_clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    """The Resolve button (after its confirm dialog)."""
    await _act(Action.RESOLVE, ack, body, client, services)


async def acknowledge_clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    """The Acknowledge button."""
    await _act(Action.ACKNOWLEDGE, ack, body, client, services)


async def open_clicked(ack: AsyncAck) -> None:
    """The Open-in-Coralogix link button: Slack opens the URL; the request only needs an ack."""
    await ack()


def register(app: AsyncApp) -> None:
    """Attach the button listeners."""
    app.action(ActionId.RESOLVE.value)(reported(resolve_clicked))
    app.action(ActionId.ACKNOWLEDGE.value)(reported(acknowledge_clicked))
    app.action(ActionId.OPEN_IN_CORALOGIX.value)(reported(open_clicked))
