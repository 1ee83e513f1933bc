"""The audit trail, written: one record per action attempt (allowed or refused) and per notification.

The audit is the system of record of who did what (Coralogix's API records the API key, not the
person). Slack-free: people's names come from a `People` source (the Slack directory).

A job's record is written before the job is finished: when the database fails then, the job is run
again later and recorded then (once: `job_id` is unique). A refusal at the gate or a notification
refused at the webhook has no job: a failure to record it is logged with an error id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import record_failure
from bot.services.actions import Action, Outcome, Report
from bot.services.case_notifications import CaseNotification
from bot.services.notifications import AlertNotification
from bot.store.audit import AuditKind, AuditLog, AuditRecord, Decision

logger = logging.getLogger(__name__)


class Named(Protocol):
    """A person as the audit names them."""

    @property
    def name(self) -> str | None:
        """The Slack display name, else the real name."""

    @property
    def email(self) -> str | None:
        """Their email, when the app has the users:read.email scope."""


class People(Protocol):
    """Where names come from."""

    async def profile(self, user: str) -> Named:
        """Name and email of `user`; empty when unknown."""


class AuditTrail:
    """Writes audit records."""

    def __init__(self, log: AuditLog, people: People) -> None:
        self.log = log
        self.people = people

    async def action(self, job_id: int, action: Action, report: Report) -> None:
        """An action job and what became of it (once per job, however often it is resumed)."""
        await self.log.record(await self.of_action(job_id, action, report))

    async def of_action(self, job_id: int, action: Action, report: Report) -> AuditRecord:
        """The record of an action job and what became of it, to be written with the job's last writes."""
        refused = report.of(Outcome.REFUSED)
        decision = None
        if report.results:
            decision = Decision.REFUSED if len(refused) == len(report.results) else Decision.PARTLY if refused else None
            decision = decision or Decision.ALLOWED
        rules = [r.rule for r in report.results if r.rule]
        return AuditRecord(
            at=action.received_at,
            kind=AuditKind.ACTION,
            job_id=job_id,
            **await self._who(action.user),
            team=action.team,
            surface=action.surface.value,
            channel=action.channel,
            message_ts=action.message_ts,
            verb=action.verb.value,
            incident_ids=tuple(dict.fromkeys([*action.ids, *(r.id for r in report.results if r.id)])),
            note=action.note,
            decision=decision,
            rule="; ".join(dict.fromkeys(rules)) or None,
            outcomes={r.id: r.outcome.value for r in report.results if r.id},
            problem=report.problem,
            error_id=report.error_id,
            coralogix_ms=report.coralogix_ms,
        )

    async def refused_request(self, where: Mapping[str, str | None], why: str) -> None:
        """A request refused before it became an action (from another workspace, or for another app):
        `where` holds its `user`, `team`, `surface` and `channel`."""
        user = where.get("user")
        await self._write(
            AuditRecord(
                kind=AuditKind.REFUSAL,
                **(await self._who(user) if user else {}),
                team=where.get("team"),
                surface=where.get("surface"),
                channel=where.get("channel"),
                decision=Decision.REFUSED,
                rule="workspace gate",
                problem=why,
            )
        )

    async def notification(
        self, notification: AlertNotification, did: str, *, job_id: int | None = None, channel: str | None = None
    ) -> None:
        """A Coralogix notification, and what the bot did with it (posted, updated, refused: why, …)."""
        incident = notification.incident_id
        record = AuditRecord(
            kind=AuditKind.NOTIFICATION,
            job_id=job_id,
            surface="webhook",
            channel=channel or notification.channel,
            verb=notification.alert_action.value,
            incident_ids=(incident,) if incident else (),
            detail={"alert_id": notification.alert_id, "alert": notification.alert_name, "did": did},
        )
        if job_id is not None:
            await self.log.record(record)
        else:
            await self._write(record)

    async def case_notification(
        self, notification: CaseNotification, did: str, *, job_id: int | None = None, channel: str | None = None
    ) -> None:
        """A Coralogix case notification, and what the bot did with it; the verb is the event kind."""
        record = AuditRecord(
            kind=AuditKind.NOTIFICATION,
            job_id=job_id,
            surface="webhook",
            channel=channel or notification.channel,
            verb=f"case {notification.event.value}"[:32],
            incident_ids=(notification.case_id,),
            detail={"case": notification.ref, "title": notification.title, "did": did},
        )
        if job_id is not None:
            await self.log.record(record)
        else:
            await self._write(record)

    async def _who(self, user: str) -> dict[str, Any]:
        person = await self.people.profile(user)
        return {"user": user, "user_name": person.name, "user_email": person.email}

    async def _write(self, record: AuditRecord) -> None:
        """Record what has no job to run again: a failure is logged, not raised."""
        try:
            await self.log.record(record)
        except (SQLAlchemyError, OSError) as e:
            record_failure(logger, f"could not write the audit record of a {record.kind}", e)
