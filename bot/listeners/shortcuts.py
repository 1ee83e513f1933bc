"""Message shortcut "Resolve incidents in this message": modal at once, names after, resolve on submit."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ApiError
from bot.errors import new_error_id
from bot.formatters.modals import (
    NOTE_ACTION,
    NOTE_BLOCK,
    SELECT_ACTION,
    SELECT_BLOCK,
    empty_view,
    error_view,
    list_view,
    loading_view,
)
from bot.formatters.summary import summary_message
from bot.ids import CallbackId
from bot.listeners.errors import reported
from bot.listeners.posting import log_failures, post_or_dm
from bot.parsing import MAX_IDS_PER_COMMAND, ids_in_message, is_incident_id
from bot.services import Services

logger = logging.getLogger(__name__)


async def resolve_in_message(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Open the modal inside the trigger window, then fill it from Coralogix."""
    await ack()
    message = shortcut.get("message", {})
    ids = ids_in_message(message)[:MAX_IDS_PER_COMMAND]
    metadata = {"channel": shortcut["channel"]["id"], "thread_ts": message.get("thread_ts") or message["ts"]}
    if not ids:
        await client.views_open(trigger_id=shortcut["trigger_id"], view=empty_view(metadata))
        return
    opened = await client.views_open(trigger_id=shortcut["trigger_id"], view=loading_view(metadata, len(ids)))
    view_id = opened["view"]["id"]
    try:
        found = await services.incidents.lookup(ids)
        view = list_view(metadata, ids, found)
    except ApiError as e:
        error_id = new_error_id()
        logger.warning("shortcut lookup failed error_id=%s: %s", error_id, e.message)
        view = error_view(metadata, e.message, error_id)
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as e:  # the user closed the modal before it loaded: nothing to show
        logger.info("could not update the shortcut modal: %s", e.response.get("error"))


async def resolve_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Resolve the picked incidents and reply in the message's thread (or by DM where the bot cannot post)."""
    values = view["state"]["values"]
    picked = [o["value"] for o in values.get(SELECT_BLOCK, {}).get(SELECT_ACTION, {}).get("selected_options") or []]
    ids = [i for i in picked if is_incident_id(i)]
    if not ids:
        await ack(response_action="errors", errors={SELECT_BLOCK: "Pick at least one incident to resolve."})
        return
    await ack()
    note = (values.get(NOTE_BLOCK, {}).get(NOTE_ACTION, {}).get("value") or "").strip() or None
    metadata = json.loads(view.get("private_metadata") or "{}")
    user = body["user"]["id"]
    report = await services.incidents.resolve(ids)
    message = summary_message(report, user_id=user, at=datetime.now(UTC), note=note, error_id=log_failures(report))
    await post_or_dm(client, metadata["channel"], message, user=user, thread_ts=metadata["thread_ts"])
    sync = services.alerts.sync_resolved(report.results, user=user, via="shortcut", note=note)
    services.tasks.spawn(sync, name="sync alert messages")


def register(app: AsyncApp) -> None:
    """Attach the shortcut and its modal's submission."""
    app.shortcut(CallbackId.RESOLVE_IN_MESSAGE.value)(reported(resolve_in_message))
    app.view(CallbackId.RESOLVE_IN_MESSAGE_MODAL.value)(reported(resolve_submitted))
