"""Message shortcut "Resolve incidents in this message": modal at once, names after, resolve on submit."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot import payloads
from bot.api import ApiError, is_case_id
from bot.errors import BadPayload, record_failure
from bot.formatters.modals import (
    empty_view,
    error_view,
    list_view,
    loading_view,
    picked_in_message,
)
from bot.ids import BlockId, CallbackId
from bot.listeners.error_handler import reported
from bot.listeners.submit import submit, view_key
from bot.parsing import MAX_IDS_PER_COMMAND, ids_in_message, is_incident_id
from bot.services import Services
from bot.services.actions import Action, Surface

logger = logging.getLogger(__name__)


async def resolve_in_message(ack: AsyncAck, shortcut: dict[str, Any], services: Services) -> None:
    """Open the modal inside the trigger window, then fill it from Coralogix."""
    message = payloads.get(shortcut, "message")
    if not isinstance(message, dict):
        raise BadPayload(payloads.nothing_done("message"))
    channel = payloads.slack_id(shortcut, "channel", "id", what="channel id")
    trigger_id = payloads.text(shortcut, "trigger_id", what="trigger id")
    thread_ts = payloads.optional_text(message, "thread_ts", what="thread timestamp", limit=32)
    metadata = {"channel": channel, "thread_ts": thread_ts or payloads.text(message, "ts", what="message timestamp")}
    await ack()
    ids = ids_in_message(message)[:MAX_IDS_PER_COMMAND]
    if not ids:
        await services.writer.open_view(trigger_id, empty_view(metadata))
        return
    opened = await services.writer.open_view(trigger_id, loading_view(metadata, len(ids)))
    view_id = opened["view"]["id"]
    try:
        found = await services.targets.lookup(ids)
        view = list_view(metadata, ids, found)
    except ApiError as e:
        view = error_view(metadata, e.message, record_failure(logger, "shortcut lookup failed", e))
    try:
        await services.writer.update_view(view_id, view)
    except SlackApiError as e:  # the user closed the modal before it loaded: nothing to show
        logger.info("could not update the shortcut modal: %s", e.response.get("error"))


async def resolve_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services) -> None:
    """Resolve the picked incidents and reply in the message's thread (or by DM where the bot cannot post)."""
    values = payloads.get(view, "state", "values")
    ids = [i for i in picked_in_message(values) if is_incident_id(i) or is_case_id(i)]
    if not ids:
        errors = {BlockId.SHORTCUT_INCIDENTS.value: "Pick at least one incident to resolve."}
        await ack(response_action="errors", errors=errors)
        return
    metadata = payloads.metadata(view.get("private_metadata"))
    user = payloads.slack_id(body, "user", "id", what="user id")
    thread_ts = payloads.text(metadata, "thread_ts", what="thread of the message", limit=32)
    action = Action(
        key=view_key(body, view),
        surface=Surface.SHORTCUT,
        user=user,
        team=payloads.optional_text(body, "team", "id", what="team id"),
        channel=payloads.text(metadata, "channel", what="channel of the message"),
        message_ts=thread_ts,
        thread_ts=thread_ts,
        ids=tuple(ids),
        note=payloads.note(values),
    )
    if problem := await submit(services, action):
        await ack(response_action="errors", errors={BlockId.SHORTCUT_INCIDENTS.value: problem})
        return
    await ack()


def register(app: AsyncApp) -> None:
    """Attach the shortcut and its modal's submission."""
    app.shortcut(CallbackId.RESOLVE_IN_MESSAGE.value)(reported(resolve_in_message))
    app.view(CallbackId.RESOLVE_IN_MESSAGE_MODAL.value)(reported(resolve_submitted))
