"""What a decision looks at: who acts (`Actor`) and, once it is known, the incident (`IncidentFacts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.api.case_models import Case
from bot.api.enums import CasePriority
from bot.api.models import Incident, IncidentSeverity
from bot.formatters.common import severity_word


@dataclass(frozen=True, slots=True)
class Actor:
    """The person acting: their user id and the ids (S…) of every user group they belong to."""

    user: str
    usergroups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What rules may filter incidents (and cases) on. `severity` is the lower-case word (`critical`,
    `error`, `warning`, `info`, `low`), None when unset; `priority` a case's (`p1` … `p5`), None for an
    incident; `labels` are compared exactly, key and value."""

    severity: str | None = None
    priority: str | None = None
    application: str | None = None
    subsystem: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, incident: Incident) -> IncidentFacts:
        """The facts of a Coralogix incident. A key in several label sets takes its value from the
        display labels, then the contextual labels, then the meta labels (as the incident's
        application and subsystem do)."""
        labels = {label.key: label.value for label in incident.meta_labels if label.key and label.value is not None}
        labels.update(incident.contextual_labels)
        labels.update(incident.display_labels)
        severity = incident.severity
        return cls(
            severity=None if severity in (None, IncidentSeverity.UNSPECIFIED) else severity_word(severity).lower(),
            application=incident.application,
            subsystem=incident.subsystem,
            labels=MappingProxyType(labels),
        )

    @classmethod
    def of_case(cls, case: Case) -> IncidentFacts:
        """The facts of a Coralogix case: its priority (as `p1` … `p5`) and its labels, then its
        groupings for a key it has no label for. A case has no severity, application or subsystem."""
        labels = {kv.key: kv.value for kv in case.groupings if kv.key}
        labels.update({kv.key: kv.value for kv in case.labels if kv.key})
        priority = case.effective_priority
        word = None if priority in (None, CasePriority.UNSPECIFIED) else priority.value.removeprefix("CASE_PRIORITY_")
        return cls(priority=word.lower() if word else None, labels=MappingProxyType(labels))


def facts_of(item: Incident | Case) -> IncidentFacts:
    """The facts of an incident or a case, whichever it is."""
    return IncidentFacts.of_case(item) if isinstance(item, Case) else IncidentFacts.of(item)
