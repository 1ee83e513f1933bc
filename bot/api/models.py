"""Pydantic models of the Coralogix incidents API, as in its published specs (tests/contracts/coralogix).

proto3 JSON omits default values, so every field is optional. Unknown fields are kept, and an enum
value Coralogix adds later parses as a pseudo-member instead of failing the whole response.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from bot.api.enums import (
    SEVERITY_RANK,
    FilterOperator,
    IncidentEventType,
    IncidentField,
    IncidentSeverity,
    IncidentState,
    IncidentStatus,
    OpenEnum,
    OrderByDirection,
    OriginatorType,
    UpsertIncidentStateType,
)


class Model(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields kept; frozen."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)


class UserDetails(Model):
    user_id: str | None = None


class Assignment(Model):
    assigned_to: UserDetails | None = None
    assigned_by: UserDetails | None = None


class MetaLabel(Model):
    key: str | None = None
    value: str | None = None


class SnoozeIndicator(Model):
    start_time: datetime | None = None
    duration_minutes: int | None = None
    user_id: str | None = None


class AssignmentEvent(Model):
    assignment: Assignment | None = None


class UnassignEvent(Model):
    pass


class UpsertStatePayload(Model):
    cx_event_key: str | None = None


class UpsertStateEvent(Model):
    state_type: UpsertIncidentStateType | None = None
    payload: UpsertStatePayload | None = None
    is_muted: bool | None = None


class AcknowledgeEvent(Model):
    acknowledged_by: UserDetails | None = None


class CloseEvent(Model):
    closed_by: UserDetails | None = None


class AdministrativeOriginator(Model):
    user_id: str | None = None


class OperationalOriginator(Model):
    system_name: str | None = None


class IncidentEvent(Model):
    """One event of an incident: exactly one payload key and one originator key on the wire."""

    id: str | None = None
    incident_event_type: IncidentEventType | None = None
    originator_type: OriginatorType | None = None
    snooze_indicator: SnoozeIndicator | None = None
    assignment: AssignmentEvent | None = None
    unassign: UnassignEvent | None = None
    upsert_state: UpsertStateEvent | None = None
    acknowledge: AcknowledgeEvent | None = None
    close: CloseEvent | None = None
    administrative_event: AdministrativeOriginator | None = None
    operational_event: OperationalOriginator | None = None


_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)s$")


def parse_duration(value: str | None) -> timedelta | None:
    """proto3 JSON duration (`"123.4s"`) → timedelta; None for absent or malformed values."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    return timedelta(seconds=float(match.group(1))) if match else None


class Incident(Model):
    """A Coralogix incident, as the incidents API returns it."""

    id: str
    name: str | None = None
    state: IncidentState | None = None
    status: IncidentStatus | None = None
    assignments: list[Assignment] = Field(default_factory=list)
    description: str | None = None
    severity: IncidentSeverity | None = None
    contextual_labels: dict[str, str] = Field(default_factory=dict)
    display_labels: dict[str, str] = Field(default_factory=dict)
    events: list[IncidentEvent] = Field(default_factory=list)
    created_at: datetime | None = None
    closed_at: datetime | None = None
    last_state_update_time: datetime | None = None
    last_state_update_key: str | None = None
    is_muted: bool | None = None
    meta_labels: list[MetaLabel] = Field(default_factory=list)
    duration: timedelta | None = None

    @field_validator("assignments", "events", "meta_labels", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("contextual_labels", "display_labels", mode="before")
    @classmethod
    def _null_map(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @property
    def is_resolved(self) -> bool:
        """Resolved per the status (what users see) or, failing that, the state."""
        return self.status is IncidentStatus.RESOLVED or (
            self.status in (None, IncidentStatus.UNSPECIFIED) and self.state is IncidentState.RESOLVED
        )

    @property
    def application(self) -> str | None:
        """The application name, from whichever label carries it."""
        return _first_label(self, "applicationName", "application_name", "application")

    @property
    def subsystem(self) -> str | None:
        """The subsystem name, from whichever label carries it."""
        return _first_label(self, "subsystemName", "subsystem_name", "subsystem")


def _first_label(incident: Incident, *suffixes: str) -> str | None:
    for labels in (incident.display_labels, incident.contextual_labels):
        for key, value in labels.items():
            if value and any(key == s or key.endswith("." + s) for s in suffixes):
                return value
    return None


class Pagination(Model):
    total_size: int | None = None
    next_page_token: str | None = None


class IncidentsResponse(Model):
    """Resolve, acknowledge, close and list all answer `{"incidents": [...]}`."""

    incidents: list[Incident] = Field(default_factory=list)
    pagination: Pagination | None = None

    @field_validator("incidents", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        return [] if value is None else value


class GetIncidentResponse(Model):
    incident: Incident


class BatchGetResponse(Model):
    """BatchGet answers a map keyed by id, plus the ids it did not find."""

    incidents: dict[str, Incident] = Field(default_factory=dict)
    not_found_ids: list[str] = Field(default_factory=list)

    @field_validator("incidents", "not_found_ids", mode="before")
    @classmethod
    def _null(cls, value: Any, info: Any) -> Any:
        if value is None:
            return {} if info.field_name == "incidents" else []
        return value


class IncidentFilter(Model):
    """The subset of IncidentQueryFilter the bot uses; unset fields are left out of the request."""

    status: list[IncidentStatus] | None = None
    state: list[IncidentState] | None = None
    severity: list[IncidentSeverity] | None = None
    contextual_labels: dict[str, list[str]] | None = None
    search: str | None = None
    application_name: list[str] | None = None
    subsystem_name: list[str] | None = None

    def to_wire(self) -> dict[str, Any]:
        """The filter as the spec's JSON: labels wrapped, search as a `searchQuery` on incident fields."""
        wire: dict[str, Any] = self.model_dump(
            by_alias=True, exclude_none=True, mode="json", exclude={"contextual_labels", "search"}
        )
        if self.contextual_labels:
            wire["contextualLabels"] = {
                key: {"contextualLabelValues": values} for key, values in self.contextual_labels.items()
            }
        if self.search:
            wire["searchQuery"] = {"query": self.search, "incidentField": IncidentField.NAME.value}
        return wire


# The enums live in bot.api.enums; they are re-exported here with the models that use them.
__all__ = [
    "SEVERITY_RANK",
    "AcknowledgeEvent",
    "AdministrativeOriginator",
    "Assignment",
    "AssignmentEvent",
    "BatchGetResponse",
    "CloseEvent",
    "FilterOperator",
    "GetIncidentResponse",
    "Incident",
    "IncidentEvent",
    "IncidentEventType",
    "IncidentField",
    "IncidentFilter",
    "IncidentSeverity",
    "IncidentState",
    "IncidentStatus",
    "IncidentsResponse",
    "MetaLabel",
    "Model",
    "OpenEnum",
    "OperationalOriginator",
    "OrderByDirection",
    "OriginatorType",
    "Pagination",
    "SnoozeIndicator",
    "UnassignEvent",
    "UpsertIncidentStateType",
    "UpsertStateEvent",
    "UpsertStatePayload",
    "UserDetails",
    "parse_duration",
]
