"""CaseService against the fake Coralogix: verified outcomes per id along the Cases lifecycle, chunks, reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.api import AuthenticationError, CasePriority
from bot.api.case_models import Case
from bot.services.actions import Outcome
from bot.services.case_lifecycle import CUT_MARK, fit_reason
from bot.services.cases import NOT_A_CASE, NOT_FOUND_REASON, CaseService
from tests.factories import uuid
from tests.fakes.cases import ACKNOWLEDGED, ACTIVE, CLOSED, LONG_AGO, PENDING, RESOLVED, lean_case, make_case
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.http import cases_client

OPEN, OTHER, THIRD = uuid(1), uuid(2), uuid(3)
MISSING = uuid(404)


@dataclass
class World:
    """The fake Coralogix and the service under test, on the real Cases client."""

    fake: FakeCoralogix
    service: CaseService

    def operations(self) -> list[str]:
        """The Cases calls made so far, in order."""
        return [c.operation for c in self.fake.calls]

    def reason_of(self, case_id: str) -> str | None:
        """The resolve reason Coralogix stored on the case."""
        case = self.fake.cases.find(case_id)
        assert case is not None
        return case.get("resolutionDetails", {}).get("reason")


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """A fresh fake with no cases, and a CaseService over a client with retries off."""
    fake = FakeCoralogix()
    client = cases_client(fake.transport())
    yield World(fake, CaseService(client))
    await client.aclose()
    assert fake.violations == []


# -- resolve ---------------------------------------------------------------------------------------


async def test_open_cases_are_resolved_in_one_call_with_the_note(world: World) -> None:
    """Active, acknowledged and pending cases are resolved by one bulk call carrying the note; no read-back."""
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=ACKNOWLEDGED), make_case(THIRD, status=PENDING))

    results = await world.service.resolve([OPEN, OTHER, THIRD], note="  rolled back 4.2.1  ")

    assert [r.outcome for r in results] == [Outcome.RESOLVED] * 3
    assert world.operations() == ["case_resolve"]
    assert {world.reason_of(i) for i in (OPEN, OTHER, THIRD)} == {"rolled back 4.2.1"}
    assert all(r.case is not None and r.case.is_resolved and r.incident is None for r in results)


async def test_1500_cases_resolve_in_exactly_two_calls(world: World) -> None:
    """A bulk of 1 500 open cases costs two resolve calls (1 000 + 500) and nothing else."""
    ids = [uuid(n) for n in range(1500)]
    world.fake.cases.add(*(lean_case(i) for i in ids))

    results = await world.service.resolve(ids, note="maintenance")

    assert world.operations() == ["case_resolve", "case_resolve"]
    assert sorted(len(ids) for ids in world.fake.ids_of("case_resolve")) == [500, 1000]
    assert [r.id for r in results] == ids and {r.outcome for r in results} == {Outcome.RESOLVED}


async def test_one_case_with_a_short_note_uses_the_single_call(world: World) -> None:
    """One case and a reason within 500 characters: the single-case PUT."""
    world.fake.cases.add(OPEN)

    [result] = await world.service.resolve([OPEN], note="x" * 500)

    assert result.outcome is Outcome.RESOLVED
    assert world.operations() == ["case_resolve_one"]
    assert world.reason_of(OPEN) == "x" * 500


async def test_a_600_character_note_goes_through_the_bulk_call_intact(world: World) -> None:
    """A reason over the single call's 500 goes through the bulk call (4 096), unchanged, even for one case."""
    note = "Rolled back the deploy;" + " details" * 72 + "."
    world.fake.cases.add(OPEN)

    [result] = await world.service.resolve([OPEN], note=note)

    assert len(note) == 600 and result.outcome is Outcome.RESOLVED
    [call] = world.fake.calls
    assert call.operation == "case_resolve" and call.body == {"ids": [OPEN], "reason": note}
    assert world.reason_of(OPEN) == note


async def test_a_note_over_4096_characters_is_cut_not_refused(world: World) -> None:
    """A note longer than any call takes is cut to 4 096 characters ending in "…", and the case resolved."""
    note = "".join(f"line {n}: checked\n" for n in range(400))
    world.fake.cases.add(OPEN)

    [result] = await world.service.resolve([OPEN], note=note)

    reason = world.reason_of(OPEN)
    assert result.outcome is Outcome.RESOLVED and reason is not None
    assert len(note) > 4096 and len(reason) == 4096
    assert reason.endswith(CUT_MARK) and note.startswith(reason[:-1].rstrip())


@pytest.mark.parametrize(
    ("note", "reason"),
    [(None, None), ("   \n", None), ("x" * 4096, "x" * 4096), ("é" * 5000, "é" * 4095 + CUT_MARK)],
)
def test_fit_reason(note: str | None, reason: str | None) -> None:
    """Blank notes send no reason; up to 4 096 characters go as they are; longer ones are cut with a mark."""
    assert fit_reason(note) == reason


async def test_already_resolved_is_told_apart_from_resolved(world: World) -> None:
    """A case resolved long before the action is ALREADY_RESOLVED, with when; the open one is RESOLVED."""
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=RESOLVED))

    results = await world.service.resolve([OTHER, OPEN])

    assert [r.outcome for r in results] == [Outcome.ALREADY_RESOLVED, Outcome.RESOLVED]
    assert results[0].at == datetime.fromisoformat(LONG_AGO)
    assert world.reason_of(OTHER) == "fixed"  # its reason is not overwritten
    assert world.operations() == ["case_resolve"]


async def test_a_closed_case_that_blocks_the_bulk_call_is_already_closed(world: World) -> None:
    """Coralogix rejects the whole call for a closed case: the read-back finds it, the others go again."""
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=CLOSED), make_case(THIRD))

    results = await world.service.resolve([OPEN, OTHER, THIRD], note="done")

    assert [r.outcome for r in results] == [Outcome.RESOLVED, Outcome.ALREADY_CLOSED, Outcome.RESOLVED]
    assert world.operations() == ["case_resolve", "case_get", "case_get", "case_get", "case_resolve"]
    assert world.fake.ids_of("case_resolve")[1] == [OPEN, THIRD]
    assert world.fake.cases.status_of(OTHER) == CLOSED  # a closed case is never reopened


async def test_cases_a_bulk_call_skips_are_read_back(world: World) -> None:
    """When Coralogix leaves closed and unknown cases out of its answer instead, the read-back names them."""
    world.fake.cases.bulk_skips_invalid = True
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=CLOSED))

    results = await world.service.resolve([OPEN, OTHER, MISSING])

    assert [r.outcome for r in results] == [Outcome.RESOLVED, Outcome.ALREADY_CLOSED, Outcome.NOT_FOUND]
    assert results[2].reason == NOT_FOUND_REASON
    assert world.operations() == ["case_resolve", "case_get", "case_get"]


async def test_an_unknown_case_is_not_found_and_the_other_resolved_alone(world: World) -> None:
    """A 404 for the whole call: the unknown id is NOT_FOUND, and the one case left goes by the single call."""
    world.fake.cases.add(OPEN)

    results = await world.service.resolve([MISSING, OPEN])

    assert [r.outcome for r in results] == [Outcome.NOT_FOUND, Outcome.RESOLVED]
    assert world.operations() == ["case_resolve", "case_get", "case_get", "case_resolve_one"]


async def test_what_is_not_a_case_id_is_never_sent(world: World) -> None:
    """A token that is neither a UUID nor a readable id is NOT_FOUND at once, with why."""
    world.fake.cases.add(make_case(OPEN, readable_id="CASE-7"))

    results = await world.service.resolve(["hello", "CASE-7", "case-7"])

    assert [(r.id, r.outcome) for r in results] == [
        ("hello", Outcome.NOT_FOUND),
        ("CASE-7", Outcome.RESOLVED),
        ("case-7", Outcome.NOT_FOUND),
    ]
    assert results[0].reason == NOT_A_CASE
    assert world.fake.ids_of("case_resolve_one") == [["CASE-7"]]


async def test_results_keep_the_ids_as_asked(world: World) -> None:
    """An upper-case UUID is sent in lower case (the spec's pattern) but its result keeps the id as asked."""
    world.fake.cases.add(OPEN)

    [result] = await world.service.resolve([OPEN.upper()])

    assert (result.id, result.outcome) == (OPEN.upper(), Outcome.RESOLVED)
    assert world.fake.ids_of("case_resolve_one") == [[OPEN]]


async def test_a_failed_call_is_failed_with_coralogix_words(world: World) -> None:
    """A 500 (retries off here) leaves the cases open: FAILED with Coralogix's message, after a read-back."""
    world.fake.cases.add(OPEN, OTHER)
    world.fake.statuses["case_resolve"] = 500

    results = await world.service.resolve([OPEN, OTHER])

    assert {r.outcome for r in results} == {Outcome.FAILED}
    assert all(r.reason and "internal error" in r.reason for r in results)
    assert world.operations() == ["case_resolve", "case_get", "case_get"]
    assert world.fake.cases.status_of(OPEN) == ACTIVE


async def test_an_answer_that_confirms_nothing_is_failed(world: World) -> None:
    """A 200 that leaves the case out and the case still open is not taken as success."""
    world.fake.cases.add(OPEN, OTHER)
    world.fake.cases.ignored = {OPEN, OTHER}

    results = await world.service.resolve([OPEN, OTHER])

    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED]
    assert results[0].reason == "Coralogix answered the resolve call but the case is still active."


async def test_a_refused_key_raises(world: World) -> None:
    """When Coralogix refuses the key for every call, nothing could be done: AuthenticationError."""
    world.fake.cases.add(OPEN, OTHER)
    world.fake.statuses["case_resolve"] = 401

    with pytest.raises(AuthenticationError):
        await world.service.resolve([OPEN, OTHER])


async def test_a_resumed_action_counts_its_own_earlier_resolve(world: World) -> None:
    """With `since`, a case resolved after the action first started is RESOLVED, not ALREADY_RESOLVED."""
    world.fake.cases.add(OPEN)
    since = datetime.now(UTC) - timedelta(minutes=5)
    await world.service.resolve([OPEN])  # the interrupted first run

    [result] = await world.service.resolve([OPEN], since=since)

    assert result.outcome is Outcome.RESOLVED


async def test_cases_the_caller_read_are_not_read_again(world: World) -> None:
    """With `read`, settled and missing cases cost no call; only the open one is resolved."""
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=RESOLVED), make_case(THIRD, status=CLOSED))
    read = {i: Case.model_validate(world.fake.cases.cases[i]) for i in (OPEN, OTHER, THIRD)}

    results = await world.service.resolve([OPEN, OTHER, THIRD, MISSING], read=read)

    outcomes = [Outcome.RESOLVED, Outcome.ALREADY_RESOLVED, Outcome.ALREADY_CLOSED, Outcome.NOT_FOUND]
    assert [r.outcome for r in results] == outcomes
    assert world.operations() == ["case_resolve_one"]


async def test_a_slow_coralogix_fails_within_the_deadline(world: World) -> None:
    """Calls that outlast the action's deadline leave FAILED results that say so."""
    world.fake.cases.add(OPEN)
    world.fake.delay = 1.0
    world.service.deadline = 0.1

    [result] = await world.service.resolve([OPEN])

    assert result.outcome is Outcome.FAILED and result.reason == "Coralogix did not finish within 0.1 s"


# -- close and acknowledge -------------------------------------------------------------------------


async def test_close_along_the_lifecycle(world: World) -> None:
    """Active and resolved cases are CLOSED by one call; one closed long ago is ALREADY_CLOSED."""
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=RESOLVED), make_case(THIRD, status=CLOSED))

    results = await world.service.close([OPEN, OTHER, THIRD, MISSING])

    outcomes = [Outcome.CLOSED, Outcome.CLOSED, Outcome.ALREADY_CLOSED, Outcome.NOT_FOUND]
    assert [r.outcome for r in results] == outcomes
    assert world.fake.cases.status_of(OPEN) == world.fake.cases.status_of(OTHER) == CLOSED
    assert world.operations() == ["case_close", *["case_get"] * 4, "case_close"]  # the 404 was MISSING's


async def test_acknowledge_along_the_lifecycle(world: World) -> None:
    """One PUT each; acknowledged, resolved and closed cases say so, and a pending one fails with why."""
    world.fake.cases.add(make_case(OPEN), make_case(OTHER, status=ACKNOWLEDGED), make_case(THIRD, status=RESOLVED))
    world.fake.cases.add(make_case(uuid(4), status=CLOSED), make_case(uuid(5), status=PENDING))

    results = await world.service.acknowledge([OPEN, OTHER, THIRD, uuid(4), uuid(5), MISSING])

    assert [r.outcome for r in results] == [
        Outcome.ACKNOWLEDGED,
        Outcome.ALREADY_ACKNOWLEDGED,
        Outcome.ALREADY_RESOLVED,
        Outcome.ALREADY_CLOSED,
        Outcome.FAILED,
        Outcome.NOT_FOUND,
    ]
    assert results[4].reason is not None and "not active yet" in results[4].reason
    assert len(world.fake.calls_of("case_acknowledge")) == 6


async def test_a_resolved_case_cannot_be_reopened(world: World) -> None:
    """Acknowledging a case this action's bot just resolved is ALREADY_RESOLVED, and it stays resolved."""
    world.fake.cases.add(OPEN)
    await world.service.resolve([OPEN])

    [result] = await world.service.acknowledge([OPEN])

    assert result.outcome is Outcome.ALREADY_RESOLVED
    assert world.fake.cases.status_of(OPEN) == RESOLVED


# -- reads -----------------------------------------------------------------------------------------


async def test_open_cases_most_urgent_first(world: World) -> None:
    """Active and acknowledged cases only, P1 first, then newest."""
    world.fake.cases.add(make_case(OPEN, priority="CASE_PRIORITY_P3"), make_case(OTHER, priority="CASE_PRIORITY_P1"))
    world.fake.cases.add(make_case(THIRD, status=RESOLVED), make_case(uuid(4), status=PENDING))

    cases = await world.service.open_cases()

    assert [c.id for c in cases] == [OTHER, OPEN]
    assert [c.id for c in await world.service.open_cases(priority=CasePriority.P3)] == [OPEN]


async def test_lookup_link_and_comment(world: World) -> None:
    """lookup keys found cases by the id asked; link is Coralogix's page URL; a comment lands on the case."""
    world.fake.cases.add(make_case(OPEN, readable_id="CASE-9"))

    found = await world.service.lookup(["CASE-9", MISSING, "junk"])
    link = await world.service.link("CASE-9")
    await world.service.comment("CASE-9", "Resolved from Slack by Dana")

    assert list(found) == ["CASE-9"] and found["CASE-9"].id == OPEN
    assert link == "https://acme.app.coralogix.test/#/cases/CASE-9"
    assert world.fake.cases.comments == {OPEN: ["Resolved from Slack by Dana"]}


async def test_no_link_when_coralogix_refuses(world: World) -> None:
    """A refused deep-link call gives no link, not an error: a message without it is still useful."""
    world.fake.cases.add(OPEN)
    world.fake.statuses["case_deep_links"] = 403

    assert await world.service.link(OPEN) is None
