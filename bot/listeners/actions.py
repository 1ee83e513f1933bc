"""Buttons on alert and case messages: journal the action and ack at once; the pipeline does the rest."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import payloads
from bot.formatters.common import safe_url
from bot.ids import ActionId
from bot.listeners.error_handler import reported
from bot.listeners.submit import click_key, submit
from bot.services import Services
from bot.services.actions import Action, Surface, Verb


async def _clicked(verb: Verb, ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    channel = payloads.slack_id(body, "channel", "id", what="channel id")
    user = payloads.slack_id(body, "user", "id", what="user id")
    ts = payloads.optional_text(body, "container", "message_ts", what="message timestamp", limit=32)
    ts = ts or payloads.text(body, "message", "ts", what="message timestamp", limit=32)
    action = Action(
        key=click_key(body, user),
        surface=Surface.BUTTON,
        verb=verb,
        user=user,
        team=payloads.optional_text(body, "team", "id", what="team id"),
        channel=channel,
        message_ts=ts,
        thread_ts=ts,
        response_url=safe_url(body.get("response_url")),
    )
    problem = await submit(services, action)
    await ack()
    if problem:
        await services.writer.ephemeral(channel, user, text=problem)


async def resolve_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The Resolve button (after its confirm dialog)."""
    await _clicked(Verb.RESOLVE, ack, body, services)


async def acknowledge_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The Acknowledge button."""
    await _clicked(Verb.ACKNOWLEDGE, ack, body, services)


async def close_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The "Close as false alarm" button of a case message (after its confirm dialog)."""
    await _clicked(Verb.CLOSE, ack, body, services)


async def open_clicked(ack: AsyncAck) -> None:
    """The Open-in-Coralogix link button: Slack opens the URL; the request only needs an ack."""
    await ack()


def register(app: AsyncApp) -> None:
    """Attach the button listeners."""
    app.action(ActionId.RESOLVE.value)(reported(resolve_clicked))
    app.action(ActionId.ACKNOWLEDGE.value)(reported(acknowledge_clicked))
    app.action(ActionId.CASE_CLOSE.value)(reported(close_clicked))
    app.action(ActionId.OPEN_IN_CORALOGIX.value)(reported(open_clicked))
