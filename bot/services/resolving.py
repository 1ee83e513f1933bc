"""Resolving many incidents, verified id by id: a 200 from the resolve call is never taken as success.

The legacy path may ignore the request body and answer 200 with nothing resolved, and what
resolve does with unknown or resolved ids is not documented; so an id counts as resolved only
when Coralogix shows it resolved, in the resolve answer or in a read-back. That also makes
retrying resolve after an ambiguous failure (a read timeout, a 5xx) safe, and lets an action
that was interrupted resume: it reads the incidents first and resolves what still needs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bot.api import (
    RESOLVE_CHUNK,
    ApiError,
    AuthenticationError,
    BadRequestError,
    CoralogixClient,
    Incident,
    NotFoundError,
)
from bot.api.http import MAX_CONCURRENCY
from bot.services.actions import IdResult, Outcome

logger = logging.getLogger(__name__)

NOT_FOUND_REASON = "no such incident in Coralogix"
# Extra resolve calls one action may spend isolating ids Coralogix rejects. Enough to find a few
# bad ids among 1 000 (about 20 calls each); a rejection of everything fails fast instead of
# costing 2n - 1 calls.
BISECT_CALL_BUDGET = 64
# The resolve calls of one action (retries and bisection included) get this long in all; ids
# still unanswered are then read back like any other failure, so the user hears within ~a minute.
RESOLVE_DEADLINE = 40.0
# Without a pre-check, an incident Coralogix says was closed this long before the resolve call was
# already resolved; closed later (or without a time), by this call. The margin absorbs the clocks
# of the bot and Coralogix disagreeing; someone else resolving it within it counts as this call.
CLOSED_BEFORE_MARGIN = timedelta(seconds=5)
UNCONFIRMED = (
    "Coralogix answered the resolve call but did not confirm this incident as resolved "
    "(it is still {status}). If this repeats for every incident, the host may be ignoring the request "
    "body: try CORALOGIX_API_VERSION=5."
)


async def resolve_verified(
    api: CoralogixClient,
    ids: Sequence[str],
    *,
    precheck: bool = True,
    since: datetime | None = None,
    read: Mapping[str, Incident] | None = None,
) -> list[IdResult]:
    """Resolve `ids`; every id gets exactly one outcome, in order. Raises only if nothing could be done.

    `precheck=False` skips the read that tells "already resolved" and "not found" apart up front
    (one Coralogix call instead of two): an incident the answer (or the read-back) shows closed
    before the call began was already resolved; an id Coralogix does not know fails the resolve
    and the read-back says NOT_FOUND. The checks after the resolve decide every outcome.
    With `since` (a resumed action), an incident resolved after that
    moment was resolved by this action's interrupted run: it counts as RESOLVED, not ALREADY.
    `read`: the incidents, read just now by the caller (the access policy looked at them): the
    pre-check uses them instead of reading again.
    """
    results: dict[str, IdResult] = {}
    started = datetime.now(UTC)
    to_resolve = await _precheck(api, ids, results, since, read) if precheck else list(ids)
    chunks = [to_resolve[i : i + RESOLVE_CHUNK] for i in range(0, len(to_resolve), RESOLVE_CHUNK)]
    run = _ResolveRun(api)
    try:
        async with asyncio.timeout(RESOLVE_DEADLINE):
            for chunk_results in await asyncio.gather(*(run.resolve_chunk(c) for c in chunks)):
                results.update({r.id: r for r in chunk_results})
    except TimeoutError:
        reason = f"Coralogix did not finish resolving within {RESOLVE_DEADLINE:.0f} s"
        for incident_id in to_resolve:
            results.setdefault(incident_id, IdResult(incident_id, Outcome.FAILED, reason=reason))
    await _read_back_failures(api, results)
    if not precheck:
        _tell_already(results, before=started - CLOSED_BEFORE_MARGIN)
    return [results[i] for i in ids]


def _tell_already(results: dict[str, IdResult], *, before: datetime) -> None:
    """RESOLVED ids whose incident Coralogix shows closed before `before` were resolved already."""
    for incident_id, result in results.items():
        incident = result.incident
        if result.outcome is not Outcome.RESOLVED or incident is None:
            continue
        closed = incident.closed_at or incident.last_state_update_time
        if closed is not None and closed < before:
            results[incident_id] = IdResult(incident_id, Outcome.ALREADY_RESOLVED, incident, at=closed)


async def _precheck(
    api: CoralogixClient,
    ids: Sequence[str],
    results: dict[str, IdResult],
    since: datetime | None,
    read: Mapping[str, Incident] | None,
) -> list[str]:
    """Read the incidents first (unless `read` already): unknown and resolved ids need no resolve call."""
    if read is None:
        try:
            found = await api.batch_get_incidents(ids=ids)
        except AuthenticationError:
            raise  # the key is refused: resolving cannot work either, and the message says what to fix
        except ApiError as e:
            # The pre-check is an optimisation; resolve and its read-back still classify every id.
            logger.warning("pre-check failed (%s); resolving without it", e.message)
            return list(ids)
        read = {i: incident for i, incident in found.incidents.items() if i not in set(found.not_found_ids)}
    open_ids: list[str] = []
    for incident_id in ids:
        incident = read.get(incident_id)
        if incident is None:
            results[incident_id] = IdResult(incident_id, Outcome.NOT_FOUND, reason=NOT_FOUND_REASON)
        elif incident.is_resolved:
            ours = since is not None and incident.closed_at is not None and incident.closed_at >= since
            outcome = Outcome.RESOLVED if ours else Outcome.ALREADY_RESOLVED
            results[incident_id] = IdResult(incident_id, outcome, incident, at=incident.closed_at)
        else:
            open_ids.append(incident_id)
    return open_ids


async def _read_back_failures(api: CoralogixClient, results: dict[str, IdResult]) -> None:
    """Read back every id whose resolve did not visibly succeed; only what Coralogix shows counts."""
    pending = [r.id for r in results.values() if r.outcome is Outcome.FAILED]
    if not pending:
        return
    try:
        found = await api.batch_get_incidents(ids=pending)
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
            reason = old.reason or UNCONFIRMED.format(status=status_word(incident))
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
        except AuthenticationError:
            raise  # the key is refused: nothing can be done, and the message says what to fix
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


def status_word(incident: Incident | None) -> str:
    """The incident's status as a word (`triggered`, `acknowledged`…), for messages."""
    if incident is None or incident.status is None:
        return "not resolved"
    return incident.status.value.removeprefix("INCIDENT_STATUS_").lower()
