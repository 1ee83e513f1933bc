"""The pydantic models against canned Coralogix payloads, the enums of the notes and the specs' own examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.api.models import (
    BatchGetResponse,
    FilterOperator,
    Incident,
    IncidentEventType,
    IncidentField,
    IncidentFilter,
    IncidentSeverity,
    IncidentsResponse,
    IncidentState,
    IncidentStatus,
    OrderByDirection,
    OriginatorType,
    UpsertIncidentStateType,
    parse_duration,
)
from tests.conftest import SPECS
from tests.fakes.coralogix import load_fixture

FULL_ID = "3f6d2a1e-8c4b-4e0f-9a57-1b2c3d4e5f60"

# Every value the notes (§6) list for the enums the bot models.
NOTES_ENUMS: dict[type[Enum], list[str]] = {
    IncidentState: ["INCIDENT_STATE_UNSPECIFIED", "INCIDENT_STATE_TRIGGERED", "INCIDENT_STATE_RESOLVED"],
    IncidentStatus: [
        "INCIDENT_STATUS_UNSPECIFIED",
        "INCIDENT_STATUS_TRIGGERED",
        "INCIDENT_STATUS_ACKNOWLEDGED",
        "INCIDENT_STATUS_RESOLVED",
    ],
    IncidentSeverity: [
        "INCIDENT_SEVERITY_UNSPECIFIED",
        "INCIDENT_SEVERITY_INFO",
        "INCIDENT_SEVERITY_WARNING",
        "INCIDENT_SEVERITY_ERROR",
        "INCIDENT_SEVERITY_CRITICAL",
        "INCIDENT_SEVERITY_LOW",
    ],
    IncidentEventType: [
        "INCIDENT_EVENT_TYPE_UNSPECIFIED",
        "INCIDENT_EVENT_TYPE_UPSERT_STATE",
        "INCIDENT_EVENT_TYPE_OPEN",
        "INCIDENT_EVENT_TYPE_CLOSE",
        "INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR",
        "INCIDENT_EVENT_TYPE_ASSIGN",
        "INCIDENT_EVENT_TYPE_ACKNOWLEDGE",
        "INCIDENT_EVENT_TYPE_UNASSIGN",
    ],
    UpsertIncidentStateType: [
        "UPSERT_INCIDENT_STATE_TYPE_UNSPECIFIED",
        "UPSERT_INCIDENT_STATE_TYPE_TRIGGERED",
        "UPSERT_INCIDENT_STATE_TYPE_RESOLVED",
    ],
    OriginatorType: ["ORIGINATOR_TYPE_UNSPECIFIED", "ORIGINATOR_TYPE_OPERATIONAL", "ORIGINATOR_TYPE_ADMINISTRATIVE"],
    IncidentField: [
        "INCIDENTS_FIELDS_UNSPECIFIED",
        "INCIDENTS_FIELDS_ID",
        "INCIDENTS_FIELDS_SEVERITY",
        "INCIDENTS_FIELDS_NAME",
        "INCIDENTS_FIELDS_CREATED_TIME",
        "INCIDENTS_FIELDS_CLOSED_TIME",
        "INCIDENTS_FIELDS_STATE",
        "INCIDENTS_FIELDS_STATUS",
        "INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME",
        "INCIDENTS_FIELDS_APPLICATION_NAME",
        "INCIDENTS_FIELDS_SUBSYSTEM_NAME",
        "INCIDENTS_FIELDS_DURATION",
    ],
    OrderByDirection: ["ORDER_BY_DIRECTION_UNSPECIFIED", "ORDER_BY_DIRECTION_ASC", "ORDER_BY_DIRECTION_DESC"],
    FilterOperator: ["FILTER_OPERATOR_OR_OR_UNSPECIFIED", "FILTER_OPERATOR_AND"],
}


def full_incident() -> Incident:
    """The canned incident that carries every field and every event payload."""
    return Incident.model_validate(load_fixture("incident_full.json"))


def incident(**fields: Any) -> Incident:
    """A minimal incident with `fields` given in wire (camelCase) form."""
    return Incident.model_validate({"id": "a1b2c3d4-0000-4000-8000-000000000001", **fields})


# -- the full incident ------------------------------------------------------------------------


def test_full_incident_parses_every_field() -> None:
    """Every top-level field of the canned incident lands in its typed attribute."""
    parsed = full_incident()

    assert parsed.id == FULL_ID
    assert parsed.name == "High error rate in checkout"
    assert parsed.state is IncidentState.RESOLVED
    assert parsed.status is IncidentStatus.RESOLVED
    assert parsed.severity is IncidentSeverity.CRITICAL
    assert parsed.description is not None
    assert parsed.description.startswith("More than 50 error logs")
    assert [
        (a.assigned_to and a.assigned_to.user_id, a.assigned_by and a.assigned_by.user_id) for a in parsed.assignments
    ] == [("dana.levi@example.com", "omer.katz@example.com")]
    assert parsed.contextual_labels["alert_id"] == "8a41e5c3-2f7d-4b9e-a0c6-5d13f7e92b48"
    assert parsed.display_labels["coralogix.metadata.subsystemName"] == "payments-api"
    assert parsed.created_at == datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
    assert parsed.closed_at == datetime(2026, 3, 14, 10, 26, 54, 89000, tzinfo=UTC)
    assert parsed.last_state_update_time == parsed.closed_at
    assert parsed.last_state_update_key == "9d8e7f60-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
    assert parsed.is_muted is False
    assert [(m.key, m.value) for m in parsed.meta_labels] == [("team", "payments"), ("env", "production")]
    assert parsed.duration == timedelta(seconds=3600.5)
    assert parsed.model_extra == {}


def test_every_event_payload_and_originator_parses() -> None:
    """Each event payload kind and both originator kinds of the full incident come out typed."""
    events = {e.incident_event_type: e for e in full_incident().events}
    upserts = [e for e in full_incident().events if e.upsert_state]

    assert [e.upsert_state.state_type for e in upserts if e.upsert_state] == [
        UpsertIncidentStateType.TRIGGERED,
        UpsertIncidentStateType.RESOLVED,
    ]
    first = upserts[0]
    assert first.upsert_state and first.upsert_state.payload
    assert first.upsert_state.payload.cx_event_key == "3c1e9a07-5b2d-4f86-a4e0-7d9b2c6f1a58"
    assert first.upsert_state.is_muted is False
    assert first.originator_type is OriginatorType.OPERATIONAL
    assert first.operational_event and first.operational_event.system_name == "alerts"

    assign = events[IncidentEventType.ASSIGN]
    assert assign.assignment and assign.assignment.assignment and assign.assignment.assignment.assigned_to
    assert assign.assignment.assignment.assigned_to.user_id == "dana.levi@example.com"
    assert assign.administrative_event and assign.administrative_event.user_id == "omer.katz@example.com"
    assert assign.originator_type is OriginatorType.ADMINISTRATIVE

    ack = events[IncidentEventType.ACKNOWLEDGE]
    assert ack.acknowledge and ack.acknowledge.acknowledged_by
    assert ack.acknowledge.acknowledged_by.user_id == "dana.levi@example.com"

    snooze = events[IncidentEventType.SNOOZE_INDICATOR].snooze_indicator
    assert snooze is not None
    assert snooze.duration_minutes == 30
    assert snooze.user_id == "dana.levi@example.com"
    assert snooze.start_time == datetime(2026, 3, 14, 9, 41, 7, 118204, tzinfo=UTC)

    assert events[IncidentEventType.UNASSIGN].unassign is not None

    close = events[IncidentEventType.CLOSE].close
    assert close and close.closed_by and close.closed_by.user_id == "dana.levi@example.com"


@pytest.mark.parametrize(
    ("fixture", "index", "expected"),
    [
        ("incident_full.json", None, datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)),
        ("list_incidents_page1.json", 0, datetime(2026, 3, 14, 11, 2, 17, 250481, tzinfo=UTC)),
        ("list_incidents_page1.json", 1, datetime(2026, 3, 14, 11, 15, 42, 907311, tzinfo=UTC)),
    ],
    ids=["3-digits", "6-digits", "9-digits"],
)
def test_created_at_with_3_6_or_9_fractional_digits(fixture: str, index: int | None, expected: datetime) -> None:
    """RFC 3339 timestamps with millisecond, microsecond and nanosecond precision all parse (ns truncated)."""
    raw = load_fixture(fixture)
    parsed = Incident.model_validate(raw if index is None else raw["incidents"][index])

    assert parsed.created_at == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123.4s", timedelta(seconds=123.4)),
        ("3600.5s", timedelta(seconds=3600.5)),
        ("86400s", timedelta(days=1)),
        ("0s", timedelta(0)),
        ("0.000001s", timedelta(microseconds=1)),
        ("-1.5s", timedelta(seconds=-1.5)),
        (None, None),
        ("", None),
        ("PT1H", None),
        ("12m", None),
    ],
)
def test_parse_duration(raw: str | None, expected: timedelta | None) -> None:
    """proto3 JSON durations ("<seconds>s") become timedeltas; absent or malformed ones become None."""
    assert parse_duration(raw) == expected


def test_incident_duration_field_is_a_timedelta() -> None:
    """The incident's duration string is parsed on the model, and a malformed one does not fail the incident."""
    assert incident(duration="123.4s").duration == timedelta(seconds=123.4)
    assert incident(duration="soon").duration is None


# -- enums ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enum", "value"),
    [(enum, value) for enum, values in NOTES_ENUMS.items() for value in values],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_every_documented_enum_value_is_a_known_member(enum: type[Enum], value: str) -> None:
    """Each enum value listed in the notes parses to a declared member, not an improvised one."""
    assert enum(value) in list(enum)


def test_documented_values_parse_inside_an_incident() -> None:
    """Documented status, state, severity and event-type values come out as declared members."""
    for status in NOTES_ENUMS[IncidentStatus]:
        for state in NOTES_ENUMS[IncidentState]:
            parsed = incident(status=status, state=state)
            assert parsed.status in list(IncidentStatus)
            assert parsed.state in list(IncidentState)
    for severity in NOTES_ENUMS[IncidentSeverity]:
        assert incident(severity=severity).severity in list(IncidentSeverity)


@pytest.mark.parametrize(
    ("field", "value", "attribute"),
    [
        ("status", "INCIDENT_STATUS_SNOOZED", "status"),
        ("state", "INCIDENT_STATE_SUPPRESSED", "state"),
        ("severity", "INCIDENT_SEVERITY_CATASTROPHIC", "severity"),
    ],
)
def test_unknown_future_enum_value_parses(field: str, value: str, attribute: str) -> None:
    """A value Coralogix adds later parses (as a pseudo-member with that value) instead of failing the incident."""
    parsed = incident(**{field: value})

    member = getattr(parsed, attribute)
    assert member == value
    assert member.value == value
    assert member not in type(member).__members__.values()


def test_unknown_status_is_neither_resolved_nor_open() -> None:
    """An incident in an unknown future status is not counted as resolved or as open."""
    parsed = incident(status="INCIDENT_STATUS_SNOOZED", state="INCIDENT_STATE_TRIGGERED")

    assert not parsed.is_resolved


# -- tolerance --------------------------------------------------------------------------------


def test_sparse_future_incident_parses() -> None:
    """Nulls, unknown fields, unknown enum values and an unknown event payload all parse."""
    parsed = Incident.model_validate(load_fixture("incident_sparse.json"))

    assert parsed.name is None
    assert parsed.status == "INCIDENT_STATUS_SNOOZED"
    assert parsed.model_extra == {"caseId": "CASE-1042", "priority": {"level": "P1", "source": "alert"}}
    [event] = parsed.events
    assert event.incident_event_type == "INCIDENT_EVENT_TYPE_ESCALATE"
    assert event.originator_type == "ORIGINATOR_TYPE_AUTOMATION"
    assert event.model_extra is not None
    assert event.model_extra["escalate"] == {"toPolicy": "payments-p1"}


def test_unknown_fields_are_tolerated_at_every_level() -> None:
    """Fields the models do not know, at the top, in events and in responses, are kept, not rejected."""
    raw = load_fixture("incident_full.json")
    raw["slaBreached"] = True
    raw["events"][0]["correlationKey"] = "ck-1"
    raw["assignments"][0]["assignedTo"]["email"] = "dana.levi@example.com"

    answer = IncidentsResponse.model_validate({"incidents": [raw], "nextCursor": "x"})

    [parsed] = answer.incidents
    assert parsed.model_extra == {"slaBreached": True}
    assert parsed.events[0].model_extra == {"correlationKey": "ck-1"}
    assert answer.model_extra == {"nextCursor": "x"}


def test_null_lists_and_maps_become_empty() -> None:
    """proto3 JSON may send null for empty repeated and map fields; the models make them empty."""
    parsed = Incident.model_validate(load_fixture("incident_sparse.json") | {"events": None})

    assert parsed.assignments == []
    assert parsed.events == []
    assert parsed.meta_labels == []
    assert parsed.contextual_labels == {}
    assert parsed.display_labels == {}
    assert IncidentsResponse.model_validate({"incidents": None}).incidents == []
    empty = BatchGetResponse.model_validate({"incidents": None, "notFoundIds": None})
    assert (empty.incidents, empty.not_found_ids) == ({}, [])


def test_absent_fields_take_defaults() -> None:
    """An incident that is only an id (proto3 omits defaults) parses with empty or None fields."""
    parsed = incident()

    assert (parsed.status, parsed.state, parsed.created_at, parsed.duration) == (None, None, None, None)
    assert parsed.events == []
    assert parsed.contextual_labels == {}


@pytest.mark.parametrize(
    "raw",
    [{}, {"id": None}, {"id": "x", "events": "not-a-list"}, {"id": "x", "createdAt": "yesterday"}],
    ids=["no-id", "null-id", "events-not-list", "bad-timestamp"],
)
def test_broken_incident_is_rejected(raw: dict[str, Any]) -> None:
    """A payload that breaks the contract (no id, wrong types) raises instead of passing silently."""
    with pytest.raises(ValidationError):
        Incident.model_validate(raw)


# -- properties -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state", "resolved"),
    [
        ("INCIDENT_STATUS_RESOLVED", "INCIDENT_STATE_RESOLVED", True),
        ("INCIDENT_STATUS_RESOLVED", None, True),
        (None, "INCIDENT_STATE_RESOLVED", True),
        ("INCIDENT_STATUS_UNSPECIFIED", "INCIDENT_STATE_RESOLVED", True),
        ("INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATE_TRIGGERED", False),
        ("INCIDENT_STATUS_ACKNOWLEDGED", "INCIDENT_STATE_TRIGGERED", False),
        ("INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATE_RESOLVED", False),
        (None, "INCIDENT_STATE_TRIGGERED", False),
        (None, None, False),
    ],
)
def test_is_resolved(status: str | None, state: str | None, resolved: bool) -> None:
    """Status decides (what users see); the state counts only when the status is missing or unspecified."""
    parsed = incident(status=status, state=state)

    assert parsed.is_resolved is resolved


def test_application_and_subsystem_come_from_labels() -> None:
    """application / subsystem read the display labels first, then the contextual labels, else None."""
    assert (full_incident().application, full_incident().subsystem) == ("checkout", "payments-api")

    from_contextual = incident(contextualLabels={"applicationName": "billing", "subsystem_name": "invoicer"})
    assert (from_contextual.application, from_contextual.subsystem) == ("billing", "invoicer")

    preferring_display = incident(
        displayLabels={"coralogix.metadata.applicationName": "shown"},
        contextualLabels={"applicationName": "hidden"},
    )
    assert preferring_display.application == "shown"

    unlabeled = incident(displayLabels={"region": "eu-west-1", "myapplicationName": "no"})
    assert (unlabeled.application, unlabeled.subsystem) == (None, None)


def test_batch_get_response_is_a_map_keyed_by_id() -> None:
    """BatchGet's `incidents` is an object keyed by id, and notFoundIds lists the misses."""
    raw = load_fixture("batch_get_incidents.json")

    answer = BatchGetResponse.model_validate(raw)

    assert list(answer.incidents) == list(raw["incidents"])
    assert all(answer.incidents[key].id == key for key in answer.incidents)
    assert answer.incidents[FULL_ID].is_resolved
    assert answer.not_found_ids == ["00000000-dead-4bee-8f00-000000000000"]


def test_filter_to_wire_leaves_unset_fields_out() -> None:
    """An empty filter is an empty object; application names use the spec's camelCase key."""
    assert IncidentFilter().to_wire() == {}
    assert IncidentFilter(application_name=["checkout"]).to_wire() == {"applicationName": ["checkout"]}


# -- the specs' own examples ------------------------------------------------------------------


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """An instance built from a schema's `example` values (first enum value or first oneOf branch otherwise)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth)
    if "example" in schema:
        return schema["example"]
    if "oneOf" in schema:
        return _example(schema["oneOf"][0], components, depth)
    if "enum" in schema:
        return schema["enum"][0]
    if depth > 6:
        return None
    if schema.get("type") == "array":
        item = _example(schema["items"], components, depth + 1)
        return [] if item is None else [item]
    if "properties" in schema:
        built = {name: _example(sub, components, depth + 1) for name, sub in schema["properties"].items()}
        return {name: value for name, value in built.items() if value is not None}
    if schema.get("type") == "object":
        return {}
    return None


@pytest.mark.parametrize(
    ("spec", "schema_name"), [("incidents-lts.yaml", "v1Incident"), ("incidents-v5.yaml", "Incident")]
)
def test_spec_incident_example_parses(spec: str, schema_name: str) -> None:
    """The Incident built from each spec's own `example` values parses, with those values."""
    document = yaml.safe_load(Path(SPECS, spec).read_text())
    components = document["components"]["schemas"]

    example = _example(components[schema_name], components)
    parsed = Incident.model_validate(example)

    assert parsed.id == "incident_id"
    assert parsed.name == "incident_name"
    assert parsed.description == "incident_description"
    assert parsed.created_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert parsed.last_state_update_key == "last_state_update_key"
    assert parsed.is_muted is False
    assert parsed.status is IncidentStatus.UNSPECIFIED
    assert [(m.key, m.value) for m in parsed.meta_labels] == [("key", "value")]
    assert parsed.events, "the example carries at least one event"
