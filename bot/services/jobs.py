"""The job runners the worker calls: user actions (the pipeline) and Coralogix notifications."""

from __future__ import annotations

import logging

from bot.services.actions import Action, Report
from bot.services.alert_model import Handled
from bot.services.alerts import AlertService
from bot.services.auditing import AuditTrail
from bot.services.case_messages import CaseMessageService
from bot.services.case_notifications import CaseNotification
from bot.services.notifications import AlertNotification
from bot.services.pipeline import Reporter
from bot.store import Job, Journal

logger = logging.getLogger(__name__)

# A resolve notification that arrives before its trigger's message exists waits for it this often,
# this many times (two minutes), then is dropped: the trigger may never have reached the bot.
WAIT_FOR_MESSAGE = 2.0
WAIT_ATTEMPTS = 60
GAVE_UP = "The bot could not finish this after several tries, so it may be only partly done."


class NotificationJobs:
    """Runs notification jobs: post or re-render, and keep a resolve that came before its trigger."""

    def __init__(self, alerts: AlertService, journal: Journal, audit: AuditTrail) -> None:
        self.alerts = alerts
        self.journal = journal
        self.audit = audit

    async def run(self, job: Job) -> None:
        """Handle one notification; a resolve with no message yet waits for the trigger's."""
        notification = AlertNotification.stored(job.payload)
        handled = await self.alerts.handle_notification(notification, job_id=job.id)
        if handled is Handled.NO_MESSAGE and job.attempts < WAIT_ATTEMPTS:
            await self.journal.defer(job, seconds=WAIT_FOR_MESSAGE)
            return
        await self.audit.notification(notification, handled.value, job_id=job.id)
        await self.journal.finish(job, result={"handled": handled.value})


class CaseNotificationJobs:
    """Runs case notification jobs: post or re-render; a case that ended before its message waits for it."""

    def __init__(self, cases: CaseMessageService, journal: Journal, audit: AuditTrail) -> None:
        self.cases = cases
        self.journal = journal
        self.audit = audit

    async def run(self, job: Job) -> None:
        """Handle one case notification, like an alert's."""
        notification = CaseNotification.from_body(job.payload, stored=True)
        handled = await self.cases.handle_notification(notification, job_id=job.id)
        if handled is Handled.NO_MESSAGE and job.attempts < WAIT_ATTEMPTS:
            await self.journal.defer(job, seconds=WAIT_FOR_MESSAGE)
            return
        await self.audit.case_notification(notification, handled.value, job_id=job.id)
        await self.journal.finish(job, result={"handled": handled.value})


async def tell_gave_up(reporter: Reporter, job: Job, error_id: str) -> None:
    """The person whose action kept failing hears it, with the error id the log has."""
    if job.kind.value == "action":
        await reporter.tell(Action.model_validate(job.payload), Report(problem=GAVE_UP, error_id=error_id))
