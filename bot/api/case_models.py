"""Pydantic models of the Coralogix Cases API, as in its published spec (tests/contracts/coralogix/cases-v5.yaml).

Like the incidents models: camelCase on the wire, every field optional (proto3 JSON leaves out
defaults, whatever the spec's `required` says), unknown fields kept, and an enum value Coralogix
adds later parses as a pseudo-member instead of failing the whole answer. Oneof members the bot
does not read (who resolved a case, impacted entities, event payloads) stay plain JSON objects.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from bot.api.enums import (
    CASE_PRIORITY_RANK,
    CaseCategory,
    CaseOrderByDirection,
    CaseOrderByField,
    CasePriority,
    CaseStatus,
    IndicatorPriority,
    IndicatorState,
)
from bot.api.models import Model, UserDetails


class KeyValue(Model):
    """A label or grouping of a case."""

    key: str = ""
    value: str = ""


class PriorityDetails(Model):
    """The priority Coralogix computed, and the one a user set over it."""

    override: CasePriority | None = None
    system: CasePriority | None = None


class ResolutionDetails(Model):
    """How and when a case was resolved. `resolved_by` is a oneof: `apiKey`, `cxUser`, `slack`, `system`…"""

    reason: str | None = None
    resolve_time: datetime | None = None
    resolved_by: dict[str, Any] | None = None

    @property
    def resolver(self) -> str | None:
        """Which kind of resolver it was (`apiKey`, `cxUser`, `slack`…), when Coralogix says."""
        return next(iter(self.resolved_by), None) if self.resolved_by else None


class AlertIndicator(Model):
    """One alert that contributes to a case."""

    alert_id: str | None = None
    latest_alert_version: str | None = None
    priority: IndicatorPriority | None = None
    state: IndicatorState | None = None
    trigger_time: datetime | None = None
    resolve_time: datetime | None = None


class CaseIndicators(Model):
    alert_indicators: list[AlertIndicator] = Field(default_factory=list)

    @field_validator("alert_indicators", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        return [] if value is None else value


class Case(Model):
    """A Coralogix case, as the Cases API returns it."""

    id: str
    readable_id: str | None = None  # `CASE-123`: only once the case became active
    title: str | None = None
    status: CaseStatus | None = None
    priority: CasePriority | None = None
    priority_details: PriorityDetails | None = None
    category: CaseCategory | None = None
    labels: list[KeyValue] = Field(default_factory=list)
    groupings: list[KeyValue] = Field(default_factory=list)
    assignee: UserDetails | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    acknowledge_time: datetime | None = None
    duration: timedelta | None = None  # on the wire: milliseconds, as an int64 string
    resolution_details: ResolutionDetails | None = None
    case_indicators: CaseIndicators | None = None
    ai_summary: str | None = None
    impacted_entities: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("labels", "groupings", "impacted_entities", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("duration", mode="before")
    @classmethod
    def _milliseconds(cls, value: Any) -> Any:
        if isinstance(value, str | int) and str(value).lstrip("-").isdigit():
            return timedelta(milliseconds=int(value))
        return None if value == "" else value

    @property
    def ref(self) -> str:
        """The id people read: the readable id once there is one, else the UUID."""
        return self.readable_id or self.id

    def known_as(self, ref: str) -> bool:
        """Whether `ref` (a UUID or a readable id) names this case."""
        return ref in (self.id, self.readable_id)

    @property
    def is_resolved(self) -> bool:
        """Resolved, and not (yet) closed."""
        return self.status is CaseStatus.RESOLVED

    @property
    def is_closed(self) -> bool:
        return self.status is CaseStatus.CLOSED

    @property
    def is_open(self) -> bool:
        """Neither resolved nor closed: something may still be done to it."""
        return not (self.is_resolved or self.is_closed)

    @property
    def resolved_at(self) -> datetime | None:
        return self.resolution_details.resolve_time if self.resolution_details else None

    @property
    def effective_priority(self) -> CasePriority | None:
        """`priority`, or when it is missing the user's override, else the system's value."""
        if self.priority not in (None, CasePriority.UNSPECIFIED):
            return self.priority
        details = self.priority_details or PriorityDetails()
        return details.override or details.system or self.priority

    @property
    def urgency(self) -> int:
        """Sort rank: P1 first, no or unknown priority last."""
        priority = self.effective_priority
        return CASE_PRIORITY_RANK.get(priority, len(CASE_PRIORITY_RANK)) if priority else len(CASE_PRIORITY_RANK)

    def label(self, key: str) -> str | None:
        """The value of label `key` (then of grouping `key`), if the case has one."""
        return next((kv.value for kv in [*self.labels, *self.groupings] if kv.key == key), None)

    @property
    def alert_ids(self) -> list[str]:
        """The ids of the alerts behind the case."""
        indicators = self.case_indicators.alert_indicators if self.case_indicators else []
        return [i.alert_id for i in indicators if i.alert_id]


class CaseAnswer(Model):
    """Get, resolve, close and acknowledge of one case answer `{"case": ...}`."""

    case: Case


class CasePagination(Model):
    next_page_token: str | None = None


class CasesAnswer(Model):
    """The bulk calls answer `{"cases": [...]}` (the updated cases); list adds `pagination`."""

    cases: list[Case] = Field(default_factory=list)
    pagination: CasePagination | None = None

    @field_validator("cases", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        return [] if value is None else value


class CaseDeepLinks(Model):
    """Pre-built URLs into Coralogix for one case; `detail` is its own page."""

    detail: str | None = None
    alert_indicators: dict[str, dict[str, Any]] = Field(default_factory=dict)
    impacted_entities: list[dict[str, Any]] = Field(default_factory=list)


class DeepLinksAnswer(Model):
    deep_links: CaseDeepLinks


class CaseEvent(Model):
    """One entry of a case's timeline; `event_data` is a oneof (`comment`, `statusChanged`…)."""

    event_id: str | None = None
    create_time: datetime | None = None
    event_time: datetime | None = None
    actor: dict[str, Any] | None = None
    event_data: dict[str, Any] | None = None


class CommentAnswer(Model):
    event: CaseEvent


class CaseFilters(Model):
    """The subset of CaseFilters the bot uses; unset fields are left out of the request."""

    statuses: list[CaseStatus] | None = None
    priorities: list[CasePriority] | None = None
    categories: list[CaseCategory] | None = None
    text_search: str | None = None  # matched against case titles
    alert_ids: list[str] | None = None  # cases with any of these alerts behind them
    labels: dict[str, list[str]] | None = None  # label key → any of these values

    def to_wire(self) -> dict[str, Any]:
        """The filters as the spec's JSON: alert ids under `alertFilters`, labels as FilterGroups."""
        wire: dict[str, Any] = self.model_dump(
            by_alias=True, exclude_none=True, mode="json", exclude={"alert_ids", "labels", "text_search"}
        )
        if self.text_search:
            wire["textSearch"] = self.text_search
        if self.alert_ids:
            wire["alertFilters"] = {"alertIds": list(self.alert_ids)}
        if self.labels:
            wire["labels"] = [{"key": key, "values": list(values)} for key, values in self.labels.items()]
        return wire


class CaseOrderBy(Model):
    field: CaseOrderByField
    direction: CaseOrderByDirection = CaseOrderByDirection.DESCENDING
