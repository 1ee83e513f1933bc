"""The App Home tab: published on open, refreshed on demand, updated in place after a Resolve."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import payloads
from bot.api import ApiError
from bot.errors import BotError, describe, record_failure
from bot.formatters.common import escape, truncate
from bot.formatters.home import HOME_LIMIT, home_view
from bot.formatters.summary import incident_name
from bot.ids import ActionId, EventType
from bot.listeners.error_handler import reported
from bot.parsing import is_incident_id
from bot.services import IdResult, Outcome, Services
from bot.settings import Settings

logger = logging.getLogger(__name__)


async def publish_home(
    client: AsyncWebClient, services: Services, settings: Settings, user: str, notice: str | None = None
) -> None:
    """Read the open incidents and publish the user's Home tab."""
    now = datetime.now(UTC)
    try:
        incidents = await services.incidents.open_for_view(limit=1000)
        urls = await services.store.alert_urls([i.id for i in incidents[:HOME_LIMIT]])
    except (ApiError, BotError) as e:
        error_id = record_failure(logger, "home load failed", e)
        error = f"Could not read the open incidents: {truncate(escape(describe(e)), 2000)} (error id `{error_id}`)"
        view = home_view(None, now=now, notice=notice, error=error)
    else:
        for incident in incidents[:HOME_LIMIT]:
            if link := settings.incident_url(incident.id):
                urls[incident.id] = link
        view = home_view(incidents, now=now, urls=urls, notice=notice)
    await client.views_publish(user_id=user, view=view)


def outcome_notice(result: IdResult, error_id: str | None) -> str:
    """One line about the Resolve the user just clicked."""
    name = incident_name(result.incident, result.id)
    if result.outcome is Outcome.RESOLVED:
        return f":white_check_mark: Resolved *{name}*."
    if result.outcome is Outcome.ALREADY_RESOLVED:
        return f":ballot_box_with_check: *{name}* was already resolved."
    if result.outcome is Outcome.NOT_FOUND:
        return f":grey_question: `{escape(result.id)}` is not in Coralogix any more."
    reason = escape(truncate(result.reason or "unknown error", 1500))
    return f":warning: Could not resolve *{name}*: {reason} (error id `{error_id}`)"


async def home_opened(event: dict[str, Any], client: AsyncWebClient, services: Services, settings: Settings) -> None:
    """Publish Home whenever its tab is opened."""
    if event.get("tab", "home") == "home":
        await publish_home(client, services, settings, payloads.slack_id(event, "user", what="user id"))


async def refresh_clicked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services, settings: Settings
) -> None:
    """The Refresh button."""
    user = payloads.slack_id(body, "user", "id", what="user id")
    await ack()
    await publish_home(client, services, settings, user)


async def resolve_clicked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services, settings: Settings
) -> None:
    """Resolve from Home: resolve, update the alert message's thread if any, re-publish Home with the outcome."""
    user = payloads.slack_id(body, "user", "id", what="user id")
    value = payloads.get(body, "actions", 0, "value")
    incident_id = value.lower() if isinstance(value, str) else ""
    await ack()
    if not is_incident_id(incident_id):
        await publish_home(client, services, settings, user, notice=":warning: That button carried no incident id.")
        return
    try:
        result = (await services.incidents.resolve([incident_id])).results[0]
    except ApiError as e:  # nothing could be done at all (e.g. the key is refused): say so on Home
        error_id = record_failure(logger, f"home resolve of {incident_id} failed", e)
        notice = f":warning: Could not resolve: {truncate(escape(e.message), 1500)} (error id `{error_id}`)"
        await publish_home(client, services, settings, user, notice=notice)
        return
    services.tasks.spawn(services.alerts.sync_resolved([result], user=user, via="home"), name="sync alert messages")
    failure_id: str | None = None
    if result.outcome is Outcome.FAILED:
        failure_id = record_failure(logger, f"home resolve of {incident_id} failed", result.reason or "not resolved")
    await publish_home(client, services, settings, user, notice=outcome_notice(result, failure_id))


async def open_clicked(ack: AsyncAck) -> None:
    """Open in Coralogix: Slack opens the link; the request only needs an ack."""
    await ack()


def register(app: AsyncApp) -> None:
    """Attach the Home listeners."""
    app.event(EventType.APP_HOME_OPENED.value)(reported(home_opened))
    app.action(ActionId.HOME_REFRESH.value)(reported(refresh_clicked))
    app.action(ActionId.HOME_RESOLVE.value)(reported(resolve_clicked))
    app.action(ActionId.HOME_OPEN.value)(reported(open_clicked))
