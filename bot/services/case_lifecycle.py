"""What a case's state means for a step asked of it, and how a person's note becomes a resolve reason.

The lifecycle, as the Cases overview documents it: PENDING_ACTIVATION → ACTIVE ⇄ ACKNOWLEDGED →
RESOLVED → CLOSED. A closed case is past every step (ALREADY_CLOSED, whatever was asked); a resolved
case cannot be reopened, so acknowledging it is ALREADY_RESOLVED, while closing it is still to do.

Whether this action took a step, or someone before it, is read from the time Coralogix stamped on
the case (resolveTime, acknowledgeTime, and for a close updateTime: the spec has no close time),
against the moment the action started, less CLOCK_SKEW for clocks that disagree. A case read
before anything was done (`started=None`) is someone else's doing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.api.case_models import Case
from bot.api.cases import BULK_REASON_LIMIT
from bot.api.enums import CaseStatus
from bot.services.actions import IdResult, Outcome

# Coralogix's clock and ours may disagree by a few seconds; a step stamped this much before the
# action started still counts as the action's. Someone else's step within that window would be
# credited to the action: a race the bot's own claims already make rare.
CLOCK_SKEW = timedelta(seconds=30)
CUT_MARK = "…"


class Step(StrEnum):
    """What an action asks of a case."""

    RESOLVE = "resolve"
    CLOSE = "close"
    ACKNOWLEDGE = "acknowledge"


def fit_reason(note: str | None) -> str | None:
    """The resolve reason for a person's note: trimmed, None when empty, and cut to BULK_REASON_LIMIT
    characters (the most any Cases call takes) ending in CUT_MARK, so an over-long note never costs
    the resolve; the whole note stays with the action (the journal, the Slack summary)."""
    text = (note or "").strip()
    if len(text) <= BULK_REASON_LIMIT:
        return text or None
    return text[: BULK_REASON_LIMIT - len(CUT_MARK)].rstrip() + CUT_MARK


def settled(step: Step, case_id: str, case: Case, started: datetime | None) -> IdResult | None:
    """The outcome `case`'s state gives `step`, or None while the step is still to be taken."""
    if case.is_closed:
        if step is Step.CLOSE and _ours(case.update_time, started):
            return IdResult(case_id, Outcome.CLOSED, case=case)
        return IdResult(case_id, Outcome.ALREADY_CLOSED, case=case)
    if case.is_resolved and step is not Step.CLOSE:
        if step is Step.RESOLVE and _ours(case.resolved_at, started):
            return IdResult(case_id, Outcome.RESOLVED, case=case)
        return IdResult(case_id, Outcome.ALREADY_RESOLVED, case=case, at=case.resolved_at)
    if step is Step.ACKNOWLEDGE and case.status is CaseStatus.ACKNOWLEDGED:
        if _ours(case.acknowledge_time, started):
            return IdResult(case_id, Outcome.ACKNOWLEDGED, case=case)
        return IdResult(case_id, Outcome.ALREADY_ACKNOWLEDGED, case=case, at=case.acknowledge_time)
    return None


def status_word(case: Case | None) -> str:
    """The case's status as words (`active`, `pending activation`…), for messages."""
    if case is None or case.status is None:
        return "in an unknown state"
    return case.status.value.removeprefix("CASE_STATUS_").lower().replace("_", " ")


def _ours(stamp: datetime | None, started: datetime | None) -> bool:
    """Whether a step stamped at `stamp` was taken by the action that started at `started`."""
    return started is not None and (stamp is None or stamp >= started - CLOCK_SKEW)
