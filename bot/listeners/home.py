"""The App Home tab: published on open, refreshed on demand, published again after a Resolve there."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import payloads
from bot.api import is_case_id
from bot.ids import ActionId, EventType
from bot.listeners.error_handler import reported
from bot.listeners.submit import click_key, submit
from bot.parsing import is_incident_id
from bot.services import Services
from bot.services.actions import Action, Surface


async def home_opened(event: dict[str, Any], services: Services) -> None:
    """Publish Home whenever its tab is opened."""
    if event.get("tab", "home") == "home":
        await services.home.publish(payloads.slack_id(event, "user", what="user id"))


async def refresh_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """The Refresh button."""
    user = payloads.slack_id(body, "user", "id", what="user id")
    await ack()
    await services.home.publish(user)


async def resolve_clicked(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Resolve from Home: journaled like any resolve; Home is published again with the outcome."""
    user = payloads.slack_id(body, "user", "id", what="user id")
    value = payloads.get(body, "actions", 0, "value")
    incident_id = "" if not isinstance(value, str) else value if is_case_id(value) else value.lower()
    if not (is_incident_id(incident_id) or is_case_id(incident_id)):
        await ack()
        await services.home.publish(user, notice=":warning: That button carried no incident id.")
        return
    action = Action(
        key=click_key(body, user),
        surface=Surface.HOME,
        user=user,
        team=payloads.optional_text(body, "team", "id", what="team id"),
        ids=(incident_id,),
    )
    problem = await submit(services, action)
    await ack()
    if problem:
        await services.home.publish(user, notice=problem)


async def open_clicked(ack: AsyncAck) -> None:
    """Open in Coralogix: Slack opens the link; the request only needs an ack."""
    await ack()


def register(app: AsyncApp) -> None:
    """Attach the Home listeners."""
    app.event(EventType.APP_HOME_OPENED.value)(reported(home_opened))
    app.action(ActionId.HOME_REFRESH.value)(reported(refresh_clicked))
    app.action(ActionId.HOME_RESOLVE.value)(reported(resolve_clicked))
    app.action(ActionId.HOME_OPEN.value)(reported(open_clicked))
