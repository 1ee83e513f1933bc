"""What a decision looks at: who acts (`Actor`) and, once it is known, the incident (`IncidentFacts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.api.models import Incident, IncidentSeverity
from bot.formatters.common import severity_word


@dataclass(frozen=True, slots=True)
class Actor:
    """The person acting: their user id and the ids (S…) of every user group they belong to."""

    user: str
    usergroups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What rules may filter incidents on. `severity` is the lower-case word (`critical`, `error`,
    `warning`, `info`, `low`), None when unset; `labels` are compared exactly, key and value."""

    severity: str | None = None
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
