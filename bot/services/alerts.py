"""Alert messages as a use case, free of Slack: notifications in, buttons and thread commands acted on.

Slack is reached only through the `AlertPublisher` port (implemented in `bot.slack_publisher`),
which renders records with the pure formatters. Every change goes store → re-render → one thread
line, so the message always shows the stored state, whatever surface caused the change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from bot.api import ApiError, Incident, IncidentFilter, IncidentStatus
from bot.errors import BotError, new_error_id
from bot.services.incidents import IdResult, IncidentService, Outcome
from bot.services.notifications import AlertAction, AlertNotification
from bot.store import AlertRecord, AlertStatus, Store
from bot.store.db import STALE_CLAIM

logger = logging.getLogger(__name__)


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
    TRIGGERED_AGAIN = "triggered_again"
    STATUS = "status"


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

    async def post_alert(self, channel: str, notification: AlertNotification, status: AlertStatus) -> str:
        """Post a new alert message; returns its ts."""

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


OPEN = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED]


class AlertService:
    """Alert notifications, alert-message actions and their synchronisation."""

    def __init__(
        self,
        *,
        store: Store,
        incidents: IncidentService,
        publisher: AlertPublisher,
        default_channel: str | None,
        lookup_attempts: int = 5,
        lookup_interval: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.incidents = incidents
        self.publisher = publisher
        self.default_channel = default_channel
        self.lookup_attempts = lookup_attempts
        self.lookup_interval = lookup_interval
        self._sleep = sleep

    # -- notifications ---------------------------------------------------------------------

    async def handle_notification(self, notification: AlertNotification) -> AlertRecord | None:
        """Post (or update) the alert message for a notification; None when there is nowhere to post."""
        if notification.alert_action is AlertAction.RESOLVE:
            return await self._notification_resolved(notification)
        incident = await self.find_incident(notification, retry=True)
        existing = await self._existing(notification, incident)
        if existing is not None:
            record = await self.store.set_status(existing.id, AlertStatus.TRIGGERED, by=None, via="coralogix")
            if record:
                await self.publisher.update_alert(record)
                await self.publisher.thread_reply(record, ThreadLine(LineKind.TRIGGERED_AGAIN))
            return record
        return await self._post(notification, incident, AlertStatus.TRIGGERED)

    async def _notification_resolved(self, notification: AlertNotification) -> AlertRecord | None:
        existing = await self._existing(notification, None)
        if existing is None:
            return await self._post(notification, None, AlertStatus.RESOLVED, via="coralogix")
        record = await self.store.set_status(existing.id, AlertStatus.RESOLVED, by=None, via="coralogix")
        if record:
            await self.publisher.update_alert(record)
            await self.publisher.thread_reply(record, ThreadLine(LineKind.RESOLVED_IN_CORALOGIX))
        return record

    async def _existing(self, notification: AlertNotification, incident: Incident | None) -> AlertRecord | None:
        incident_id = incident.id if incident else notification.incident_id
        if incident_id:
            records = [r for r in await self.store.by_incident(incident_id) if r.status is not AlertStatus.RESOLVED]
            if records:
                return records[-1]
        return await self.store.latest_open_for_alert(notification.alert_id)

    async def _post(
        self, notification: AlertNotification, incident: Incident | None, status: AlertStatus, via: str | None = None
    ) -> AlertRecord | None:
        channel = notification.channel or self.default_channel
        if not channel:
            logger.warning(
                "alert %s not posted: no channel in the notification and no SLACK_ALERT_CHANNEL", notification.alert_id
            )
            return None
        ts = await self.publisher.post_alert(channel, notification, status)
        return await self.store.add_alert(
            channel=channel,
            ts=ts,
            alert_id=notification.alert_id,
            incident_id=incident.id if incident else None,
            notification=notification.model_dump(mode="json"),
            status=status,
            status_via=via,
        )

    async def find_incident(self, notification: AlertNotification, *, retry: bool) -> Incident | None:
        """The open incident of a notification: by its id, else the newest open one labelled with the alert id.

        With `retry`, the label lookup is repeated for a few seconds: Coralogix may create the
        incident after it sent the notification.
        """
        if notification.incident_id:
            return Incident(id=notification.incident_id)
        query = IncidentFilter(status=OPEN, contextual_labels={"alert_id": notification.alert_ids})
        attempts = self.lookup_attempts if retry else 1
        for attempt in range(attempts):
            try:
                found = await self.incidents.api.list_incidents(filter=query, limit=50)
            except ApiError as e:
                logger.warning("incident lookup for alert %s failed: %s", notification.alert_id, e.message)
                found = []
            if found:
                return max(found, key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
            if attempt + 1 < attempts:
                await self._sleep(self.lookup_interval)
        return None

    # -- actions on an alert message -------------------------------------------------------

    async def act(
        self, *, channel: str, ts: str, action: Action, user: str, via: str, note: str | None = None
    ) -> ActionOutcome:
        """Resolve or acknowledge the incident shown by the message (channel, ts), at most once at a time."""
        record = await self.store.by_message(channel, ts)
        if record is None:
            return ActionOutcome(OutcomeKind.NOT_TRACKED)
        refusal = self._refusal(record, action)
        if refusal:
            return refusal
        if not await self.store.claim(record.id, action=action.value, user=user):
            fresh = await self.store.get(record.id) or record
            return self._refusal(fresh, action) or ActionOutcome(OutcomeKind.IN_FLIGHT, fresh)
        claimed = await self.store.get(record.id) or record
        await self.publisher.update_alert(claimed)  # "Resolving… (@user)", no buttons to press twice
        try:
            return await self._apply(claimed, action, user, via, note)
        except Exception as e:  # any failure must put the buttons back and be reported, with an error id
            error_id = new_error_id()
            reason = _reason(e)
            logger.warning("%s of alert %s failed error_id=%s", action.value, record.id, error_id, exc_info=e)
            return await self._failed(claimed, action, user, reason, error_id)

    def _refusal(self, record: AlertRecord, action: Action) -> ActionOutcome | None:
        if record.status is AlertStatus.RESOLVED:
            return ActionOutcome(OutcomeKind.ALREADY_RESOLVED, record)
        if action is Action.ACKNOWLEDGE and record.status is AlertStatus.ACKNOWLEDGED:
            return ActionOutcome(OutcomeKind.ALREADY_ACKNOWLEDGED, record)
        if record.pending_action and record.pending_since and not _stale(record):
            return ActionOutcome(OutcomeKind.IN_FLIGHT, record)
        return None

    async def _apply(self, record: AlertRecord, action: Action, user: str, via: str, note: str | None) -> ActionOutcome:
        incident_id = record.incident_id or await self._lookup_at_click(record)
        if incident_id is None:
            released = await self.store.release(record.id) or record
            await self.publisher.update_alert(released)
            return ActionOutcome(
                OutcomeKind.NO_INCIDENT, released, reason="No open incident for this alert was found in Coralogix."
            )
        if action is Action.RESOLVE:
            result = (await self.incidents.resolve([incident_id], precheck=False)).results[0]
            if result.outcome not in (Outcome.RESOLVED, Outcome.ALREADY_RESOLVED):
                return await self._failed(record, action, user, result.reason or "not resolved", new_error_id())
            status, kind = AlertStatus.RESOLVED, LineKind.RESOLVED
            detail = "it was already resolved in Coralogix" if result.outcome is Outcome.ALREADY_RESOLVED else None
        else:
            await self.incidents.acknowledge(incident_id)
            status, kind, detail = AlertStatus.ACKNOWLEDGED, LineKind.ACKNOWLEDGED, None
        done = await self.store.set_status(record.id, status, by=user, via=via, incident_id=incident_id) or record
        await self.publisher.update_alert(done)
        await self.publisher.thread_reply(done, ThreadLine(kind, user=user, via=via, note=note, detail=detail))
        return ActionOutcome(OutcomeKind.DONE, done)

    async def _lookup_at_click(self, record: AlertRecord) -> str | None:
        notification = AlertNotification.model_validate(record.notification)
        incident = await self.find_incident(notification, retry=False)
        if incident is None:
            return None
        await self.store.set_incident(record.id, incident.id)
        return incident.id

    async def _failed(
        self, record: AlertRecord, action: Action, user: str, reason: str, error_id: str
    ) -> ActionOutcome:
        released = await self.store.release(record.id) or record
        await self.publisher.update_alert(released)
        line = ThreadLine(LineKind.FAILED, user=user, detail=f"{action.value}: {reason}", error_id=error_id)
        await self.publisher.thread_reply(released, line)
        return ActionOutcome(OutcomeKind.FAILED, released, reason=reason, error_id=error_id)

    # -- synchronisation from other surfaces ------------------------------------------------

    async def sync_resolved(self, results: Sequence[IdResult], *, user: str, via: str, note: str | None = None) -> None:
        """Re-render the alert messages of incidents resolved elsewhere, with one thread line each."""
        for result in results:
            if result.outcome not in (Outcome.RESOLVED, Outcome.ALREADY_RESOLVED):
                continue
            for record in await self.store.by_incident(result.id):
                if record.status is AlertStatus.RESOLVED:
                    continue
                done = await self.store.set_status(record.id, AlertStatus.RESOLVED, by=user, via=via)
                if done:
                    await self.publisher.update_alert(done)
                    await self.publisher.thread_reply(
                        done, ThreadLine(LineKind.RESOLVED, user=user, via=via, note=note)
                    )

    async def record_for_thread(self, channel: str, thread_ts: str) -> AlertRecord | None:
        """The alert whose message starts the thread (channel, thread_ts)."""
        return await self.store.by_message(channel, thread_ts)


def _reason(error: Exception) -> str:
    if isinstance(error, ApiError):
        return error.message
    if isinstance(error, BotError):
        return error.user_message
    return "unexpected error in the bot"


def _stale(record: AlertRecord) -> bool:
    return record.pending_since is not None and datetime.now(UTC) - record.pending_since > STALE_CLAIM
