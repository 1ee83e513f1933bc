"""The enums of the Coralogix incidents API (tests/contracts/coralogix); unknown values parse as pseudo-members."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class OpenEnum(StrEnum):
    """A string enum that accepts values it does not know (they become pseudo-members)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member


class IncidentState(OpenEnum):
    UNSPECIFIED = "INCIDENT_STATE_UNSPECIFIED"
    TRIGGERED = "INCIDENT_STATE_TRIGGERED"
    RESOLVED = "INCIDENT_STATE_RESOLVED"


class IncidentStatus(OpenEnum):
    UNSPECIFIED = "INCIDENT_STATUS_UNSPECIFIED"
    TRIGGERED = "INCIDENT_STATUS_TRIGGERED"
    ACKNOWLEDGED = "INCIDENT_STATUS_ACKNOWLEDGED"
    RESOLVED = "INCIDENT_STATUS_RESOLVED"


class IncidentSeverity(OpenEnum):
    UNSPECIFIED = "INCIDENT_SEVERITY_UNSPECIFIED"
    INFO = "INCIDENT_SEVERITY_INFO"
    WARNING = "INCIDENT_SEVERITY_WARNING"
    ERROR = "INCIDENT_SEVERITY_ERROR"
    CRITICAL = "INCIDENT_SEVERITY_CRITICAL"
    LOW = "INCIDENT_SEVERITY_LOW"


# Most urgent first; LOW sits below INFO (it was added later with that meaning).
SEVERITY_RANK: dict[IncidentSeverity, int] = {
    IncidentSeverity.CRITICAL: 0,
    IncidentSeverity.ERROR: 1,
    IncidentSeverity.WARNING: 2,
    IncidentSeverity.INFO: 3,
    IncidentSeverity.LOW: 4,
}


class IncidentEventType(OpenEnum):
    UNSPECIFIED = "INCIDENT_EVENT_TYPE_UNSPECIFIED"
    UPSERT_STATE = "INCIDENT_EVENT_TYPE_UPSERT_STATE"
    OPEN = "INCIDENT_EVENT_TYPE_OPEN"
    CLOSE = "INCIDENT_EVENT_TYPE_CLOSE"
    SNOOZE_INDICATOR = "INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR"
    ASSIGN = "INCIDENT_EVENT_TYPE_ASSIGN"
    ACKNOWLEDGE = "INCIDENT_EVENT_TYPE_ACKNOWLEDGE"
    UNASSIGN = "INCIDENT_EVENT_TYPE_UNASSIGN"


class UpsertIncidentStateType(OpenEnum):
    UNSPECIFIED = "UPSERT_INCIDENT_STATE_TYPE_UNSPECIFIED"
    TRIGGERED = "UPSERT_INCIDENT_STATE_TYPE_TRIGGERED"
    RESOLVED = "UPSERT_INCIDENT_STATE_TYPE_RESOLVED"


class OriginatorType(OpenEnum):
    UNSPECIFIED = "ORIGINATOR_TYPE_UNSPECIFIED"
    OPERATIONAL = "ORIGINATOR_TYPE_OPERATIONAL"
    ADMINISTRATIVE = "ORIGINATOR_TYPE_ADMINISTRATIVE"


class IncidentField(OpenEnum):
    UNSPECIFIED = "INCIDENTS_FIELDS_UNSPECIFIED"
    ID = "INCIDENTS_FIELDS_ID"
    SEVERITY = "INCIDENTS_FIELDS_SEVERITY"
    NAME = "INCIDENTS_FIELDS_NAME"
    CREATED_TIME = "INCIDENTS_FIELDS_CREATED_TIME"
    CLOSED_TIME = "INCIDENTS_FIELDS_CLOSED_TIME"
    STATE = "INCIDENTS_FIELDS_STATE"
    STATUS = "INCIDENTS_FIELDS_STATUS"
    LAST_STATE_UPDATE_TIME = "INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME"
    APPLICATION_NAME = "INCIDENTS_FIELDS_APPLICATION_NAME"
    SUBSYSTEM_NAME = "INCIDENTS_FIELDS_SUBSYSTEM_NAME"
    DURATION = "INCIDENTS_FIELDS_DURATION"


class OrderByDirection(OpenEnum):
    UNSPECIFIED = "ORDER_BY_DIRECTION_UNSPECIFIED"
    ASC = "ORDER_BY_DIRECTION_ASC"
    DESC = "ORDER_BY_DIRECTION_DESC"


class FilterOperator(OpenEnum):
    OR = "FILTER_OPERATOR_OR_OR_UNSPECIFIED"
    AND = "FILTER_OPERATOR_AND"
