"""Case messages as a use case, free of Slack: case notifications in, one message per case that follows it.

A case's first notification that finds it open posts its message (reserved in the store first, so
replicas and retries post it once); every later one re-renders that message in place: status,
priority, assignee, labels, with one thread line for each change. Clicks and thread mentions on a
case message go through the one action pipeline like an alert message's (the message row names the
case as its `incident_id`); the pipeline's `AlertService.follow` re-renders it through the same
publisher, which renders case rows as case messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.api.enums import CaseStatus
from bot.services.actions import Outcome
from bot.services.alert_model import CORALOGIX, Handled, ThreadLine
from bot.services.case_notifications import CaseEvent, CaseNotification
from bot.store import AlertRecord, AlertStatus
from bot.store.case_messages import CaseMessages

logger = logging.getLogger(__name__)

OPEN = {AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED}
# Where each notification moves the message, and from where. A case lives forward only
# (active ⇄ acknowledged → resolved → closed): a late or repeated notification never reopens one.
TARGET = {
    CaseEvent.ACTIVATED: AlertStatus.TRIGGERED,
    CaseEvent.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
    CaseEvent.RESOLVED: AlertStatus.RESOLVED,
    CaseEvent.CLOSED: AlertStatus.CLOSED,
}
BY_STATUS = {
    CaseStatus.ACTIVE: AlertStatus.TRIGGERED,
    CaseStatus.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
    CaseStatus.RESOLVED: AlertStatus.RESOLVED,
    CaseStatus.CLOSED: AlertStatus.CLOSED,
}
FROM = {
    AlertStatus.TRIGGERED: {AlertStatus.ACKNOWLEDGED},  # unacknowledged in Coralogix
    AlertStatus.ACKNOWLEDGED: {AlertStatus.TRIGGERED},
    AlertStatus.RESOLVED: set(OPEN),
    AlertStatus.CLOSED: {*OPEN, AlertStatus.RESOLVED},
}
LINES = {
    AlertStatus.ACKNOWLEDGED: Outcome.ACKNOWLEDGED,
    AlertStatus.RESOLVED: Outcome.RESOLVED,
    AlertStatus.CLOSED: Outcome.CLOSED,
}
# What a re-render shows of a notification; the event kind and its time are not part of it.
SHOWN = ("title", "readable_id", "priority", "assignee", "labels", "link", "created_at")


class CasePublisher(Protocol):
    """What the case use cases need from Slack."""

    async def post_case(self, record: AlertRecord) -> tuple[str, str]:
        """Post a reserved case message; returns the (channel id, ts) Slack answered with."""

    async def update_alert(self, record: AlertRecord) -> None:
        """Re-render the message of `record` (a case row renders as a case message)."""

    async def thread_reply(self, record: AlertRecord, line: ThreadLine) -> None:
        """Add one status line to the message's thread."""

    async def assignee_changed(self, record: AlertRecord, assignee: str | None) -> None:
        """Add the line of an assignee change to the message's thread."""


def target_of(notification: CaseNotification) -> AlertStatus | None:
    """The state the notification says the case is in, when it says (an assignee change may not)."""
    if notification.event in TARGET:
        return TARGET[notification.event]
    return BY_STATUS.get(notification.status) if notification.status else None


class CaseMessageService:
    """Case notifications, and the case messages that show them."""

    def __init__(
        self,
        *,
        messages: CaseMessages,
        publisher: CasePublisher,
        default_channel: str | None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.messages = messages
        self.publisher = publisher
        self.default_channel = default_channel
        self._now = now
        self._sleep = sleep

    async def handle_notification(self, notification: CaseNotification, *, job_id: int | None) -> Handled:
        """Post the case's message, or re-render the one it has; NO_MESSAGE for a case that ended before
        its message was posted (the job waits a little for the activation, then drops it)."""
        channel = notification.channel or self.default_channel
        assert channel, "the webhook refuses notifications with nowhere to go"
        target = target_of(notification)
        # The message names the case by its readable id when there is one: the pipeline sends a
        # readable id to the Cases API whatever the tenant is set to (a UUID may name an incident).
        records = await self.messages.for_case([notification.ref, notification.case_id])
        existing = next((r for r in records if r.channel == channel), records[0] if records else None)
        if existing is None or (existing.job_id == job_id and existing.ts is None):
            if target in (AlertStatus.RESOLVED, AlertStatus.CLOSED) and existing is None:
                return Handled.NO_MESSAGE
            reserved, created = await self.messages.reserve_case(
                channel=channel,
                case_id=notification.ref,
                uuid=notification.case_id,
                status=target or AlertStatus.TRIGGERED,
                notification=notification.model_dump(mode="json"),
                job_id=job_id,
            )
            if created or (reserved.job_id == job_id and reserved.ts is None):
                await self._post(reserved)
                return Handled.POSTED
            existing = reserved
        return await self._follow(existing, notification, target)

    async def _post(self, reserved: AlertRecord) -> None:
        channel, ts = await self.publisher.post_case(reserved)
        posted = await self.messages.posted(reserved.id, channel=channel, ts=ts)
        if posted.version != reserved.version + 1:  # changed meanwhile (a click, a later notification)
            await self.publisher.update_alert(posted)

    async def _follow(self, record: AlertRecord, notification: CaseNotification, target: AlertStatus | None) -> Handled:
        """Re-render `record` with what the notification changed, one thread line per change."""
        before = record.notification
        # What this notification leaves out (a readable id, the labels) is not taken as removed.
        after = {k: v for k, v in notification.model_dump(mode="json").items() if v not in (None, {}, "")}
        if notification.event is CaseEvent.ASSIGNEE_CHANGED:
            after["assignee"] = notification.assignee  # none named: unassigned
        changed = False
        if any(k in after and before.get(k) != after[k] for k in SHOWN):
            record = await self.messages.refresh(record.id, {**before, **after}) or record
            changed = True
        moved = None
        if target is not None and target is not record.status and record.status in FROM.get(target, set()):
            moved = await self.messages.transition(record.id, target, by=None, via=CORALOGIX, allowed_from=FROM[target])
        if moved is not None:
            record, changed = moved, True
        if not changed:
            return Handled.UNCHANGED
        await self.publisher.update_alert(record)
        if moved is not None and moved.status in LINES:
            await self.publisher.thread_reply(record, ThreadLine(LINES[moved.status], via=CORALOGIX))
        if "assignee" in after and before.get("assignee") != after["assignee"]:
            await self.publisher.assignee_changed(record, notification.assignee)
        return Handled.UPDATED


def stored_case(record: AlertRecord) -> CaseNotification:
    """The case a message shows, as stored with it."""
    return CaseNotification.from_body(record.notification, stored=True)
