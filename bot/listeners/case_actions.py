"""Buttons of case messages that need more than a click: Resolve opens a modal for an optional reason.

The modal's submission is one action for the one pipeline, like a click on the message (surface
`button`): the pipeline finds the case by the message, and the reason goes to Coralogix as the
resolve `reason`. Acknowledge, Close as false alarm and Open in Coralogix are plain buttons
(`bot.listeners.actions`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import payloads
from bot.formatters.case_message import resolve_modal
from bot.ids import ActionId, BlockId, CallbackId
from bot.listeners.error_handler import reported
from bot.listeners.submit import submit, view_key
from bot.services import Services
from bot.services.actions import Action, Surface, Verb
from bot.services.case_messages import stored_case
from bot.services.pipeline import NOT_TRACKED
from bot.store.tables import MessageKind


async def resolve_case_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Open the Resolve modal of the case the message shows (inside the trigger's 3 seconds)."""
    channel = payloads.slack_id(body, "channel", "id", what="channel id")
    user = payloads.slack_id(body, "user", "id", what="user id")
    trigger_id = payloads.text(body, "trigger_id", what="trigger id")
    ts = payloads.optional_text(body, "container", "message_ts", what="message timestamp", limit=32)
    ts = ts or payloads.text(body, "message", "ts", what="message timestamp", limit=32)
    await ack()
    record = await services.alerts.alerts.by_message(channel, ts)
    if record is None or record.kind is not MessageKind.CASE:
        await services.writer.ephemeral(channel, user, text=NOT_TRACKED)
        return
    await services.writer.open_view(trigger_id, resolve_modal(stored_case(record), channel, ts))


async def resolve_case_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services) -> None:
    """Resolve the case of the message, with the note as its reason."""
    metadata = payloads.metadata(view.get("private_metadata"))
    values = payloads.get(view, "state", "values")
    ts = payloads.text(metadata, "ts", what="message of the modal", limit=32)
    action = Action(
        key=view_key(body, view),
        surface=Surface.BUTTON,
        verb=Verb.RESOLVE,
        user=payloads.slack_id(body, "user", "id", what="user id"),
        team=payloads.optional_text(body, "team", "id", what="team id"),
        channel=payloads.text(metadata, "channel", what="channel of the message", limit=64),
        message_ts=ts,
        thread_ts=ts,
        note=payloads.note(values),
    )
    if problem := await submit(services, action):
        await ack(response_action="errors", errors={BlockId.NOTE.value: problem})
        return
    await ack()


def register(app: AsyncApp) -> None:
    """Attach the case Resolve button and its modal's submission."""
    app.action(ActionId.CASE_RESOLVE.value)(reported(resolve_case_clicked))
    app.view(CallbackId.CASE_RESOLVE_MODAL.value)(reported(resolve_case_submitted))
