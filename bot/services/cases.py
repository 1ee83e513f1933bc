"""Case use cases, free of Slack: resolve, close and acknowledge with one verified outcome per id, and reads.

As for incidents (`bot.services.resolving`), a 200 is never taken as success on its own: a case
counts as resolved, closed or acknowledged only once Coralogix shows it so, in the call's answer
or in a read-back. The spec has no batch read of cases, so the service acts first and reads back,
one case at a time, only what the answers did not confirm: 1 500 open cases cost two resolve calls
and nothing else. Who took a step (this action or someone before it) is told as
`bot.services.case_lifecycle` says, or exactly when the caller passes the cases it has just read.

What Coralogix does with an unknown, resolved or closed id in a bulk call is not documented. If it
rejects the call (400/404), the read-back finds the ids that were in the way, and the others of that
call are tried once more without them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.api import ApiError, AuthenticationError, BadRequestError, BulkAnswer, NotFoundError
from bot.api.case_ids import case_ref
from bot.api.case_models import Case, CaseEvent, CaseFilters
from bot.api.cases import CasesClient
from bot.api.enums import CasePriority, CaseStatus
from bot.errors import UpstreamError
from bot.services.actions import IdResult, Outcome
from bot.services.case_lifecycle import Step, fit_reason, settled, status_word

logger = logging.getLogger(__name__)

NOT_FOUND_REASON = "no such case in Coralogix"
NOT_A_CASE = "not a case id: a case is named by its UUID or its readable id, such as CASE-123"
UNCONFIRMED = "Coralogix answered the {step} call but the case is still {status}."
# The steps of one action (retries, read-backs and the second try included) get this long in all;
# ids still unanswered then fail, so the person hears within about a minute.
ACTION_DEADLINE = 40.0
# Cases read back one by one per action; beyond, an unconfirmed id fails with its call's error.
READ_BACK_LIMIT = 200
OPEN_SCAN_LIMIT = 1000
# A view (picker, App Home) never sits on "Loading…" longer than this; then it says why.
LOAD_DEADLINE = 10.0
Act = Callable[[list[str]], Awaitable[list[BulkAnswer]]]


class CaseService:
    """Case operations over one Cases client."""

    def __init__(
        self, api: CasesClient, *, deadline: float = ACTION_DEADLINE, load_deadline: float = LOAD_DEADLINE
    ) -> None:
        self.api = api
        self.deadline = deadline
        self.load_deadline = load_deadline

    async def resolve(
        self,
        ids: Sequence[str],
        *,
        note: str | None = None,
        since: datetime | None = None,
        read: Mapping[str, Case] | None = None,
    ) -> list[IdResult]:
        """Resolve `ids` with the person's note as the reason (see `fit_reason`); one result per id, in order.

        `since`: when a resumed action first started (a case it resolved before the interruption is
        RESOLVED, not ALREADY_RESOLVED); `read`: the cases as the caller just read them, by id.
        Raises only when Coralogix refused the key for every call (nothing could be done).
        """
        reason = fit_reason(note)
        return await self._run(
            Step.RESOLVE, ids, lambda refs: self.api.resolve_cases(ids=refs, reason=reason), since, read
        )

    async def close(
        self, ids: Sequence[str], *, since: datetime | None = None, read: Mapping[str, Case] | None = None
    ) -> list[IdResult]:
        """Close `ids` (no reason: the spec's close takes none; `comment` can carry one); as `resolve`."""
        return await self._run(Step.CLOSE, ids, lambda refs: self.api.close_cases(ids=refs), since, read)

    async def acknowledge(
        self, ids: Sequence[str], *, since: datetime | None = None, read: Mapping[str, Case] | None = None
    ) -> list[IdResult]:
        """Acknowledge `ids`, one call each; a resolved case is ALREADY_RESOLVED (it cannot be reopened)."""
        return await self._run(Step.ACKNOWLEDGE, ids, lambda refs: self.api.acknowledge_cases(ids=refs), since, read)

    async def lookup(self, ids: Sequence[str]) -> dict[str, Case]:
        """The cases Coralogix knows among `ids`, by the id asked (read-only; unreadable ones left out)."""
        refs = {i: ref for i in ids if (ref := case_ref(i))}
        found = (await self.api.get_cases(ids=list(refs.values()))).found if refs else {}
        return {i: found[ref] for i, ref in refs.items() if ref in found}

    async def open_cases(
        self, *, priority: CasePriority | None = None, search: str | None = None, limit: int = 100
    ) -> list[Case]:
        """Active or acknowledged cases, most urgent first, then newest (read-only)."""
        filters = CaseFilters(
            statuses=[CaseStatus.ACTIVE, CaseStatus.ACKNOWLEDGED],
            priorities=[priority] if priority else None,
            text_search=search or None,
        )
        found = await self.api.list_cases(filters=filters, limit=OPEN_SCAN_LIMIT)
        return sorted(found, key=lambda c: (c.urgency, -(c.create_time.timestamp() if c.create_time else 0.0)))[:limit]

    async def open_for_view(self, *, limit: int = 100) -> list[Case]:
        """`open_cases` within `load_deadline`; an `UpstreamError` saying so when Coralogix is slower."""
        try:
            async with asyncio.timeout(self.load_deadline):
                return await self.open_cases(limit=limit)
        except TimeoutError:
            raise UpstreamError(f"Coralogix did not answer within {self.load_deadline:g} s.") from None

    async def comment(self, case_id: str, text: str) -> CaseEvent:
        """Add `text` to the case's timeline (Coralogix names the API key as its author; say who in `text`)."""
        return await self.api.comment(case_id=case_ref(case_id) or case_id, text=text)

    async def link(self, case_id: str) -> str | None:
        """Coralogix's URL of the case page, or None when Coralogix does not give one."""
        try:
            return (await self.api.deep_links(case_id=case_ref(case_id) or case_id)).detail or None
        except ApiError as e:
            logger.warning("no deep link for case %s: %s", case_id, e.message)
            return None

    # -- one verified run ----------------------------------------------------------------------

    async def _run(
        self, step: Step, ids: Sequence[str], act: Act, since: datetime | None, read: Mapping[str, Case] | None
    ) -> list[IdResult]:
        started = since or datetime.now(UTC)
        results: dict[str, IdResult] = {}
        refs = {i: ref for i in dict.fromkeys(ids) if (ref := case_ref(i))}
        for bad in (i for i in ids if i not in refs):
            results[bad] = IdResult(bad, Outcome.NOT_FOUND, reason=NOT_A_CASE)
        todo = _known(step, refs, read, results) if read is not None else list(dict.fromkeys(refs.values()))
        try:
            async with asyncio.timeout(self.deadline):
                for second_try in (False, True):
                    if not todo:
                        break
                    answers = await act(todo)
                    refused = [e for a in answers if isinstance(e := a.error, AuthenticationError)]
                    if refused and len(refused) == len(answers):
                        raise refused[0]  # the key is refused: nothing can be done, and the message says why
                    todo = await self._check(step, answers, started, results, last_try=second_try)
        except TimeoutError:
            reason = f"Coralogix did not finish within {self.deadline:g} s"
            for ref in refs.values():
                results.setdefault(ref, IdResult(ref, Outcome.FAILED, reason=reason))
        return [results[i] if i not in refs else replace(results[refs[i]], id=i) for i in ids]

    async def _check(
        self, step: Step, answers: list[BulkAnswer], started: datetime, results: dict[str, IdResult], *, last_try: bool
    ) -> list[str]:
        """Settle what the answers show; read back the rest. Returns the ids worth one more try."""
        pending: dict[str, BulkAnswer] = {}
        for answer in answers:
            for ref in answer.ids:
                case = answer.case_for(ref)
                if case is not None and (done := settled(step, ref, case, started)):
                    results[ref] = done
                else:
                    pending[ref] = answer
        if not pending:
            return []
        lookup = await self.api.get_cases(ids=list(pending)[:READ_BACK_LIMIT])
        for ref in pending:
            case = lookup.found.get(ref)
            if ref in lookup.not_found:
                results[ref] = IdResult(ref, Outcome.NOT_FOUND, reason=NOT_FOUND_REASON)
            elif case is not None and (done := settled(step, ref, case, started)):
                results[ref] = done
        cleared = {ref for ref in pending if ref in results}  # gone, or already where they were asked to go
        again: list[str] = []
        for ref, answer in pending.items():
            if ref in cleared:
                continue
            case = lookup.found.get(ref)
            if case is not None and not last_try and _in_the_way(answer, cleared):
                again.append(ref)
                continue
            if answer.error is not None:
                reason = answer.error.message
            elif case is not None:
                reason = UNCONFIRMED.format(step=step.value, status=status_word(case))
            else:
                read_error = lookup.errors.get(ref)
                why = f"reading it back failed: {read_error.message}" if read_error else "too many to read back"
                reason = f"Coralogix did not confirm the {step.value} ({why})."
            results[ref] = IdResult(ref, Outcome.FAILED, reason=reason, case=case)
        return again


def _known(step: Step, refs: Mapping[str, str], read: Mapping[str, Case], results: dict[str, IdResult]) -> list[str]:
    """Settle what the caller's read already tells (before anything was done); the rest is still to do."""
    todo: list[str] = []
    for asked, ref in refs.items():
        case = read.get(asked) or read.get(ref)
        if case is None:
            results[ref] = IdResult(ref, Outcome.NOT_FOUND, reason=NOT_FOUND_REASON)
        elif done := settled(step, ref, case, None):
            results[ref] = done
        elif ref not in todo:
            todo.append(ref)
    return todo


def _in_the_way(answer: BulkAnswer, cleared: set[str]) -> bool:
    """Whether a call Coralogix rejected named other ids the read-back found gone or already settled."""
    if not isinstance(answer.error, BadRequestError | NotFoundError) or len(answer.ids) < 2:
        return False
    return any(ref in cleared for ref in answer.ids)
