"""The vocabulary of every user action, from any surface: what was asked, and what became of it.

An `Action` is what a listener builds from a Slack payload (who, where, what) and journals before
its ack; the pipeline turns it into a `Report`: one `IdResult` per incident, or a `problem` when
the action could not start at all. Both survive a restart as JSON in the job journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.api import Case, Incident

# Slack's response_url takes 5 posts within 30 minutes of the request; after that, other routes.
RESPONSE_URL_LIFETIME = timedelta(minutes=30)
# What of an incident a report keeps (and the journal stores): enough to render every summary.
_KEPT = {"id", "name", "severity", "status", "state", "display_labels", "contextual_labels", "created_at", "closed_at"}
_CASE_KEPT = {"id", "readable_id", "title", "status", "priority", "labels", "create_time", "update_time"}


class Verb(StrEnum):
    """What a person asks the bot to do to incidents."""

    RESOLVE = "resolve"
    ACKNOWLEDGE = "acknowledge"
    CLOSE = "close"  # close as a false alarm: Coralogix Cases only


class Surface(StrEnum):
    """Where in Slack the person asked; decides where the answer goes."""

    COMMAND = "command"
    PICKER = "picker"
    SHORTCUT = "shortcut"
    BUTTON = "button"
    THREAD = "thread"
    HOME = "home"


class Action(BaseModel):
    """One request from one person, as journaled: who, where, what, and its idempotency key."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(max_length=255)  # Slack's trigger id, event id or action ts: a replay is the same key
    surface: Surface
    verb: Verb = Verb.RESOLVE
    user: str
    team: str | None = None
    channel: str | None = None  # where it was asked (and where a summary goes)
    message_ts: str | None = None  # the alert message clicked or mentioned in, or the message of the shortcut
    thread_ts: str | None = None  # where thread replies go
    response_url: str | None = None
    ids: tuple[str, ...] = ()  # the incidents asked for (the alert message names its own)
    note: str | None = None
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def response_url_valid(self, now: datetime | None = None) -> bool:
        """Whether Slack still takes posts to the response_url (30 minutes from the request)."""
        return bool(self.response_url) and (now or datetime.now(UTC)) - self.received_at < RESPONSE_URL_LIFETIME


class Outcome(StrEnum):
    """What became of one incident (or case) in one action."""

    RESOLVED = "resolved"  # this action resolved it
    ACKNOWLEDGED = "acknowledged"  # this action acknowledged it
    CLOSED = "closed"  # this action closed it (cases only)
    ALREADY_RESOLVED = "already_resolved"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_CLOSED = "already_closed"  # a closed case: past resolved, and it cannot be reopened
    IN_FLIGHT = "in_flight"  # another action is working on it right now
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # the access policy said no
    FAILED = "failed"

    @property
    def done(self) -> bool:
        """The incident is where the person wanted it (by this action or before it)."""
        return self in _DONE


_DONE = frozenset(
    {
        Outcome.RESOLVED,
        Outcome.ACKNOWLEDGED,
        Outcome.CLOSED,
        Outcome.ALREADY_RESOLVED,
        Outcome.ALREADY_ACKNOWLEDGED,
        Outcome.ALREADY_CLOSED,
    }
)


@dataclass(frozen=True, slots=True)
class IdResult:
    """The outcome of one incident or case id. `reason`: why it failed or was refused (or, IN_FLIGHT, the
    verb the other action is doing); `by` and `at`: who acted on it and when, when it was someone else;
    `rule`: the access-policy rule that allowed or refused it (`rule 2 (name)`, `default`); `case`: the
    case as Coralogix last showed it, for a case id (`incident` stays None then)."""

    id: str
    outcome: Outcome
    incident: Incident | None = None
    reason: str | None = None
    by: str | None = None
    at: datetime | None = None
    rule: str | None = None
    case: Case | None = None

    def to_json(self) -> dict[str, Any]:
        """For the journal: the outcome and the incident (or case) fields the summaries show."""
        data: dict[str, Any] = {"id": self.id, "outcome": self.outcome.value}
        if self.incident is not None:
            data["incident"] = self.incident.model_dump(mode="json", include=_KEPT, exclude_none=True)
        if self.case is not None:
            data["case"] = self.case.model_dump(mode="json", include=_CASE_KEPT, exclude_none=True)
        for name in ("reason", "by", "rule"):
            if value := getattr(self, name):
                data[name] = value
        if self.at is not None:
            data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IdResult:
        """Back from the journal."""
        incident, case = data.get("incident"), data.get("case")
        return cls(
            id=data["id"],
            outcome=Outcome(data["outcome"]),
            incident=Incident.model_validate(incident) if incident else None,
            reason=data.get("reason"),
            by=data.get("by"),
            at=datetime.fromisoformat(data["at"]) if data.get("at") else None,
            rule=data.get("rule"),
            case=Case.model_validate(case) if case else None,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """What an action came to: one result per incident, in the order asked, or why it could not start."""

    results: list[IdResult] = field(default_factory=list)
    problem: str | None = None  # e.g. the alert is not on record, or Coralogix refused the key
    error_id: str | None = None
    coralogix_ms: int | None = None  # how long the action's Coralogix calls took, in all

    def of(self, outcome: Outcome) -> list[IdResult]:
        """The results with `outcome`, in request order."""
        return [r for r in self.results if r.outcome is outcome]

    def to_json(self) -> dict[str, Any]:
        """For the journal."""
        return {
            "results": [r.to_json() for r in self.results],
            "problem": self.problem,
            "error_id": self.error_id,
            "coralogix_ms": self.coralogix_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """Back from the journal."""
        results = [IdResult.from_json(r) for r in data.get("results") or []]
        return cls(
            results=results,
            problem=data.get("problem"),
            error_id=data.get("error_id"),
            coralogix_ms=data.get("coralogix_ms"),
        )
