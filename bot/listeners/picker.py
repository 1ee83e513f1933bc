"""The picker: `/resolve-incident` with no text opens a modal of the open incidents to resolve."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot import payloads
from bot.api import ApiError, IncidentSeverity, is_case_id
from bot.api.case_ids import Entity
from bot.errors import BadPayload, BotError, describe, record_failure
from bot.formatters.picker import (
    SEVERITY_VALUES,
    STATIC_LIMIT,
    case_list_view,
    error_view,
    incident_option,
    list_view,
    loading_view,
    picked_ids,
    picker_metadata,
    read_metadata,
    read_response_url,
    slow_search_option,
)
from bot.ids import ActionId, BlockId, CallbackId
from bot.listeners.error_handler import reported
from bot.listeners.submit import submit, view_key
from bot.parsing import is_incident_id
from bot.services import Services
from bot.services.actions import Action, Surface

logger = logging.getLogger(__name__)


async def open_picker(services: Services, *, trigger_id: str, channel: str, response_url: str) -> None:
    """Open the loading modal at once (the trigger id lives 3 s), then fill it."""
    metadata = picker_metadata(channel, None, response_url)
    opened = await services.writer.open_view(trigger_id, loading_view(metadata))
    await _fill(services, opened["view"], severity=None)


async def _update(services: Services, view: dict[str, Any], new_view: dict[str, Any]) -> bool:
    """views.update guarded by the view's hash; False when the user closed it or a newer update won."""
    view_id = payloads.text(view, "id", what="view id")
    try:
        await services.writer.update_view(view_id, new_view, view.get("hash"))
    except SlackApiError as e:
        if e.response.get("error") in {"not_found", "hash_conflict"}:
            logger.info("picker not updated: %s", e.response.get("error"))
            return False
        raise  # anything else reaches the user with an error id (via `reported`)
    return True


async def _fill(services: Services, view: dict[str, Any], *, severity: IncidentSeverity | None) -> None:
    """Load the open incidents into `view`, or say why not; never left on "Loading…"."""
    raw = view.get("private_metadata")
    channel, _ = read_metadata(raw)
    metadata = picker_metadata(channel, severity, read_response_url(raw))
    try:
        if services.targets.entity is Entity.CASES:
            cases = await services.cases.open_for_view(limit=STATIC_LIMIT + 1)
            new_view = case_list_view(metadata, cases, datetime.now(UTC))
        else:
            incidents = await services.incidents.open_for_view(severity=severity, limit=STATIC_LIMIT + 1)
            new_view = list_view(metadata, incidents, severity, datetime.now(UTC))
    except (ApiError, BotError) as e:
        new_view = error_view(metadata, describe(e), record_failure(logger, "picker load failed", e))
    await _update(services, view, new_view)


async def severity_changed(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The severity filter: reload the list with it."""
    value = payloads.text(body, "actions", 0, "selected_option", "value", what="severity")
    if value != "all" and value not in SEVERITY_VALUES:
        raise BadPayload(payloads.nothing_done("severity"))
    view = _view(body)
    await ack()
    await _fill(services, view, severity=None if value == "all" else IncidentSeverity(value))


async def retry_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """ "Try again" after a failed load."""
    view = _view(body)
    _, severity = read_metadata(view.get("private_metadata"))
    await ack()
    if await _update(services, view, loading_view(view.get("private_metadata") or "{}")):
        await _fill(services, {**view, "hash": None}, severity=severity)


async def search_options(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Type-ahead: open incidents matching what was typed, answered within Slack's deadline."""
    _, severity = read_metadata(payloads.get(body, "view", "private_metadata"))
    typed = payloads.optional_text(body, "value", what="search text", limit=2000) or ""
    now = datetime.now(UTC)
    try:
        incidents = await services.incidents.search_open(typed, severity)
    except ApiError as e:
        logger.warning("picker search failed: %s", e.message)
        incidents = None
    if incidents is None:  # slow (its result is cached for the next keystroke) or failing: say so, in time
        await ack(options=[slow_search_option()])
        return
    await ack(options=[incident_option(i, now) for i in incidents])


async def picker_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services) -> None:
    """Resolve the picked incidents and post the summary where the command was typed."""
    values = payloads.get(view, "state", "values")
    ids = [i for i in picked_ids(values) if is_incident_id(i) or is_case_id(i)]
    if not ids:
        await ack(response_action="errors", errors={BlockId.PICKER_INCIDENTS.value: "Pick at least one incident."})
        return
    user = payloads.slack_id(body, "user", "id", what="user id")
    channel, _ = read_metadata(view.get("private_metadata"))
    action = Action(
        key=view_key(body, view),
        surface=Surface.PICKER,
        user=user,
        team=payloads.optional_text(body, "team", "id", what="team id"),
        channel=channel or None,
        # Like the command's: the response_url works where the bot is not a member.
        response_url=read_response_url(view.get("private_metadata")) or None,
        ids=tuple(ids),
        note=payloads.note(values),
    )
    if problem := await submit(services, action):
        await ack(response_action="errors", errors={BlockId.PICKER_INCIDENTS.value: problem})
        return
    await ack()


def _view(body: dict[str, Any]) -> dict[str, Any]:
    """The modal a picker action came from."""
    view = payloads.get(body, "view")
    if not isinstance(view, dict):
        raise BadPayload(payloads.nothing_done("modal"))
    return view


def register(app: AsyncApp) -> None:
    """Attach the picker's listeners (the command listener opens it)."""
    app.action(ActionId.PICKER_SEVERITY.value)(reported(severity_changed))
    app.action(ActionId.PICKER_RETRY.value)(reported(retry_clicked))
    app.options(ActionId.PICKER_SEARCH.value)(reported(search_options))
    app.view(CallbackId.PICKER_MODAL.value)(reported(picker_submitted))
