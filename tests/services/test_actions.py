"""The vocabulary of actions: which outcomes are done, and a case's result surviving the job journal."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.api.case_models import Case
from bot.services.actions import IdResult, Outcome
from tests.fakes.coralogix import load_fixture


def test_closed_outcomes_are_done() -> None:
    """A case closed, by this action or before it, is where the person wanted it; failures are not."""
    assert Outcome.CLOSED.done and Outcome.ALREADY_CLOSED.done
    assert not any(o.done for o in (Outcome.FAILED, Outcome.NOT_FOUND, Outcome.REFUSED, Outcome.IN_FLIGHT))


def test_a_case_result_survives_the_journal() -> None:
    """A case's result comes back from JSON with the case fields summaries show, and nothing of an incident."""
    case = Case.model_validate(load_fixture("case_resolved.json"))
    at = datetime(2025, 9, 22, 11, 15, tzinfo=UTC)
    result = IdResult("CASE-124", Outcome.ALREADY_RESOLVED, at=at, case=case)

    back = IdResult.from_json(result.to_json())

    assert back.incident is None and back.case is not None
    assert (back.id, back.outcome, back.at) == ("CASE-124", Outcome.ALREADY_RESOLVED, at)
    assert (back.case.id, back.case.readable_id, back.case.title) == (case.id, "CASE-124", case.title)
    assert (back.case.status, back.case.priority, back.case.labels) == (case.status, case.priority, case.labels)
    assert back.case.resolution_details is None  # the reason is the person's note: the journal keeps it elsewhere
