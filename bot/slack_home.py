"""App Home, published from Coralogix's open incidents (never only the store), with a notice on top."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ApiError
from bot.errors import BotError, describe, record_failure
from bot.formatters.common import escape, truncate
from bot.formatters.home import EVERYONE, HOME_LIMIT, home_view
from bot.services.access import Access
from bot.services.actions import Verb
from bot.services.incidents import IncidentService
from bot.settings import Settings
from bot.store.alerts import AlertMessages

logger = logging.getLogger(__name__)


class HomePublisher:
    """Publishes a user's Home tab."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        incidents: IncidentService,
        alerts: AlertMessages,
        settings: Settings,
        access: Access,
    ) -> None:
        self.client = client
        self.incidents = incidents
        self.alerts = alerts
        self.settings = settings
        self.access = access

    async def publish(self, user: str, notice: str | None = None) -> None:
        """Read the open incidents and publish `user`'s Home tab, with `notice` on top; or say why not.
        The tab says what this person may resolve, and shows Resolve only where the policy lets them."""
        now = datetime.now(UTC)
        permissions = await self.access.summary(user, Verb.RESOLVE) or EVERYONE
        try:
            incidents = await self.incidents.open_for_view(limit=1000)
            urls = await self.alerts.alert_urls([i.id for i in incidents[:HOME_LIMIT]])
        except (ApiError, BotError) as e:
            error_id = record_failure(logger, "home load failed", e)
            error = f"Could not read the open incidents: {truncate(escape(describe(e)), 2000)} (error id `{error_id}`)"
            view = home_view(None, now=now, notice=notice, error=error, permissions=permissions)
        else:
            for incident in incidents[:HOME_LIMIT]:
                if link := self.settings.incident_url(incident.id):
                    urls[incident.id] = link
            resolvable = await self.access.may(user, Verb.RESOLVE, None, incidents[:HOME_LIMIT])
            view = home_view(
                incidents, now=now, urls=urls, notice=notice, permissions=permissions, resolvable=resolvable
            )
        await self.client.views_publish(user_id=user, view=view)
