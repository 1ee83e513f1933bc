"""Incident use cases, free of Slack: resolve many ids and say what happened to each one.

Resolve is verified id by id, because a 200 from the resolve call does not prove each id was
resolved (the legacy path may even ignore the request body): an id counts as resolved only when Coralogix
shows it resolved, in the resolve answer or in a follow-up read. A 200 alone is never success.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cachetools import TTLCache

from bot.api import (
    RESOLVE_CHUNK,
    ApiError,
    AuthenticationError,
    BadRequestError,
    CoralogixClient,
    Incident,
    IncidentFilter,
    IncidentSeverity,
    IncidentStatus,
    NotFoundError,
)
from bot.api.client import MAX_CONCURRENCY
from bot.api.models import SEVERITY_RANK
from bot.errors import UpstreamError

logger = logging.getLogger(__name__)

NOT_FOUND_REASON = "no such incident in Coralogix"
# Extra resolve calls one action may spend isolating ids Coralogix rejects. Enough to find a few
# bad ids among 1 000 (about 20 calls each); a rejection of everything fails fast instead of
# costing 2n - 1 calls.
BISECT_CALL_BUDGET = 64
# Open incidents read to pick the most urgent from (the list API sorts by creation time only).
OPEN_SCAN_LIMIT = 1000
SEARCH_CACHE_SECONDS = 30
# A search already narrows the list: two pages are plenty, and keep it within Slack's 3 s.
SEARCH_SCAN_LIMIT = 200
# A view (picker, App Home) never sits on "Loading…" longer than this; then it says why.
LOAD_DEADLINE = 10.0
# Slack gives an options request 3 s in all; leave room for the answer to travel.
SEARCH_DEADLINE = 2.0
# The resolve calls of one action (retries and bisection included) get this long in all; ids
# still unanswered are then read back like any other failure, so the user hears within ~a minute.
RESOLVE_DEADLINE = 40.0
UNCONFIRMED = (
    "Coralogix answered the resolve call but did not confirm this incident as resolved "
    "(it is still {status}). If this repeats for every incident, the host may be ignoring the request "
    "body: try CORALOGIX_API_VERSION=5."
)


class Outcome(StrEnum):
    """What happened to one requested id."""

    RESOLVED = "resolved"
    ALREADY_RESOLVED = "already_resolved"
    NOT_FOUND = "not_found"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class IdResult:
    """The outcome of one id, with the incident when Coralogix returned it."""

    id: str
    outcome: Outcome
    incident: Incident | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ResolveReport:
    """One result per requested id, in the order they were requested."""

    results: list[IdResult] = field(default_factory=list)

    def of(self, outcome: Outcome) -> list[IdResult]:
        """The results with `outcome`, in request order."""
        return [r for r in self.results if r.outcome is outcome]


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

    async def resolve(self, ids: Sequence[str], *, precheck: bool = True) -> ResolveReport:
        """Resolve `ids`; every id gets exactly one outcome. Raises only if nothing could be done.

        `precheck=False` skips the batch-get that tells "already resolved" and "not found" apart up
        front: one round trip less for a button whose incident is known; the checks after the
        resolve call still decide every outcome.
        """
        self._searches.clear()  # what the picker offers must not include what is being resolved
        results: dict[str, IdResult] = {}
        to_resolve = await self._precheck(ids, results) if precheck else list(ids)
        chunks = [to_resolve[i : i + RESOLVE_CHUNK] for i in range(0, len(to_resolve), RESOLVE_CHUNK)]
        run = _ResolveRun(self.api)
        try:
            async with asyncio.timeout(RESOLVE_DEADLINE):
                for chunk_results in await asyncio.gather(*(run.resolve_chunk(c) for c in chunks)):
                    results.update({r.id: r for r in chunk_results})
        except TimeoutError:
            reason = f"Coralogix did not finish resolving within {RESOLVE_DEADLINE:.0f} s"
            for incident_id in to_resolve:
                results.setdefault(incident_id, IdResult(incident_id, Outcome.FAILED, reason=reason))
        await self._read_back_failures(results)
        return ResolveReport([results[i] for i in ids])

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

    async def acknowledge(self, incident_id: str) -> Incident:
        """Acknowledge one incident and confirm it from Coralogix's answer (or a read-back)."""
        answer = {i.id: i for i in await self.api.acknowledge_incidents(ids=[incident_id])}
        incident = answer.get(incident_id)
        if incident is None or incident.status not in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED):
            incident = await self.api.get_incident(id=incident_id)
        if incident.status not in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED):
            raise UpstreamError(
                f"Coralogix answered the acknowledge call but the incident is still {_status_word(incident)}."
            )
        return incident

    async def _precheck(self, ids: Sequence[str], results: dict[str, IdResult]) -> list[str]:
        """Read the incidents first: unknown and already-resolved ids need no resolve call."""
        try:
            found = await self.api.batch_get_incidents(ids=ids)
        except AuthenticationError:
            raise  # the key is refused: resolving cannot work either, and the message says what to fix
        except ApiError as e:
            # The pre-check is an optimisation; resolve and its read-back still classify every id.
            logger.warning("pre-check failed (%s); resolving without it", e.message)
            return list(ids)
        missing = set(found.not_found_ids)
        open_ids: list[str] = []
        for incident_id in ids:
            incident = found.incidents.get(incident_id)
            if incident is None or incident_id in missing:
                results[incident_id] = IdResult(incident_id, Outcome.NOT_FOUND, reason=NOT_FOUND_REASON)
            elif incident.is_resolved:
                results[incident_id] = IdResult(incident_id, Outcome.ALREADY_RESOLVED, incident)
            else:
                open_ids.append(incident_id)
        return open_ids

    async def _read_back_failures(self, results: dict[str, IdResult]) -> None:
        """Read back every id whose resolve did not visibly succeed; only what Coralogix shows counts.

        This also makes retrying resolve after an ambiguous failure (read timeout, 5xx) safe: an
        incident that a lost answer did resolve is reported resolved, not failed.
        """
        pending = [r.id for r in results.values() if r.outcome is Outcome.FAILED]
        if not pending:
            return
        try:
            found = await self.api.batch_get_incidents(ids=pending)
        except ApiError as e:
            for incident_id in pending:
                old = results[incident_id]
                reason = old.reason or f"Coralogix did not confirm the resolve, and reading it back failed: {e.message}"
                results[incident_id] = IdResult(incident_id, Outcome.FAILED, old.incident, reason)
            return
        gone = set(found.not_found_ids)
        for incident_id in pending:
            old = results[incident_id]
            incident = found.incidents.get(incident_id) or old.incident
            if incident is not None and incident.is_resolved:
                results[incident_id] = IdResult(incident_id, Outcome.RESOLVED, incident)
            elif incident_id in gone:
                results[incident_id] = IdResult(incident_id, Outcome.NOT_FOUND, reason=NOT_FOUND_REASON)
            else:
                reason = old.reason or UNCONFIRMED.format(status=_status_word(incident))
                results[incident_id] = IdResult(incident_id, Outcome.FAILED, incident, reason)


class _ResolveRun:
    """The resolve calls of one user action: one concurrency limit and one bisection budget for all."""

    def __init__(self, api: CoralogixClient) -> None:
        self.api = api
        # Shared by every call of the action, bisection included: a limit per gather would let
        # each level of a bisection start its own calls, dozens at once.
        self.in_flight = asyncio.Semaphore(MAX_CONCURRENCY)
        self.bisect_budget = BISECT_CALL_BUDGET

    async def resolve_chunk(self, ids: Sequence[str]) -> list[IdResult]:
        """Resolve one chunk; when Coralogix rejects it for bad ids, bisect to resolve the good ones.

        Outcomes that are not visibly resolved come back FAILED; a reason of None means "not
        confirmed" and is filled in by the read-back.
        """
        try:
            async with self.in_flight:
                answer = await self.api.resolve_incidents(ids=ids)
        except (BadRequestError, NotFoundError) as e:
            if len(ids) > 1 and self.bisect_budget >= 2:
                self.bisect_budget -= 2
                middle = len(ids) // 2
                first, second = await asyncio.gather(self.resolve_chunk(ids[:middle]), self.resolve_chunk(ids[middle:]))
                return first + second
            # FAILED, not NOT_FOUND: a 404 may mean a wrong path family too. The read-back turns
            # ids Coralogix really does not know into NOT_FOUND.
            return [IdResult(i, Outcome.FAILED, reason=e.message) for i in ids]
        except ApiError as e:
            return [IdResult(i, Outcome.FAILED, reason=e.message) for i in ids]
        returned = {i.id: i for i in answer}
        results: list[IdResult] = []
        for incident_id in ids:
            incident = returned.get(incident_id)
            outcome = Outcome.RESOLVED if incident is not None and incident.is_resolved else Outcome.FAILED
            results.append(IdResult(incident_id, outcome, incident))
        return results


def _urgency(incident: Incident) -> tuple[int, float]:
    """Sort key: severity rank (critical first, unknown last), then newest first."""
    rank = SEVERITY_RANK.get(incident.severity, len(SEVERITY_RANK)) if incident.severity else len(SEVERITY_RANK)
    created = incident.created_at.timestamp() if incident.created_at else 0.0
    return rank, -created


def _status_word(incident: Incident | None) -> str:
    if incident is None or incident.status is None:
        return "not resolved"
    return incident.status.value.removeprefix("INCIDENT_STATUS_").lower()
