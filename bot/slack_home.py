"""App Home, published from Coralogix's open incidents (never only the store), with a notice on top.
On a tenant set to Cases (CORALOGIX_ENTITY=cases), the open Coralogix Cases instead."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from bot.api import ApiError, Case, Incident
from bot.api.case_ids import Entity
from bot.errors import BotError, describe, record_failure
from bot.formatters.common import escape, truncate
from bot.formatters.home import EVERYONE, HOME_LIMIT, home_view
from bot.services.access import Access
from bot.services.actions import Verb
from bot.services.incidents import IncidentService
from bot.services.targets import Targets
from bot.settings import Settings
from bot.slack_writes import SlackWriter
from bot.store.alerts import AlertMessages

logger = logging.getLogger(__name__)
# How long the incidents last read may be shown again when nothing changed (a refused Resolve).
REUSE_SECONDS = 60.0


class HomePublisher:
    """Publishes a user's Home tab."""

    def __init__(
        self,
        writer: SlackWriter,
        *,
        incidents: IncidentService,
        alerts: AlertMessages,
        settings: Settings,
        access: Access,
        targets: Targets | None = None,
    ) -> None:
        self.writer = writer
        self.targets = targets
        self.incidents = incidents
        self.alerts = alerts
        self.settings = settings
        self.access = access
        self._last: tuple[float, list[Incident]] | None = None  # when the open incidents were last read, and them
        self._last_cases: tuple[float, list[Case]] | None = None

    async def publish(self, user: str, notice: str | None = None, *, unchanged: bool = False) -> None:
        """Read the open incidents and publish `user`'s Home tab, with `notice` on top; or say why not.
        The tab says what this person may resolve, and shows Resolve only where the policy lets them.
        `unchanged`: the action changed nothing (it was refused), so incidents read within the last
        minute are shown again rather than read again."""
        now = datetime.now(UTC)
        permissions = await self.access.summary(user, Verb.RESOLVE) or EVERYONE
        if self.targets is not None and self.targets.entity is Entity.CASES:
            await self.writer.publish_home(user, await self._cases_view(user, now, notice, permissions, unchanged))
            return
        try:
            incidents = await self._open_incidents(reuse=unchanged)
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
        await self.writer.publish_home(user, view)

    async def _cases_view(
        self, user: str, now: datetime, notice: str | None, permissions: str, reuse: bool
    ) -> dict[str, object]:
        """The Home tab of a Cases tenant: the open cases, Resolve where the policy lets this person."""
        if self.targets is None:  # no Cases service: the caller checked, this only narrows the type
            return home_view(None, now=now, notice=notice, permissions=permissions, noun="cases")
        try:
            if reuse and self._last_cases is not None and time.monotonic() - self._last_cases[0] < REUSE_SECONDS:
                cases = self._last_cases[1]
            else:
                cases = await self.targets.cases.open_for_view(limit=1000)
                self._last_cases = (time.monotonic(), cases)
        except (ApiError, BotError) as e:
            error_id = record_failure(logger, "home load failed", e)
            error = f"Could not read the open cases: {truncate(escape(describe(e)), 2000)} (error id `{error_id}`)"
            return home_view(None, now=now, notice=notice, error=error, permissions=permissions, noun="cases")
        resolvable = await self.access.may(user, Verb.RESOLVE, None, cases[:HOME_LIMIT])
        return home_view(cases, now=now, notice=notice, permissions=permissions, resolvable=resolvable, noun="cases")

    async def _open_incidents(self, *, reuse: bool) -> list[Incident]:
        if reuse and self._last is not None and time.monotonic() - self._last[0] < REUSE_SECONDS:
            return self._last[1]
        incidents = await self.incidents.open_for_view(limit=1000)
        self._last = (time.monotonic(), incidents)
        return incidents
