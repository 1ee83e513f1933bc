"""IncidentService.open_incidents and search_open: the list request sent, the urgency order, the type-ahead cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.api import ApiVersion
from bot.api.models import IncidentSeverity
from bot.services.incidents import OPEN_SCAN_LIMIT, IncidentService
from tests.factories import uuid
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.http import coralogix_client

OPEN_STATUSES = ["INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATUS_ACKNOWLEDGED"]


def wire(n: int, severity: str | None, created: str | None, name: str = "") -> dict[str, Any]:
    """A spec-shaped open incident numbered `n`; None leaves severity or createdAt out, as proto3 JSON does."""
    incident = make_incident(uuid(n), name or f"Incident {n}")
    for key, value in (("severity", severity), ("createdAt", created)):
        if value is None:
            incident.pop(key, None)
        else:
            incident[key] = value
    return incident


@pytest.fixture
def fake() -> FakeCoralogix:
    """An empty fake Coralogix on the legacy paths."""
    return FakeCoralogix(versions=(ApiVersion.LTS,))


def bodies(fake: FakeCoralogix) -> list[dict[str, Any]]:
    """The body of each list request, in order."""
    return [c.body for c in fake.calls_of("list")]


def filters(fake: FakeCoralogix) -> list[dict[str, Any]]:
    """The filter of each list request, in order."""
    return [b.get("filter", {}) for b in bodies(fake)]


@pytest.fixture
async def service(fake: FakeCoralogix) -> AsyncIterator[IncidentService]:
    """The service over a real client for EU1 (legacy paths, retries off) wired to the fake; it may only list."""
    client = coralogix_client(fake.transport())
    yield IncidentService(client)
    await client.aclose()
    assert all(c.operation == "list" for c in fake.calls), "the service only lists here"


# -- open_incidents --------------------------------------------------------------------------


async def test_asks_for_triggered_and_acknowledged(fake: FakeCoralogix, service: IncidentService) -> None:
    """The list request filters on the two open statuses only, with no severity or search."""
    await service.open_incidents()
    (body,) = bodies(fake)
    assert body["filter"] == {"status": OPEN_STATUSES}
    assert body["pagination"]["pageSize"] <= OPEN_SCAN_LIMIT


@pytest.mark.parametrize("severity", list(IncidentSeverity))
async def test_severity_filter_sent(fake: FakeCoralogix, service: IncidentService, severity: IncidentSeverity) -> None:
    """A severity, when given, is sent as the filter's one severity alongside the open statuses."""
    await service.open_incidents(severity=severity)
    assert filters(fake) == [{"status": OPEN_STATUSES, "severity": [severity.value]}]


async def test_sorted_by_severity_then_newest(fake: FakeCoralogix, service: IncidentService) -> None:
    """Critical > error > warning > info > low > unknown, and newest first within a severity."""
    fake.add(
        wire(1, "INCIDENT_SEVERITY_LOW", "2026-03-14T10:00:00Z"),
        wire(2, None, "2026-03-14T11:59:00Z"),
        wire(3, "INCIDENT_SEVERITY_INFO", "2026-03-14T10:00:00Z"),
        wire(4, "INCIDENT_SEVERITY_CRITICAL", "2026-03-14T09:00:00Z"),
        wire(5, "INCIDENT_SEVERITY_WARNING", "2026-03-14T10:00:00Z"),
        wire(6, "INCIDENT_SEVERITY_CRITICAL", "2026-03-14T11:00:00Z"),
        wire(7, "INCIDENT_SEVERITY_ERROR", "2026-03-14T10:00:00Z"),
        wire(8, "INCIDENT_SEVERITY_UNSPECIFIED", "2026-03-14T10:00:00Z"),
        wire(9, "INCIDENT_SEVERITY_SOMETHING_NEW", "2026-03-14T11:30:00Z"),
        wire(10, "INCIDENT_SEVERITY_CRITICAL", None),
        wire(11, "INCIDENT_SEVERITY_CRITICAL", "2026-03-14T10:00:00Z"),
    )
    found = await service.open_incidents()
    assert [i.id for i in found] == [uuid(n) for n in (6, 11, 4, 10, 7, 5, 3, 1, 2, 9, 8)]


async def test_limit_keeps_the_most_urgent(fake: FakeCoralogix, service: IncidentService) -> None:
    """The limit applies after sorting: the most urgent incidents are kept, not the first listed."""
    fake.add(
        *(
            wire(n, severity, f"2026-03-14T1{n}:00:00Z")
            for n, severity in enumerate(
                [
                    "INCIDENT_SEVERITY_LOW",
                    "INCIDENT_SEVERITY_INFO",
                    "INCIDENT_SEVERITY_CRITICAL",
                    "INCIDENT_SEVERITY_ERROR",
                ]
            )
        )
    )
    found = await service.open_incidents(limit=2)
    assert [i.id for i in found] == [uuid(2), uuid(3)]
    assert len(bodies(fake)) == 1


async def test_nothing_open(fake: FakeCoralogix, service: IncidentService) -> None:
    """No open incidents is an empty list."""
    assert await service.open_incidents() == []


# -- search_open -----------------------------------------------------------------------------


async def test_search_sends_the_text(fake: FakeCoralogix, service: IncidentService) -> None:
    """A search sends its text, trimmed, as a name search beside the open statuses."""
    await service.search_open("  Checkout latency ", None)
    assert filters(fake) == [
        {
            "status": OPEN_STATUSES,
            "searchQuery": {"query": "Checkout latency", "incidentField": "INCIDENTS_FIELDS_NAME"},
        }
    ]


async def test_empty_search_sends_no_search_query(fake: FakeCoralogix, service: IncidentService) -> None:
    """An empty (or blank) search lists every open incident."""
    await service.search_open("   ", None)
    assert filters(fake) == [{"status": OPEN_STATUSES}]


async def test_search_sorted_most_urgent_first(fake: FakeCoralogix, service: IncidentService) -> None:
    """Search results come most severe first, like the list."""
    fake.add(
        wire(1, "INCIDENT_SEVERITY_INFO", "2026-03-14T10:00:00Z", name="db slow"),
        wire(2, "INCIDENT_SEVERITY_CRITICAL", "2026-03-14T10:00:00Z", name="db down"),
        wire(3, "INCIDENT_SEVERITY_CRITICAL", "2026-03-14T10:00:00Z", name="cache down"),
    )
    found = await service.search_open("db", None)
    assert [i.id for i in found or []] == [uuid(2), uuid(1)]


@pytest.mark.parametrize("again", ["Checkout", "  Checkout ", "\tCheckout\n"])
async def test_same_query_within_ttl_is_cached(fake: FakeCoralogix, service: IncidentService, again: str) -> None:
    """The same query again (any surrounding space) is answered from the cache, without a request."""
    fake.add(wire(1, "INCIDENT_SEVERITY_ERROR", "2026-03-14T10:00:00Z", name="Checkout errors"))
    first = await service.search_open("Checkout", IncidentSeverity.ERROR)
    second = await service.search_open(again, IncidentSeverity.ERROR)
    assert len(bodies(fake)) == 1
    assert [i.id for i in second or []] == [i.id for i in first or []] == [uuid(1)]


async def test_different_query_is_asked(fake: FakeCoralogix, service: IncidentService) -> None:
    """A different text is a new request."""
    await service.search_open("checkout", None)
    await service.search_open("checkou", None)
    assert [f["searchQuery"]["query"] for f in filters(fake)] == ["checkout", "checkou"]


async def test_different_severity_is_a_different_entry(fake: FakeCoralogix, service: IncidentService) -> None:
    """The same text with another severity (or none) is asked anew, and each answer is cached apart."""
    fake.add(
        wire(1, "INCIDENT_SEVERITY_CRITICAL", "2026-03-14T10:00:00Z", name="db down"),
        wire(2, "INCIDENT_SEVERITY_WARNING", "2026-03-14T10:00:00Z", name="db slow"),
    )
    critical = await service.search_open("db", IncidentSeverity.CRITICAL)
    warning = await service.search_open("db", IncidentSeverity.WARNING)
    every = await service.search_open("db", None)
    assert [f.get("severity") for f in filters(fake)] == [
        [IncidentSeverity.CRITICAL.value],
        [IncidentSeverity.WARNING.value],
        None,
    ]
    assert [i.id for i in critical or []] == [uuid(1)]
    assert [i.id for i in warning or []] == [uuid(2)]
    assert [i.id for i in every or []] == [uuid(1), uuid(2)]
    again = await service.search_open(" db ", IncidentSeverity.WARNING)
    assert [i.id for i in again or []] == [uuid(2)]
    assert len(bodies(fake)) == 3


async def test_case_is_kept_in_query_and_cache(fake: FakeCoralogix, service: IncidentService) -> None:
    """Whether Coralogix's search ignores case is undocumented: "Pay" and "pay" are asked (and cached) apart."""
    await service.search_open("Pay", None)
    await service.search_open("pay", None)
    assert [f["searchQuery"]["query"] for f in filters(fake)] == ["Pay", "pay"]
