"""The Cases models against canned answers and the spec's enums; the readable-id helper against the spec's pattern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

import pytest

from bot.api import case_ref, is_case_id
from bot.api.case_models import Case, CaseAnswer, CaseFilters, CasesAnswer
from bot.api.enums import (
    CaseCategory,
    CaseOrderByDirection,
    CaseOrderByField,
    CasePriority,
    CaseStatus,
    IndicatorPriority,
    IndicatorState,
)
from tests.fakes.coralogix import load_fixture
from tests.fakes.openapi import raw_spec

ID = "3f166e9f-3c88-4af2-b52e-138f339dab3e"
SPEC_ENUMS: dict[type[Enum], str] = {
    CaseStatus: "CaseStatus",
    CasePriority: "CasePriority",
    CaseCategory: "CaseCategory",
    IndicatorPriority: "IndicatorPriority",
    IndicatorState: "IndicatorState",
    CaseOrderByField: "CaseOrderByField",
    CaseOrderByDirection: "CaseOrderByDirection",
}


@pytest.mark.parametrize("enum", list(SPEC_ENUMS))
def test_enums_are_the_specs(enum: type[Enum]) -> None:
    """Each modelled enum has exactly the values cases-v5.yaml lists, in its order."""
    spec_values = raw_spec("cases-v5.yaml")["components"]["schemas"][SPEC_ENUMS[enum]]["enum"]

    assert [member.value for member in enum] == spec_values


def test_active_case_fixture_parses_every_field_the_bot_reads() -> None:
    """The full active case: ids, title, status, priority, labels, groupings, times, duration and alert ids."""
    case = Case.model_validate(load_fixture("case_active.json"))

    assert (case.id, case.readable_id, case.ref) == (ID, "CASE-123", "CASE-123")
    assert case.title == "Checkout latency p99 > 2s"
    assert case.status is CaseStatus.ACTIVE and case.is_open
    assert case.priority is CasePriority.P2 and case.category is CaseCategory.AVAILABILITY
    assert case.label("team") == "payments"
    assert case.label("coralogix.metadata.applicationName") == "checkout"  # groupings are read too
    assert case.create_time == datetime(2026, 3, 14, 11, 2, 17, 250000, tzinfo=UTC)
    assert case.duration == timedelta(minutes=30)
    assert case.alert_ids == ["8a41e5c3-2f7d-4b9e-a0c6-5d13f7e92b48"]
    assert case.resolution_details is None and case.resolved_at is None


def test_resolved_case_fixture_has_its_resolution() -> None:
    """The resolved case: its reason, when, what kind of resolver, its assignee and its override priority."""
    case = CaseAnswer.model_validate(load_fixture("resolve_case.json")).case

    assert case.is_resolved and not case.is_open and not case.is_closed
    assert case.resolution_details is not None
    assert case.resolution_details.reason == "False alarm: the load test ran against production."
    assert case.resolved_at == datetime(2025, 9, 22, 11, 15, tzinfo=UTC)
    assert case.resolution_details.resolver == "apiKey"
    assert case.assignee is not None and case.assignee.user_id == "3af152ee-9eaf-4803-87f1-23c5fb2fbaa0"
    assert case.effective_priority is CasePriority.P1


def test_unknown_enum_values_and_fields_are_tolerated() -> None:
    """A status, priority, category or indicator state Coralogix adds later parses; unknown fields are kept."""
    wire = load_fixture("case_active.json")
    wire |= {"status": "CASE_STATUS_SNOOZED", "priority": "CASE_PRIORITY_P0", "category": "CASE_CATEGORY_COST"}
    wire["caseIndicators"]["alertIndicators"][0]["state"] = "INDICATOR_STATE_FLAPPING"
    wire["slaPolicy"] = {"name": "gold"}

    case = Case.model_validate(wire)

    assert case.status == "CASE_STATUS_SNOOZED" and case.status not in list(CaseStatus)
    assert case.priority == "CASE_PRIORITY_P0" and case.category == "CASE_CATEGORY_COST"
    assert case.case_indicators is not None
    assert case.case_indicators.alert_indicators[0].state == "INDICATOR_STATE_FLAPPING"
    assert case.model_extra == {"slaPolicy": {"name": "gold"}}
    assert case.is_open  # neither resolved nor closed as far as the bot can tell


def test_sparse_case_parses() -> None:
    """proto3 leaves out defaults: a case with only its id, or with nulls, still parses."""
    case = CasesAnswer.model_validate({"cases": [{"id": ID, "labels": None, "groupings": None}], "pagination": None})

    [only] = case.cases
    assert only.ref == ID and only.labels == [] and only.status is None and only.duration is None
    assert CasesAnswer.model_validate({"cases": None}).cases == []


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"priority": "CASE_PRIORITY_P3", "priorityDetails": {"override": "CASE_PRIORITY_P1"}}, CasePriority.P3),
        (
            {"priority": "CASE_PRIORITY_UNSPECIFIED", "priorityDetails": {"override": "CASE_PRIORITY_P1"}},
            CasePriority.P1,
        ),
        ({"priorityDetails": {"system": "CASE_PRIORITY_P4"}}, CasePriority.P4),
        ({}, None),
    ],
)
def test_effective_priority(wire: dict[str, object], expected: CasePriority | None) -> None:
    """`priority` wins; without it, the user's override, then the system's value."""
    assert Case.model_validate({"id": ID, **wire}).effective_priority == expected


def test_urgency_sorts_p1_first_and_unknown_last() -> None:
    """P1 before P5, and a case without a known priority after all of them."""
    cases = [Case(id=str(n), priority=p) for n, p in enumerate([None, CasePriority.P5, CasePriority.P1])]

    assert [c.id for c in sorted(cases, key=lambda c: c.urgency)] == ["2", "1", "0"]


def test_duration_is_milliseconds() -> None:
    """`duration` is an int64 of milliseconds on the wire, as a string or a number."""
    assert Case.model_validate({"id": ID, "duration": "1500"}).duration == timedelta(seconds=1.5)
    assert Case.model_validate({"id": ID, "duration": 60000}).duration == timedelta(minutes=1)
    assert Case.model_validate({"id": ID, "duration": ""}).duration is None


def test_empty_filters_send_nothing() -> None:
    """Unset filters are left out of the request entirely."""
    assert CaseFilters().to_wire() == {}


# -- readable ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["CASE-123", "SEC-1", "A-0", "INC-9999999999"])
def test_readable_case_ids(value: str) -> None:
    """Upper-case letters, a dash and digits: a readable case id, whatever the prefix."""
    assert is_case_id(value)
    assert case_ref(value) == value


@pytest.mark.parametrize("value", ["case-123", "CASE123", "CASE-", "-123", "CASE-12a", " CASE-1 x", "C" * 60 + "-1234"])
def test_not_readable_case_ids(value: str) -> None:
    """Lower case, a missing part, anything extra, or over the spec's 64 characters: not a case id."""
    assert not is_case_id(value)


def test_case_ref_takes_uuids_in_lower_case() -> None:
    """A UUID is a case reference too, lower-cased as the spec's pattern requires; anything else is None."""
    assert case_ref(" 3F166E9F-3C88-4AF2-B52E-138F339DAB3E ") == ID
    assert case_ref("CASE-123 ") == "CASE-123"
    assert case_ref("not-an-id") is None
