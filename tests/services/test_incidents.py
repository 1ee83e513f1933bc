"""IncidentService.resolve against the real CoralogixClient talking to an in-memory fake Coralogix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.api import ApiVersion, AuthenticationError, RetryPolicy
from bot.services.actions import IdResult, Outcome, Report
from bot.services.incidents import IncidentService
from bot.services.resolving import BISECT_CALL_BUDGET
from tests.factories import uuid
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.http import RecordingSleep, coralogix_client

MAX_ATTEMPTS = 3


A, B, C, D, E = (uuid(n) for n in range(1, 6))
UNKNOWN = "00000000-dead-4bee-8f00-000000000000"


@pytest.fixture(params=[ApiVersion.LTS, ApiVersion.V5], ids=["lts", "v5"])
def version(request: pytest.FixtureRequest) -> ApiVersion:
    """The path family of the client and the fake (every test runs against both)."""
    family: ApiVersion = request.param
    return family


@pytest.fixture
def fake(version: ApiVersion) -> FakeCoralogix:
    """An empty fake Coralogix serving only that path family."""
    return FakeCoralogix(versions=(version,))


@pytest.fixture
def sleep() -> RecordingSleep:
    """The retry sleep: records, never waits."""
    return RecordingSleep()


@pytest.fixture
async def service(fake: FakeCoralogix, version: ApiVersion, sleep: RecordingSleep) -> AsyncIterator[IncidentService]:
    """The service over a real client wired to the fake, with retries on (and instant)."""
    retry = RetryPolicy(max_attempts=MAX_ATTEMPTS)
    client = coralogix_client(fake.transport(), version=version, retry=retry, sleep=sleep)
    yield IncidentService(client)
    await client.aclose()


async def resolve(service: IncidentService, ids: list[str], **options: Any) -> Report:
    """`service.resolve` with its results as a Report, as the pipeline holds them."""
    return Report(results=await service.resolve(ids, **options))


def outcomes(results: list[IdResult]) -> dict[str, Outcome]:
    """Outcome per id."""
    return {r.id: r.outcome for r in results}


async def test_two_ids_are_resolved(fake: FakeCoralogix, service: IncidentService) -> None:
    """Two open incidents are resolved in one call and confirmed by the resolve answer alone."""
    fake.add(A, B)

    report = await resolve(service, [A, B])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, B: Outcome.RESOLVED}
    assert all(r.incident is not None and r.incident.is_resolved for r in report.results)
    assert fake.ids_of("resolve") == [[A, B]]
    assert fake.ids_of("batch_get") == [[A, B]]  # the pre-check only; nothing needed reading back


async def test_already_resolved_id_is_not_resolved_again(fake: FakeCoralogix, service: IncidentService) -> None:
    """An id the pre-check shows resolved is ALREADY_RESOLVED and left out of the resolve call."""
    fake.add(A)
    fake.add(make_incident(B, status="INCIDENT_STATUS_RESOLVED"))

    report = await resolve(service, [A, B])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, B: Outcome.ALREADY_RESOLVED}
    assert report.results[1].incident is not None
    assert fake.ids_of("resolve") == [[A]]


async def test_nothing_to_resolve_makes_no_resolve_call(fake: FakeCoralogix, service: IncidentService) -> None:
    """When every id is already resolved or unknown, no resolve call is made at all."""
    fake.add(make_incident(A, status="INCIDENT_STATUS_RESOLVED"))

    report = await resolve(service, [A, UNKNOWN])

    assert outcomes(report.results) == {A: Outcome.ALREADY_RESOLVED, UNKNOWN: Outcome.NOT_FOUND}
    assert fake.ids_of("resolve") == []


async def test_unknown_id_is_not_found_and_the_rest_resolved(fake: FakeCoralogix, service: IncidentService) -> None:
    """An id batch-get lists in notFoundIds is NOT_FOUND with a reason; the others are resolved without it."""
    fake.add(A, B)

    report = await resolve(service, [A, UNKNOWN, B])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, UNKNOWN: Outcome.NOT_FOUND, B: Outcome.RESOLVED}
    assert report.results[1].reason
    assert fake.ids_of("resolve") == [[A, B]]


@pytest.mark.parametrize(("status", "expected"), [(400, Outcome.FAILED), (404, Outcome.FAILED)])
async def test_rejected_batch_is_bisected(
    fake: FakeCoralogix, service: IncidentService, status: int, expected: Outcome
) -> None:
    """When resolve rejects a batch for one id the pre-check passed, bisection resolves the rest and marks that id."""
    good = [A, B, D, E]
    fake.add(*good, C)
    fake.reject = {C: status}

    report = await resolve(service, [A, B, C, D, E])

    assert outcomes(report.results) == {**dict.fromkeys(good, Outcome.RESOLVED), C: expected}
    assert report.results[2].reason
    assert fake.ids_of("resolve")[0] == [A, B, C, D, E]
    accepted = [ids for ids in fake.ids_of("resolve") if C not in ids]
    assert sorted(i for ids in accepted for i in ids) == sorted(good)  # each good id resolved exactly once
    assert all(fake.incidents[i]["status"] == "INCIDENT_STATUS_RESOLVED" for i in good)


async def test_incident_deleted_after_the_precheck_is_not_found(fake: FakeCoralogix, service: IncidentService) -> None:
    """An incident that vanishes between pre-check and resolve is isolated, read back, and reported NOT_FOUND."""
    fake.add(A, B, C)
    fake.deleted_after_first_read = {B}

    report = await resolve(service, [A, B, C])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, B: Outcome.NOT_FOUND, C: Outcome.RESOLVED}


async def test_left_out_and_still_triggered_is_failed(fake: FakeCoralogix, service: IncidentService) -> None:
    """A 200 that leaves an id out, with a read-back showing it still triggered, gives FAILED with a reason."""
    fake.add(A, B)
    fake.ignored = {B}

    report = await resolve(service, [A, B])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, B: Outcome.FAILED}
    reason = report.results[1].reason
    assert reason is not None
    assert "did not confirm" in reason
    assert "triggered" in reason
    assert fake.ids_of("batch_get") == [[A, B], [B]]  # pre-check, then a read-back of B only


async def test_left_out_but_resolved_on_read_back_is_resolved(fake: FakeCoralogix, service: IncidentService) -> None:
    """A 200 that leaves an id out counts as RESOLVED only because the read-back shows it resolved."""
    fake.add(A, B)
    fake.unreported = {B}

    report = await resolve(service, [A, B])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, B: Outcome.RESOLVED}
    assert report.results[1].incident is not None
    assert report.results[1].incident.is_resolved
    assert fake.ids_of("batch_get") == [[A, B], [B]]


async def test_2500_ids_are_chunked_and_bounded(fake: FakeCoralogix, service: IncidentService) -> None:
    """2500 ids take 3 resolve calls of at most 1000 ids, with never more than 4 calls in flight."""
    ids = [uuid(n) for n in range(2500)]
    fake.add(*ids)
    fake.delay = 0.005  # long enough for concurrent calls to overlap inside the fake

    report = await resolve(service, ids)

    calls = fake.ids_of("resolve")
    assert sorted(len(c) for c in calls) == [500, 1000, 1000]
    assert sorted(i for c in calls for i in c) == sorted(ids)
    assert all(r.outcome is Outcome.RESOLVED for r in report.results)
    assert 1 < fake.max_in_flight["all"] <= 4
    assert fake.max_in_flight["resolve"] == 3  # all three chunks ran at once
    assert fake.max_in_flight["batch_get"] == 4  # 25 pre-check chunks, 4 at a time


async def test_bisection_stays_within_the_concurrency_limit(fake: FakeCoralogix, service: IncidentService) -> None:
    """Bisecting a chunk with a few rejected ids isolates each one with never more than 4 calls in flight."""
    ids = [uuid(n) for n in range(200)]
    bad = {ids[7], ids[100], ids[181]}
    fake.add(*ids)
    fake.reject = dict.fromkeys(bad, 400)
    fake.delay = 0.002

    report = await resolve(service, ids)

    assert {r.id for r in report.of(Outcome.FAILED)} == bad
    assert {r.id for r in report.of(Outcome.RESOLVED)} == set(ids) - bad
    assert fake.max_in_flight["resolve"] <= 4


async def test_bisection_is_bounded_when_everything_is_rejected(fake: FakeCoralogix, service: IncidentService) -> None:
    """A rejection of every id costs at most 1 + BISECT_CALL_BUDGET resolve calls, not 2n - 1, and fails them all."""
    ids = [uuid(n) for n in range(1000)]
    fake.add(*ids)
    fake.reject = dict.fromkeys(ids, 400)

    report = await resolve(service, ids)

    assert len(fake.ids_of("resolve")) <= 1 + BISECT_CALL_BUDGET
    assert len(report.of(Outcome.FAILED)) == 1000
    assert all("cannot be resolved" in (r.reason or "") for r in report.results)


async def test_every_id_gets_one_result_in_request_order(fake: FakeCoralogix, service: IncidentService) -> None:
    """Whatever happens to each id, the report has exactly one result per requested id, in request order."""
    fake.add(A, C, D, E)
    fake.add(make_incident(B, status="INCIDENT_STATUS_RESOLVED"))
    fake.reject = {D: 400}
    fake.ignored = {E}
    ids = [E, UNKNOWN, B, D, A, C]

    report = await resolve(service, ids)

    assert [r.id for r in report.results] == ids
    assert [r.outcome for r in report.results] == [
        Outcome.FAILED,
        Outcome.NOT_FOUND,
        Outcome.ALREADY_RESOLVED,
        Outcome.FAILED,
        Outcome.RESOLVED,
        Outcome.RESOLVED,
    ]
    assert [r.id for r in report.of(Outcome.FAILED)] == [E, D]
    assert all(r.reason for r in report.results if r.outcome in (Outcome.FAILED, Outcome.NOT_FOUND))


async def test_forbidden_batch_get_falls_back_to_resolving_without_precheck(
    fake: FakeCoralogix, service: IncidentService
) -> None:
    """A 403 on the pre-check (no incidents:read) does not stop the resolve: all ids are sent and confirmed."""
    fake.add(A, B)
    fake.statuses["batch_get"] = 403

    report = await resolve(service, [A, B])

    assert outcomes(report.results) == {A: Outcome.RESOLVED, B: Outcome.RESOLVED}
    assert fake.ids_of("resolve") == [[A, B]]
    assert fake.ids_of("batch_get") == [[A, B]]  # the refused pre-check, not retried


async def test_server_error_on_every_resolve_attempt_fails_all(
    fake: FakeCoralogix, service: IncidentService, sleep: RecordingSleep
) -> None:
    """A 500 on every attempt marks every id FAILED with Coralogix's error as the reason, after the retries."""
    fake.add(A, B)
    fake.statuses["resolve"] = 500

    report = await resolve(service, [A, B])

    assert outcomes(report.results) == {A: Outcome.FAILED, B: Outcome.FAILED}
    for result in report.results:
        assert result.reason is not None
        assert "5xx" in result.reason
        assert "internal error" in result.reason
    assert fake.ids_of("resolve") == [[A, B]] * MAX_ATTEMPTS
    assert len(sleep.calls) == MAX_ATTEMPTS - 1


async def test_unusable_key_on_precheck_raises(fake: FakeCoralogix, service: IncidentService) -> None:
    """A 401 on the pre-check means nothing can be done: the typed error reaches the caller, nothing is resolved."""
    fake.add(A)
    fake.statuses["batch_get"] = 401

    with pytest.raises(AuthenticationError):
        await resolve(service, [A])

    assert fake.ids_of("resolve") == []


async def test_no_ids_no_calls(fake: FakeCoralogix, service: IncidentService) -> None:
    """An empty request gives an empty report without calling Coralogix."""
    report = await resolve(service, [])

    assert report.results == []
    assert fake.calls == []


async def test_resolve_applied_but_answer_lost_counts(fake: FakeCoralogix, service: IncidentService) -> None:
    """When resolve took effect but the answer was a 502, the read-back shows it resolved: no false failure."""
    fake.add(A, B)
    fake.fail_after_resolving = 502

    report = await resolve(service, [A, B])

    assert [r.outcome for r in report.results] == [Outcome.RESOLVED, Outcome.RESOLVED]
    assert fake.ids_of("batch_get")[-1] == [A, B]
