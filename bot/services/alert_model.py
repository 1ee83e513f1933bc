"""The vocabulary of the alert use cases: actions, thread lines, outcomes, and the Slack port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from bot.services.notifications import AlertNotification
from bot.store import AlertRecord, AlertStatus


class Action(StrEnum):
    """What a user asked for on an alert."""

    RESOLVE = "resolve"
    ACKNOWLEDGE = "acknowledge"


class LineKind(StrEnum):
    """The kinds of thread line the bot writes under an alert."""

    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    RESOLVED_IN_CORALOGIX = "resolved_in_coralogix"


@dataclass(frozen=True, slots=True)
class ThreadLine:
    """One line for an alert's thread; the publisher formats it."""

    kind: LineKind
    user: str | None = None
    via: str | None = None
    note: str | None = None
    detail: str | None = None
    error_id: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class AlertPublisher(Protocol):
    """What the alert use cases need from Slack."""

    async def post_alert(self, channel: str, notification: AlertNotification, status: AlertStatus) -> tuple[str, str]:
        """Post a new alert message; returns the (channel id, ts) Slack answered with."""

    async def update_alert(self, record: AlertRecord) -> None:
        """Re-render the alert message from `record`."""

    async def thread_reply(self, record: AlertRecord, line: ThreadLine) -> None:
        """Add one line to the alert's thread."""


class OutcomeKind(StrEnum):
    """How an action on an alert ended, for the person who asked."""

    DONE = "done"
    ALREADY_RESOLVED = "already_resolved"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    IN_FLIGHT = "in_flight"
    NOT_TRACKED = "not_tracked"
    NO_INCIDENT = "no_incident"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """The result of `AlertService.act`."""

    kind: OutcomeKind
    record: AlertRecord | None = None
    reason: str | None = None
    error_id: str | None = None
