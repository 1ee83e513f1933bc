"""Alert messages as a use case, free of Slack: notifications in, messages that follow every change.

Slack is reached only through the `AlertPublisher` port (`bot.slack_publisher`), which renders
records with the pure formatters. Every change goes store → re-render → one thread line, so a
message always shows the stored state, whatever caused the change: a click, a command, Coralogix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.api import ApiError, Incident, IncidentFilter, IncidentStatus
from bot.services.actions import Action, IdResult, Outcome, Verb
from bot.services.alert_model import CORALOGIX, AlertPublisher, Handled, ThreadLine
from bot.services.incidents import IncidentService
from bot.services.notifications import AlertAction, AlertNotification
from bot.services.storms import StormService
from bot.store import AlertRecord, AlertStatus
from bot.store.alerts import OPEN, AlertMessages
from bot.store.tables import MessageKind

logger = logging.getLogger(__name__)

__all__ = ["AlertPublisher", "AlertService", "Handled", "ThreadLine"]

OPEN_INCIDENT = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED]
# Which states each verb may start from, and where it leads.
ALLOWED_FROM = {Verb.RESOLVE: set(OPEN), Verb.ACKNOWLEDGE: {AlertStatus.TRIGGERED}, Verb.CLOSE: set(OPEN)}
LEADS_TO = {
    Verb.RESOLVE: AlertStatus.RESOLVED,
    Verb.ACKNOWLEDGE: AlertStatus.ACKNOWLEDGED,
    Verb.CLOSE: AlertStatus.RESOLVED,  # a closed case's message shows it done, as a resolved one
}
# How long a notification may wait for its incident to appear in Coralogix before it is posted anyway.
LOOKUP_DEADLINE = 8.0
# Incidents read per Coralogix call when looking for changes made elsewhere.
RECONCILE_BATCH = 100


class AlertService:
    """Alert notifications, and alert messages following what happens to their incidents."""

    def __init__(
        self,
        *,
        alerts: AlertMessages,
        incidents: IncidentService,
        publisher: AlertPublisher,
        default_channel: str | None,
        lookup_attempts: int = 5,
        lookup_interval: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        storms: StormService | None = None,
        follows_incidents: bool = True,
    ) -> None:
        self.alerts = alerts
        # False on a Cases tenant (CORALOGIX_ENTITY=cases): its alerts open cases, which case
        # notifications bring; the incidents API is never asked about an alert.
        self.follows_incidents = follows_incidents
        self.incidents = incidents
        self.publisher = publisher
        self.default_channel = default_channel
        self.lookup_attempts = lookup_attempts
        self.lookup_interval = lookup_interval
        self._sleep = sleep
        self.storms = storms

    # -- notifications (run as durable jobs) ------------------------------------------------------

    async def handle_notification(self, notification: AlertNotification, *, job_id: int | None) -> Handled:
        """Post, bind or re-render the alert message of a notification."""
        if notification.alert_action is AlertAction.RESOLVE:
            return await self._resolved(notification)
        return await self._triggered(notification, job_id)

    async def _triggered(self, notification: AlertNotification, job_id: int | None) -> Handled:
        try:
            async with asyncio.timeout(LOOKUP_DEADLINE):
                incident = await self.find_incident(notification, retry=True)
        except TimeoutError:
            incident = None  # posted anyway; a click looks it up again
        existing = await self._existing(notification, incident)
        if existing is None or existing.job_id == job_id:
            channel = notification.channel or self.default_channel
            assert channel, "the webhook refuses notifications with nowhere to go"
            existing, created = await self.alerts.reserve(
                channel=channel,
                alert_id=notification.alert_id,
                group_by=notification.group_by,
                incident_id=incident.id if incident else None,
                notification=notification.model_dump(mode="json"),
                job_id=job_id,
            )
            if created or (existing.job_id == job_id and existing.ts is None):
                if existing.storm_id is not None or (self.storms and await self.storms.admit(existing)):
                    return Handled.IN_STORM  # recorded; the channel's storm message shows it
                await self._post(existing, notification)
                return Handled.POSTED
        if incident and existing.incident_id is None:  # an open message for this alert learns its incident
            bound = await self.alerts.set_incident(existing.id, incident.id)
            if bound is not None:
                await self._learned(bound)
                await self._render(bound)
                return Handled.UPDATED
        return Handled.UNCHANGED  # a repeat of what a message already shows: no noise

    async def _post(self, reserved: AlertRecord, notification: AlertNotification) -> None:
        """Post a reserved message; if it changed meanwhile (a resolve came first), show that at once."""
        channel, ts = await self.publisher.post_alert(reserved.channel, notification, reserved.status)
        posted = await self.alerts.posted(reserved.id, channel=channel, ts=ts)
        if posted.status is not reserved.status:
            await self.publisher.update_alert(posted)

    async def _resolved(self, notification: AlertNotification) -> Handled:
        """Coralogix says the alert ended: re-render its message. Never posts a new message."""
        existing = await self._existing(notification, None, include_resolved=True)
        if existing is None:
            return Handled.NO_MESSAGE
        if existing.status is AlertStatus.RESOLVED:
            return Handled.UNCHANGED
        done = await self.alerts.transition(
            existing.id, AlertStatus.RESOLVED, by=None, via=CORALOGIX, allowed_from=set(OPEN)
        )
        await self._show(done, ThreadLine(Outcome.RESOLVED, via=CORALOGIX))
        return Handled.UPDATED

    async def _existing(
        self, notification: AlertNotification, incident: Incident | None, *, include_resolved: bool = False
    ) -> AlertRecord | None:
        """The message already showing this notification's incident, else this alert (same group-by values)
        when that message is not bound to another incident."""
        incident_id = incident.id if incident else notification.incident_id
        if incident_id:
            records = [
                r
                for r in await self.alerts.by_incident(incident_id)
                if include_resolved or r.status is not AlertStatus.RESOLVED
            ]
            if records:
                return records[-1]
        for record in await self.alerts.recent_for_alert(notification.alert_id):
            if (record.notification.get("group_by") or None) != notification.group_by:
                continue
            if not include_resolved and record.status is AlertStatus.RESOLVED:
                continue
            if incident_id and record.incident_id not in (None, incident_id):
                continue  # a new incident of the same alert gets its own message
            return record
        return None

    async def find_incident(self, notification: AlertNotification, *, retry: bool) -> Incident | None:
        """The open incident of a notification: by its id, else the newest open one labelled with the alert id.

        With `retry`, the label lookup is repeated for a few seconds: Coralogix may create the
        incident after it sent the notification.
        """
        if not self.follows_incidents:
            return None
        if notification.incident_id:
            return Incident(id=notification.incident_id)
        query = IncidentFilter(status=OPEN_INCIDENT, contextual_labels={"alert_id": notification.alert_ids})
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

    # -- messages following actions ---------------------------------------------------------------

    async def begin(self, record: AlertRecord, action: Action, job_id: int) -> AlertRecord | IdResult:
        """Show "Resolving… (@user)" on the message acted on, with no buttons to press twice; or, when
        the message shows that nothing is to be done, the result that says why (no Coralogix call)."""
        claimed = await self.alerts.claim(
            record.id, action=action.verb.value, user=action.user, allowed_from=ALLOWED_FROM[action.verb], job_id=job_id
        )
        if claimed is None:
            return _refusal(await self.alerts.get(record.id) or record, action.verb)
        await self._render(claimed)
        return claimed

    async def incident_of(self, record: AlertRecord) -> str | None:
        """The incident the message shows; looked up in Coralogix when it was not known at posting time."""
        if record.incident_id:
            return record.incident_id
        notification = AlertNotification.stored(record.notification)
        incident = await self.find_incident(notification, retry=False)
        if incident is None:
            return None
        bound = await self.alerts.set_incident(record.id, incident.id)
        if bound is not None:
            await self._learned(bound)
        return bound.incident_id if bound else incident.id

    async def abandon(self, record: AlertRecord, action: Action, reason: str, error_id: str | None) -> None:
        """The action on this message did not happen: its buttons come back, and the thread says why."""
        current = await self.alerts.get(record.id) or record
        released = None
        if current.pending_action:
            released = await self.alerts.release(current.id, expect_version=current.version)
        line = ThreadLine(Outcome.FAILED, user=action.user, detail=f"{action.verb.value}: {reason}", error_id=error_id)
        await self._show(released or current, line, changed=released is not None)

    async def showing(self, results: Sequence[IdResult]) -> dict[str, list[AlertRecord]]:
        """The alert messages `follow` will re-render: those showing an incident the action got where it wanted."""
        done = [r.id for r in results if r.outcome.done]
        return await self.alerts.by_incidents(done) if done else {}

    async def follow(
        self, action: Action, results: Sequence[IdResult], showing: dict[str, list[AlertRecord]] | None = None
    ) -> None:
        """Re-render every alert message showing an incident the action got where it wanted (`showing`, when
        just read), with one thread line each. Someone else's earlier change is shown as theirs (or Coralogix's)."""
        if showing is None:
            showing = await self.showing(results)
        for result in results:
            if not result.outcome.done:
                continue
            ours = result.outcome in (Outcome.RESOLVED, Outcome.ACKNOWLEDGED, Outcome.CLOSED)
            # A closed case is past resolved: its alert message shows it resolved.
            acknowledged = result.outcome in (Outcome.ACKNOWLEDGED, Outcome.ALREADY_ACKNOWLEDGED)
            verb = Verb.ACKNOWLEDGE if acknowledged else Verb.RESOLVE
            by = action.user if ours else result.by
            via = action.surface.value if ours else (None if result.by else CORALOGIX)
            line = ThreadLine(
                Outcome.RESOLVED if verb is Verb.RESOLVE else Outcome.ACKNOWLEDGED,
                user=by,
                via=via,
                note=action.note if ours else None,
            )
            for record in showing.get(result.id, []):
                to, allowed, shown = LEADS_TO[verb], ALLOWED_FROM[verb], line
                if record.kind is MessageKind.CASE and result.outcome in (Outcome.CLOSED, Outcome.ALREADY_CLOSED):
                    # A case message shows the case closed, not merely resolved.
                    to, allowed, shown = (
                        AlertStatus.CLOSED,
                        {*OPEN, AlertStatus.RESOLVED},
                        replace(line, outcome=Outcome.CLOSED),
                    )
                done = await self.alerts.transition(record.id, to, by=by, via=via or CORALOGIX, allowed_from=allowed)
                if done is not None:
                    await self._show(done, shown)
                elif record.pending_action and record.pending_by == action.user:
                    await self._settle(record)

    async def let_go(self, record: AlertRecord) -> None:
        """The action on this message came to nothing to show (another is on it): its "Resolving…" goes."""
        current = await self.alerts.get(record.id)
        if current is not None and current.pending_job == record.pending_job:
            await self._settle(current)

    async def _settle(self, record: AlertRecord) -> None:
        """Nothing to change on this message (e.g. already resolved), but its "Resolving…" must not stay."""
        if released := await self.alerts.release(record.id, expect_version=record.version):
            await self._render(released)

    async def reconcile(self) -> int:
        """Read the incidents behind every open message from Coralogix, in batches, and show what changed
        elsewhere (a resolve done by hand in Coralogix may send no notification); how many changed."""
        changed, after = 0, 0
        while self.follows_incidents and (
            records := await self.alerts.open_with_incident(after=after, limit=RECONCILE_BATCH)
        ):
            after = records[-1].id
            ids = list(dict.fromkeys(r.incident_id for r in records if r.incident_id))
            found = (await self.incidents.api.batch_get_incidents(ids=ids)).incidents
            for record in records:
                incident = found.get(record.incident_id or "")
                if incident is None or record.pending_action:
                    continue
                if incident.is_resolved:
                    done = await self.alerts.transition(
                        record.id, AlertStatus.RESOLVED, by=None, via=CORALOGIX, allowed_from=set(OPEN)
                    )
                    await self._show(done, ThreadLine(Outcome.RESOLVED, via=CORALOGIX))
                elif incident.status is IncidentStatus.ACKNOWLEDGED and record.status is AlertStatus.TRIGGERED:
                    allowed = {AlertStatus.TRIGGERED}
                    done = await self.alerts.transition(
                        record.id, AlertStatus.ACKNOWLEDGED, by=None, via=CORALOGIX, allowed_from=allowed
                    )
                    await self._show(done, ThreadLine(Outcome.ACKNOWLEDGED, via=CORALOGIX))
                else:
                    continue
                changed += done is not None
        return changed

    async def recover_stale_claims(self) -> int:
        """Messages left on "Resolving…" longer than any action can take get their buttons back."""
        released = await self.alerts.release_stale()
        for record in released:
            await self._render(record)
        return len(released)

    async def record_for_thread(self, channel: str, thread_ts: str) -> AlertRecord | None:
        """The alert whose message starts the thread (channel, thread_ts)."""
        return await self.alerts.by_message(channel, thread_ts)

    async def _learned(self, record: AlertRecord) -> None:
        """An alert learned its incident: a storm covering it counts it in "Resolve all" at the next render."""
        if record.storm_id is not None and self.storms:
            await self.storms.changed(record.storm_id)

    async def _render(self, record: AlertRecord) -> None:
        if record.ts is not None:  # a reservation not posted yet is posted with its state by its own job
            await self.publisher.update_alert(record)

    async def _show(self, record: AlertRecord | None, line: ThreadLine, *, changed: bool = True) -> None:
        """Re-render a changed record and add its one thread line; nothing when the change did not happen."""
        if record is not None and record.storm_id is not None and self.storms and changed:
            await self.storms.changed(record.storm_id)
        if record is None or record.ts is None:
            return
        if changed:
            await self.publisher.update_alert(record)
        await self.publisher.thread_reply(record, line)


def _refusal(record: AlertRecord, verb: Verb) -> IdResult:
    """Why an action on this message needs no Coralogix call, from the message as it is now."""
    incident = record.incident_id or ""
    if record.status is AlertStatus.CLOSED:  # a case message
        return IdResult(incident, Outcome.ALREADY_CLOSED, by=record.status_by, at=record.status_at)
    if record.status is AlertStatus.RESOLVED:
        return IdResult(incident, Outcome.ALREADY_RESOLVED, by=record.status_by, at=record.status_at)
    if verb is Verb.ACKNOWLEDGE and record.status is AlertStatus.ACKNOWLEDGED:
        return IdResult(incident, Outcome.ALREADY_ACKNOWLEDGED, by=record.status_by, at=record.status_at)
    return IdResult(
        incident, Outcome.IN_FLIGHT, reason=record.pending_action, by=record.pending_by, at=record.pending_since
    )
