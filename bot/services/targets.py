"""Which Coralogix object each id of an action names, and the one service that acts on it.

A readable case id (`CASE-123`) always names a Coralogix Case; any other id names what the tenant
is set to (CORALOGIX_ENTITY): an incident by default, a case on a Cases tenant. So a tenant set to
`cases` never calls an incidents path for an action, and one set to `incidents` calls a Cases path
only for a readable case id somebody typed.

`close` (close as a false alarm) exists for cases only: an incident id asked to close gets its own
answer and no call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.api import Case, Incident
from bot.api.case_ids import Entity, names_case
from bot.services.actions import Action, IdResult, Outcome, Verb
from bot.services.cases import CaseService
from bot.services.incidents import IncidentService

if TYPE_CHECKING:  # bot.services.access imports the policy, which imports this package's actions
    from bot.services.access import Target

CLOSE_IS_FOR_CASES = "close is for Coralogix Cases: this id names an incident (resolve it instead)"


class Targets:
    """Routes each id to the incident or the case service, and puts the answers back in order."""

    def __init__(self, incidents: IncidentService, cases: CaseService, entity: Entity = Entity.INCIDENTS) -> None:
        self.incidents = incidents
        self.cases = cases
        self.entity = entity

    def is_case(self, target_id: str) -> bool:
        """Whether `target_id` names a case (a readable case id, or any id on a Cases tenant)."""
        return names_case(target_id, self.entity)

    def split(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """`ids` without repeats, as (incident ids, case ids)."""
        unique = list(dict.fromkeys(ids))
        return [i for i in unique if not self.is_case(i)], [i for i in unique if self.is_case(i)]

    async def lookup(self, ids: Sequence[str]) -> dict[str, Target]:
        """The incidents and cases Coralogix knows among `ids`, by the id asked (read-only)."""
        incident_ids, case_ids = self.split(ids)
        found: dict[str, Target] = {}
        if incident_ids:
            found.update(await self.incidents.lookup(incident_ids))
        if case_ids:
            found.update(await self.cases.lookup(case_ids))
        return found

    async def act(
        self,
        action: Action,
        ids: Sequence[str],
        *,
        precheck: bool,
        since: datetime | None,
        read: Mapping[str, Target],
    ) -> list[IdResult]:
        """Do the action's verb to `ids`: one result per id, in order. `read`: what the access policy just
        read (used instead of reading again); `since`: when a resumed action first started."""
        incident_ids, case_ids = self.split(ids)
        runs = []
        if incident_ids:
            runs.append(self._incidents(action.verb, incident_ids, precheck=precheck, since=since, read=read))
        if case_ids:
            runs.append(self._cases(action, case_ids, since=since, read=read))
        results = {r.id: r for batch in await asyncio.gather(*runs) for r in batch}
        return [results[i] for i in dict.fromkeys(ids)]

    async def _incidents(
        self, verb: Verb, ids: list[str], *, precheck: bool, since: datetime | None, read: Mapping[str, Target]
    ) -> list[IdResult]:
        if verb is Verb.CLOSE:
            return [IdResult(i, Outcome.NOT_FOUND, reason=CLOSE_IS_FOR_CASES) for i in ids]
        if verb is Verb.ACKNOWLEDGE:
            return await self.incidents.acknowledge(ids)
        seen = {i: t for i, t in read.items() if isinstance(t, Incident)}
        # One incident is resolved without a read first (see resolve_verified); several are read first.
        precheck = precheck or bool(seen) or len(ids) > 1
        return await self.incidents.resolve(ids, precheck=precheck, since=since, read=seen or None)

    async def _cases(
        self, action: Action, ids: list[str], *, since: datetime | None, read: Mapping[str, Target]
    ) -> list[IdResult]:
        seen = {i: t for i, t in read.items() if isinstance(t, Case)} or None
        if action.verb is Verb.CLOSE:
            return await self.cases.close(ids, since=since, read=seen)
        if action.verb is Verb.ACKNOWLEDGE:
            return await self.cases.acknowledge(ids, since=since, read=seen)
        return await self.cases.resolve(ids, note=action.note, since=since, read=seen)
