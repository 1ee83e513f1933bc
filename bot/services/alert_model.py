"""The vocabulary of alert messages: thread lines, and the Slack port the alert use cases talk through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from bot.services.actions import Outcome
from bot.services.notifications import AlertNotification
from bot.store import AlertRecord, AlertStatus

# `via` of a change Coralogix made (a resolve notification, or drift found by reading it back).
CORALOGIX = "coralogix"


class Handled(StrEnum):
    """What a notification did."""

    POSTED = "posted"  # a new alert message
    IN_STORM = "in_storm"  # recorded, and shown by its channel's storm message instead of one of its own
    UPDATED = "updated"  # an existing message changed (its incident found, or resolved)
    UNCHANGED = "unchanged"  # a repeat of what a message already shows
    NO_MESSAGE = "no_message"  # a resolve for an alert with no message (yet): try again a little later


@dataclass(frozen=True, slots=True)
class ThreadLine:
    """One line for an alert's thread: RESOLVED, ACKNOWLEDGED or FAILED, by whom, how, when."""

    outcome: Outcome
    user: str | None = None
    via: str | None = None  # a surface, or CORALOGIX
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
