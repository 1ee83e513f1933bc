"""Each id of an action goes to the service of what it names; answers come back in the order asked."""

from __future__ import annotations

from bot.api.case_ids import Entity
from bot.services.actions import Action, Outcome, Surface, Verb
from bot.services.cases import CaseService
from bot.services.incidents import IncidentService
from bot.services.targets import CLOSE_IS_FOR_CASES, Targets
from tests.fakes.cases import RESOLVED, make_case
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.http import cases_client, coralogix_client

CASE = "a1a1a1a1-0000-4000-8000-000000000001"
INCIDENT = "11111111-1111-4111-8111-111111111111"


def targets(cx: FakeCoralogix, entity: Entity) -> Targets:
    """Targets over the real clients on the fake's transport."""
    transport = cx.transport()
    return Targets(IncidentService(coralogix_client(transport)), CaseService(cases_client(transport)), entity)


def action(verb: Verb, *ids: str) -> Action:
    """A command asking `verb` of `ids`."""
    return Action(key="k", surface=Surface.COMMAND, verb=verb, user="U1", ids=ids)


def world() -> FakeCoralogix:
    """One incident and one case (CASE-101)."""
    cx = FakeCoralogix()
    cx.add(make_incident(INCIDENT))
    cx.cases.add(make_case(CASE, readable_id="CASE-101"))
    return cx


async def test_an_incidents_tenant_sends_readable_ids_to_cases_and_uuids_to_incidents() -> None:
    """`CASE-101` and an incident UUID in one action: each resolved by its own service, results in order."""
    cx = world()
    found = await targets(cx, Entity.INCIDENTS).act(
        action(Verb.RESOLVE, "CASE-101", INCIDENT), ["CASE-101", INCIDENT], precheck=True, since=None, read={}
    )
    assert [(r.id, r.outcome) for r in found] == [("CASE-101", Outcome.RESOLVED), (INCIDENT, Outcome.RESOLVED)]
    assert cx.cases.status_of(CASE) == RESOLVED
    assert cx.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_RESOLVED"


async def test_a_cases_tenant_takes_every_uuid_for_a_case() -> None:
    """On a Cases tenant a UUID is a case: an incident's UUID is no such case, and no incidents path is called."""
    cx = world()
    found = await targets(cx, Entity.CASES).act(
        action(Verb.RESOLVE, CASE, INCIDENT), [CASE, INCIDENT], precheck=True, since=None, read={}
    )
    assert [r.outcome for r in found] == [Outcome.RESOLVED, Outcome.NOT_FOUND]
    assert all(str(c.operation).startswith("case_") for c in cx.calls)


async def test_close_of_an_incident_is_answered_without_a_call() -> None:
    """Close is for cases: an incident id gets its answer and Coralogix is not called for it."""
    cx = world()
    (result,) = await targets(cx, Entity.INCIDENTS).act(
        action(Verb.CLOSE, INCIDENT), [INCIDENT], precheck=True, since=None, read={}
    )
    assert result.outcome is Outcome.NOT_FOUND and result.reason == CLOSE_IS_FOR_CASES
    assert cx.calls == []
