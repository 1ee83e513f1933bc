"""Alert messages as a use case, free of Slack: notifications in, buttons and thread commands acted on.

Slack is reached only through the `AlertPublisher` port (implemented in `bot.slack_publisher`),
which renders records with the pure formatters. Every change goes store → re-render → one thread
line, so the message always shows the stored state, whatever surface caused the change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.api import ApiError, Incident, IncidentFilter, IncidentStatus
from bot.errors import describe, record_failure
from bot.services.alert_model import (
    Action,
    ActionOutcome,
    AlertPublisher,
    LineKind,
    OutcomeKind,
    ThreadLine,
)
from bot.services.incidents import IdResult, IncidentService, Outcome
from bot.services.notifications import AlertAction, AlertNotification
from bot.store import AlertRecord, AlertStatus, Store

logger = logging.getLogger(__name__)

__all__ = ["Action", "ActionOutcome", "AlertPublisher", "AlertService", "LineKind", "OutcomeKind", "ThreadLine"]


OPEN = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED]
OPEN_STATES = {AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED}
# Which states each action may start from.
ALLOWED_FROM = {Action.RESOLVE: OPEN_STATES, Action.ACKNOWLEDGE: {AlertStatus.TRIGGERED}}
# A click's whole run (lookup, resolve with retries, read-back) ends well before its claim goes stale.
ACTION_DEADLINE = 90.0
# How long a notification may wait for its incident to appear in Coralogix before it is posted anyway.
LOOKUP_DEADLINE = 8.0


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
        # Notifications of one alert are handled one at a time, so a trigger still looking up its
        # incident and a resolve (or a repeat) arriving meanwhile cannot both post.
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    # -- notifications ---------------------------------------------------------------------

    async def handle_notification(self, notification: AlertNotification) -> AlertRecord | None:
        """Post, bind or re-render the alert message for a notification; None when nothing was posted."""
        key = (notification.alert_id, notification.group_by or "")
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if notification.alert_action is AlertAction.RESOLVE:
                    return await self._notification_resolved(notification)
                return await self._notification_triggered(notification)
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    async def _notification_triggered(self, notification: AlertNotification) -> AlertRecord | None:
        try:
            async with asyncio.timeout(LOOKUP_DEADLINE):
                incident = await self.find_incident(notification, retry=True)
        except TimeoutError:
            incident = None  # posted anyway; the click looks it up again
        existing = await self._existing(notification, incident)
        if existing is None:
            return await self._post(notification, incident)
        if incident and existing.incident_id is None:  # an open message for this alert learns its incident
            bound = await self.store.set_incident(existing.id, incident.id)
            if bound:
                await self.publisher.update_alert(bound)
                return bound
        return existing  # a repeat of what the message already shows: no noise

    async def _notification_resolved(self, notification: AlertNotification) -> AlertRecord | None:
        """Coralogix says the alert ended: re-render its message. Never posts a new message."""
        existing = await self._existing(notification, None, include_resolved=True)
        if existing is None or existing.status is AlertStatus.RESOLVED:
            return existing
        done = await self.store.transition(
            existing.id, AlertStatus.RESOLVED, by=None, via="coralogix", allowed_from=OPEN_STATES
        )
        await self._show(done, ThreadLine(LineKind.RESOLVED_IN_CORALOGIX))
        return done

    async def _existing(
        self, notification: AlertNotification, incident: Incident | None, *, include_resolved: bool = False
    ) -> AlertRecord | None:
        """The message already showing this notification's incident, else this alert (same group-by values)
        when that message is not bound to another incident."""
        incident_id = incident.id if incident else notification.incident_id
        if incident_id:
            records = [
                r
                for r in await self.store.by_incident(incident_id)
                if include_resolved or r.status is not AlertStatus.RESOLVED
            ]
            if records:
                return records[-1]
        for record in await self.store.recent_for_alert(notification.alert_id):
            if (record.notification.get("group_by") or None) != notification.group_by:
                continue
            if not include_resolved and record.status is AlertStatus.RESOLVED:
                continue
            if incident_id and record.incident_id not in (None, incident_id):
                continue  # a new incident of the same alert gets its own message
            return record
        return None

    async def _post(self, notification: AlertNotification, incident: Incident | None) -> AlertRecord | None:
        channel = notification.channel or self.default_channel
        if not channel:
            logger.warning(
                "alert %s not posted: no channel in the notification and no SLACK_ALERT_CHANNEL", notification.alert_id
            )
            return None
        channel_id, ts = await self.publisher.post_alert(channel, notification, AlertStatus.TRIGGERED)
        return await self.store.add_alert(
            channel=channel_id,
            ts=ts,
            alert_id=notification.alert_id,
            incident_id=incident.id if incident else None,
            notification=notification.model_dump(mode="json"),
        )

    async def _show(self, record: AlertRecord | None, line: ThreadLine) -> None:
        """Re-render a changed record and add its one thread line; nothing when the change did not happen."""
        if record is not None:
            await self.publisher.update_alert(record)
            await self.publisher.thread_reply(record, line)

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
        claimed = await self.store.claim(record.id, action=action.value, user=user, allowed_from=ALLOWED_FROM[action])
        if claimed is None:
            fresh = await self.store.get(record.id) or record
            return self._refusal(fresh, action)
        try:
            await self.publisher.update_alert(claimed)  # "Resolving… (@user)", no buttons to press twice
            async with asyncio.timeout(ACTION_DEADLINE):
                return await self._apply(claimed, action, user, via, note)
        except Exception as e:  # noqa: BLE001 - any failure must put the buttons back and be reported (record_failure)
            error_id = record_failure(logger, f"{action.value} of alert {record.id} failed", e)
            return await self._failed(claimed, action, user, describe(e), error_id)
        except asyncio.CancelledError:  # shutting down mid-action: never leave the message stuck
            await asyncio.shield(self.store.release(claimed.id, expect_version=claimed.version))
            raise

    @staticmethod
    def _refusal(record: AlertRecord, action: Action) -> ActionOutcome:
        """Why a claim was refused, from the record as it is now."""
        if record.status is AlertStatus.RESOLVED:
            return ActionOutcome(OutcomeKind.ALREADY_RESOLVED, record)
        if action is Action.ACKNOWLEDGE and record.status is AlertStatus.ACKNOWLEDGED:
            return ActionOutcome(OutcomeKind.ALREADY_ACKNOWLEDGED, record)
        return ActionOutcome(OutcomeKind.IN_FLIGHT, record)

    async def _apply(self, record: AlertRecord, action: Action, user: str, via: str, note: str | None) -> ActionOutcome:
        if record.incident_id is None:
            record = await self._lookup_at_click(record) or record
        incident_id = record.incident_id
        if incident_id is None:
            released = await self.store.release(record.id, expect_version=record.version) or record
            await self.publisher.update_alert(released)
            reason = "No open incident for this alert was found in Coralogix."
            return ActionOutcome(OutcomeKind.NO_INCIDENT, released, reason=reason)
        if action is Action.RESOLVE:
            result = (await self.incidents.resolve([incident_id], precheck=False)).results[0]
            if result.outcome not in (Outcome.RESOLVED, Outcome.ALREADY_RESOLVED):
                reason = result.reason or "not resolved"
                error_id = record_failure(logger, f"resolve of alert {record.id} failed", reason)
                return await self._failed(record, action, user, reason, error_id)
            status, kind = AlertStatus.RESOLVED, LineKind.RESOLVED
            detail = "it was already resolved in Coralogix" if result.outcome is Outcome.ALREADY_RESOLVED else None
        else:
            await self.incidents.acknowledge(incident_id)
            status, kind, detail = AlertStatus.ACKNOWLEDGED, LineKind.ACKNOWLEDGED, None
        done = await self.store.transition(
            record.id, status, by=user, via=via, allowed_from=ALLOWED_FROM[action], expect_version=record.version
        )
        if done is None:  # something newer happened meanwhile (e.g. Coralogix resolved it): that stays
            fresh = await self.store.get(record.id) or record
            return self._refusal(fresh, action)
        await self._show(done, ThreadLine(kind, user=user, via=via, note=note, detail=detail))
        return ActionOutcome(OutcomeKind.DONE, done)

    async def _lookup_at_click(self, record: AlertRecord) -> AlertRecord | None:
        notification = AlertNotification.stored(record.notification)
        incident = await self.find_incident(notification, retry=False)
        return await self.store.set_incident(record.id, incident.id) if incident else None

    async def _failed(
        self, record: AlertRecord, action: Action, user: str, reason: str, error_id: str
    ) -> ActionOutcome:
        released = await self.store.release(record.id, expect_version=record.version)
        if released is None:  # the record moved on meanwhile; show what it is now
            released = await self.store.get(record.id) or record
        line = ThreadLine(LineKind.FAILED, user=user, detail=f"{action.value}: {reason}", error_id=error_id)
        await self._show(released, line)
        return ActionOutcome(OutcomeKind.FAILED, released, reason=reason, error_id=error_id)

    async def recover_stale_claims(self) -> int:
        """At start: messages left on "Resolving…" by a crash or restart get their buttons back."""
        released = await self.store.release_stale()
        for record in released:
            await self.publisher.update_alert(record)
        return len(released)

    # -- synchronisation from other surfaces ------------------------------------------------

    async def sync_resolved(self, results: Sequence[IdResult], *, user: str, via: str, note: str | None = None) -> None:
        """Re-render the alert messages of incidents resolved elsewhere, with one thread line each.

        An incident that was already resolved before this action is shown as resolved in Coralogix,
        not credited to this user.
        """
        for result in results:
            if result.outcome not in (Outcome.RESOLVED, Outcome.ALREADY_RESOLVED):
                continue
            ours = result.outcome is Outcome.RESOLVED
            for record in await self.store.by_incident(result.id):
                done = await self.store.transition(
                    record.id,
                    AlertStatus.RESOLVED,
                    by=user if ours else None,
                    via=via if ours else "coralogix",
                    allowed_from=OPEN_STATES,
                )
                line = (
                    ThreadLine(LineKind.RESOLVED, user=user, via=via, note=note)
                    if ours
                    else (ThreadLine(LineKind.RESOLVED_IN_CORALOGIX))
                )
                await self._show(done, line)

    async def record_for_thread(self, channel: str, thread_ts: str) -> AlertRecord | None:
        """The alert whose message starts the thread (channel, thread_ts)."""
        return await self.store.by_message(channel, thread_ts)
