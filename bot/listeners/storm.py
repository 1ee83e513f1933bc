"""The storm message's buttons and its "Show all" modal: parse, journal, ack; the pipeline resolves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import payloads, safe_json
from bot.errors import BadPayload
from bot.formatters.common import safe_url
from bot.formatters.storm_modal import PAGE_SIZE, storm_modal
from bot.ids import ActionId
from bot.listeners.error_handler import reported
from bot.listeners.submit import click_key, submit
from bot.parsing import is_incident_id
from bot.services import Services
from bot.services.actions import Action, Surface
from bot.services.storms import StormService

GONE = "This storm is no longer on record, so nothing was done."
NOTHING_LEFT = "Every alert of this storm is resolved already: nothing to do."
DAMAGED = "That button came back damaged, so nothing was done."
CHANGED = (
    "This storm changed since its message was shown, so nothing was done: the message is brought up to date "
    "now. Check its count and press Resolve all again."
)


def _storms(services: Services) -> StormService:
    if services.storms is None:
        raise BadPayload(GONE)
    return services.storms


def _number(value: Any) -> int:
    """A non-negative whole number the bot wrote into a button or the modal's metadata."""
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise BadPayload(DAMAGED)


def _button_state(raw: Any) -> dict[str, Any]:
    """The JSON object the bot wrote into a button's value."""
    try:
        data = safe_json.loads(raw) if isinstance(raw, str) else None
    except safe_json.UnsafeJson:
        data = None
    if not isinstance(data, dict):
        raise BadPayload(DAMAGED)
    return data


async def _view(services: Services, storm_id: int, page: int, *, resolving: str | None = None) -> dict[str, Any]:
    found = await _storms(services).page(storm_id, page, PAGE_SIZE)
    if found is None:
        raise BadPayload(GONE)
    _, members, total = found
    return storm_modal(storm_id, members, page=page, total=total, now=datetime.now(UTC), resolving=resolving)


async def show_all_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Show all: the modal with the storm's first page."""
    storm_id = _number(payloads.get(body, "actions", 0, "value"))
    trigger = payloads.text(body, "trigger_id", what="trigger id", limit=200)
    await ack()
    await services.writer.open_view(trigger, await _view(services, storm_id, 0))


async def page_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Previous / Next in the modal."""
    storm_id = _number(payloads.metadata(payloads.get(body, "view", "private_metadata")).get("storm"))
    page = _number(payloads.get(body, "actions", 0, "value"))
    view_id = payloads.text(body, "view", "id", what="view id", limit=64)
    await ack()
    await services.writer.update_view(view_id, await _view(services, storm_id, page))


async def resolve_one_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Resolve beside one alert in the modal: an ordinary resolve of its incident."""
    user = payloads.slack_id(body, "user", "id", what="user id")
    state = payloads.metadata(payloads.get(body, "view", "private_metadata"))
    storm_id, page = _number(state.get("storm")), _number(state.get("page", 0))
    value = payloads.get(body, "actions", 0, "value")
    incident = value.lower() if isinstance(value, str) else ""
    if not is_incident_id(incident):
        raise BadPayload(DAMAGED)
    found = await _storms(services).page(storm_id, page, PAGE_SIZE)
    if found is None:
        raise BadPayload(GONE)
    storm = found[0]
    action = Action(
        key=click_key(body, user),
        surface=Surface.STORM,
        user=user,
        team=payloads.optional_text(body, "team", "id", what="team id"),
        channel=storm.channel,
        ids=(incident,),
    )
    problem = await submit(services, action)
    await ack()
    if problem:
        await services.writer.ephemeral(storm.channel, user, text=problem)
        return
    view_id = payloads.optional_text(body, "view", "id", what="view id", limit=64)
    if view_id:
        await services.writer.update_view(view_id, await _view(services, storm_id, page, resolving=incident))


async def resolve_all_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Resolve all N (after its confirmation): one action with exactly the N incidents the message showed, or
    none (the storm changed since: the person is told, and the message updated)."""
    channel = payloads.slack_id(body, "channel", "id", what="channel id")
    user = payloads.slack_id(body, "user", "id", what="user id")
    value = _button_state(payloads.get(body, "actions", 0, "value"))
    storm_id, upto = _number(value.get("storm")), _number(value.get("upto"))
    shown = value.get("at")
    if not isinstance(shown, int | float) or isinstance(shown, bool) or not 0 <= shown < 1e11:
        raise BadPayload(DAMAGED)
    count = value.get("n")  # what the confirmation named (absent from buttons shown before it was carried)
    storms = _storms(services)
    found = await storms.resolvable(storm_id, upto=upto, shown_at=datetime.fromtimestamp(shown, UTC))
    if found is None:
        raise BadPayload(GONE)
    _, ids = found
    if not ids:
        await ack()
        await services.writer.ephemeral(channel, user, text=NOTHING_LEFT)
        return
    if count is None or _number(count) != len(ids):
        # More than the message showed (an alert learned its incident, or joined, since): resolve exactly
        # what was confirmed or nothing; the message shows the new count at the next render.
        await storms.changed(storm_id)
        await ack()
        await services.writer.ephemeral(channel, user, text=CHANGED)
        return
    action = Action(
        key=click_key(body, user),
        surface=Surface.STORM,
        user=user,
        team=payloads.optional_text(body, "team", "id", what="team id"),
        channel=channel,
        message_ts=payloads.optional_text(body, "container", "message_ts", what="message timestamp", limit=32),
        response_url=safe_url(body.get("response_url")),
        ids=tuple(ids),
    )
    problem = await submit(services, action)
    await ack()
    if problem:
        await services.writer.ephemeral(channel, user, text=problem)


def register(app: AsyncApp) -> None:
    """Attach the storm listeners."""
    app.action(ActionId.STORM_SHOW_ALL.value)(reported(show_all_clicked))
    app.action(ActionId.STORM_PAGE.value)(reported(page_clicked))
    app.action(ActionId.STORM_RESOLVE_ONE.value)(reported(resolve_one_clicked))
    app.action(ActionId.STORM_RESOLVE_ALL.value)(reported(resolve_all_clicked))
