"""Incident use cases, free of Slack: resolve and acknowledge with one outcome per id, and the lists
of open incidents the picker and App Home show (bounded by deadlines, searched with a cache).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from cachetools import TTLCache

from bot.api import (
    ApiError,
    AuthenticationError,
    CoralogixClient,
    Incident,
    IncidentFilter,
    IncidentSeverity,
    IncidentStatus,
)
from bot.api.models import SEVERITY_RANK
from bot.errors import UpstreamError
from bot.services.actions import IdResult, Outcome
from bot.services.resolving import NOT_FOUND_REASON, resolve_verified, status_word

logger = logging.getLogger(__name__)

# Open incidents read to pick the most urgent from (the list API sorts by creation time only).
OPEN_SCAN_LIMIT = 1000
SEARCH_CACHE_SECONDS = 30
# A search already narrows the list: two pages are plenty, and keep it within Slack's 3 s.
SEARCH_SCAN_LIMIT = 200
# A view (picker, App Home) never sits on "Loading…" longer than this; then it says why.
LOAD_DEADLINE = 10.0
# Slack gives an options request 3 s in all; leave room for the answer to travel.
SEARCH_DEADLINE = 2.0


class IncidentService:
    """Incident operations over one Coralogix client.

    `load_deadline` bounds reading the open incidents for a view (picker, App Home), which must
    never sit on "Loading…"; `search_deadline` bounds a type-ahead answer within Slack's 3 s.
    """

    def __init__(
        self, api: CoralogixClient, *, load_deadline: float = LOAD_DEADLINE, search_deadline: float = SEARCH_DEADLINE
    ) -> None:
        self.api = api
        self.load_deadline = load_deadline
        self.search_deadline = search_deadline
        # Type-ahead in the picker asks again on every keystroke; the same query within a short
        # while is answered from here, so Slack's options deadline is met and Coralogix is spared.
        self._searches: TTLCache[tuple[str, str], asyncio.Future[list[Incident]]] = TTLCache(
            maxsize=256, ttl=SEARCH_CACHE_SECONDS
        )

    async def open_for_view(self, *, severity: IncidentSeverity | None = None, limit: int = 100) -> list[Incident]:
        """`open_incidents` within `load_deadline`; an `UpstreamError` saying so when Coralogix is slower."""
        try:
            async with asyncio.timeout(self.load_deadline):
                return await self.open_incidents(severity=severity, limit=limit)
        except TimeoutError:
            raise UpstreamError(f"Coralogix did not answer within {self.load_deadline:g} s.") from None

    async def search_open(self, query: str, severity: IncidentSeverity | None) -> list[Incident] | None:
        """Open incidents whose name matches `query` (all when empty), most urgent first; cached briefly.
        None when Coralogix is slower than `search_deadline`.

        The lookup runs as its own task, shielded from the deadline: when it cuts a slow search
        short, the next keystroke still gets its result from the cache.
        """
        # Case is kept: whether Coralogix's name search ignores case is not documented.
        key = (" ".join(query.split()), severity.value if severity else "")
        task = self._searches.get(key)
        if task is None:
            lookup = self.open_incidents(severity=severity, search=key[0], limit=100, scan_limit=SEARCH_SCAN_LIMIT)
            task = asyncio.ensure_future(lookup)
            task.add_done_callback(lambda done: self._forget_failed(key, done))
            self._searches[key] = task
        try:
            async with asyncio.timeout(self.search_deadline):
                return await asyncio.shield(task)
        except TimeoutError:
            return None

    def _forget_failed(self, key: tuple[str, str], task: asyncio.Future[list[Incident]]) -> None:
        """A failed search is not cached (the next keystroke tries again); its error is retrieved here."""
        if not task.cancelled() and task.exception() is not None:
            self._searches.pop(key, None)

    async def resolve(
        self,
        ids: Sequence[str],
        *,
        precheck: bool = True,
        since: datetime | None = None,
        read: Mapping[str, Incident] | None = None,
    ) -> list[IdResult]:
        """Resolve `ids`, verified id by id (see `bot.services.resolving`); one result per id, in order.
        `read`: the incidents as just read, when the caller has them (no second read)."""
        self._searches.clear()  # what the picker offers must not include what is being resolved
        return await resolve_verified(self.api, ids, precheck=precheck, since=since, read=read)

    async def open_incidents(
        self,
        *,
        severity: IncidentSeverity | None = None,
        search: str | None = None,
        limit: int = 100,
        scan_limit: int = OPEN_SCAN_LIMIT,
    ) -> list[Incident]:
        """Triggered or acknowledged incidents, most severe first, then newest (read-only)."""
        query = IncidentFilter(
            status=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
            severity=[severity] if severity else None,
            search=search or None,
        )
        found = await self.api.list_incidents(filter=query, limit=scan_limit)
        return sorted(found, key=_urgency)[:limit]

    async def lookup(self, ids: Sequence[str]) -> dict[str, Incident]:
        """The incidents Coralogix knows among `ids`, by id (read-only)."""
        return dict((await self.api.batch_get_incidents(ids=ids)).incidents) if ids else {}

    async def acknowledge(self, ids: Sequence[str]) -> list[IdResult]:
        """Acknowledge the open ones among `ids`; one result per id, in order, confirmed from what Coralogix
        shows. Coralogix accepts acknowledgements only from a personal API key: a refusal says so."""
        found = await self.api.batch_get_incidents(ids=ids)
        results: dict[str, IdResult] = {}
        open_ids = []
        for incident_id in ids:
            incident = found.incidents.get(incident_id)
            if incident is None:
                results[incident_id] = IdResult(incident_id, Outcome.NOT_FOUND, reason=NOT_FOUND_REASON)
            elif incident.is_resolved:
                results[incident_id] = IdResult(incident_id, Outcome.ALREADY_RESOLVED, incident)
            elif incident.status is IncidentStatus.ACKNOWLEDGED:
                results[incident_id] = IdResult(incident_id, Outcome.ALREADY_ACKNOWLEDGED, incident)
            else:
                open_ids.append(incident_id)
        if open_ids:
            failure: str | None = None
            try:
                answer = {i.id: i for i in await self.api.acknowledge_incidents(ids=open_ids)}
            except AuthenticationError:
                raise
            except ApiError as e:
                answer, failure = {}, e.message
            unconfirmed = [i for i in open_ids if not _acknowledged(answer.get(i))]
            if unconfirmed and failure is None:
                answer |= (await self.api.batch_get_incidents(ids=unconfirmed)).incidents
            for incident_id in open_ids:
                incident = answer.get(incident_id)
                if _acknowledged(incident):
                    results[incident_id] = IdResult(incident_id, Outcome.ACKNOWLEDGED, incident)
                else:
                    reason = failure or (
                        f"Coralogix answered the acknowledge call but the incident is still {status_word(incident)}."
                    )
                    results[incident_id] = IdResult(incident_id, Outcome.FAILED, incident, reason)
        return [results[i] for i in ids]


def _urgency(incident: Incident) -> tuple[int, float]:
    """Sort key: severity rank (critical first, unknown last), then newest first."""
    rank = SEVERITY_RANK.get(incident.severity, len(SEVERITY_RANK)) if incident.severity else len(SEVERITY_RANK)
    created = incident.created_at.timestamp() if incident.created_at else 0.0
    return rank, -created


def _acknowledged(incident: Incident | None) -> bool:
    return incident is not None and incident.status in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED)
