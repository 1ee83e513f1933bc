"""The one action pipeline: every surface's resolve or acknowledge runs here, durable and exactly once.

    targets → authorize → claim → Coralogix → decide → tell the person → follow on messages
            → comment on the cases → record

Each step is one method. A job's stage is journaled after each step that must not be repeated
(Coralogix was called and the outcome decided; the person was told; the messages followed), so a
run interrupted by a crash or a deploy resumes where it stopped: another process reads the
journal, asks Coralogix again for what was not decided, and tells the person once. When no alert
message or case is left to follow, the job's finish itself records that the person was told: it
comes right after the answer, with nothing between them that waits on the network.

Each id goes to the service of what it names (`bot.services.targets`): an incident, or a Coralogix
Case (a readable `CASE-123`, or any id on a tenant set to Cases); everything else is the same for
both. `authorize` applies the access policy (per id, reading the incidents or cases only when a rule
looks at them); after the messages, each case the action changed gets one comment naming the person
(`bot.services.case_comments`); `record` writes the audit trail, once per job, before it is finished.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from bot.api import ApiError
from bot.errors import BotError, describe, record_failure
from bot.metrics import Metrics
from bot.policy import Decision, NeedsIncident
from bot.services.access import Access, Target, Verdicts
from bot.services.actions import Action, IdResult, Outcome, Report, Surface
from bot.services.alerts import AlertService
from bot.services.auditing import AuditTrail
from bot.services.case_comments import CaseComments
from bot.services.claimed import Stopwatch, busy, credited
from bot.services.targets import Targets
from bot.store import AlertRecord, AlertStatus, Claims, Job, Journal, LeaseLost
from bot.store.audit import AuditRecord

logger = logging.getLogger(__name__)

# Journaled stages, in order.
DECIDED = "decided"  # Coralogix was asked; `job.result` holds the report
TOLD = "told"  # the person who asked has the answer
FOLLOWED = "followed"  # every alert message shows it
COMMENTED = "commented"  # each case changed has its comment naming the person

NOT_TRACKED = (
    "I don't have this alert on record (it may predate my database), so I can't act on it. "
    "Use /resolve-incident <incident-id> instead."
)
NO_INCIDENT = "Could not act on it: no open incident for this alert was found in Coralogix."


class Reporter(Protocol):
    """Where an action's answer goes (Slack, through the surface it came from)."""

    async def tell(self, action: Action, report: Report) -> None:
        """Give the person who asked the one answer to their action."""


class ActionPipeline:
    """Runs journaled actions to their end."""

    def __init__(
        self,
        *,
        targets: Targets,
        alerts: AlertService,
        claims: Claims,
        journal: Journal,
        reporter: Reporter,
        metrics: Metrics,
        access: Access,
        audit: AuditTrail,
        comments: CaseComments,
    ) -> None:
        self.targets = targets
        self.comments = comments
        self.alerts = alerts
        self.claims = claims
        self.journal = journal
        self.reporter = reporter
        self.metrics = metrics
        self.access = access
        self.audit = audit

    async def run(self, job: Job) -> None:
        """Run (or resume) one action job."""
        action = Action.model_validate(job.payload)
        if job.stage is None:
            report = await self._decide(job, action)
            job = await self.journal.record(job, stage=DECIDED, result=report.to_json())
        else:
            report = Report.from_json(job.result or {})
        is_case = {r.id for r in report.results if self._case(r)}
        showing = None
        if job.stage == DECIDED:
            entry = await self.audit.of_action(job.id, action, report)  # Slack's names: before the person is told
            await self.reporter.tell(action, report)
            showing = await self.alerts.showing(report.results)
            if not (showing or is_case):  # only the finish is left: it records that the person was told, and
                return await self._finish_after_telling(job, action, report, entry)  # nothing waits before it
            job = await self.journal.record(job, stage=TOLD)
        if job.stage == TOLD:
            await self.alerts.follow(action, report.results, showing)
            if is_case:  # Following again is harmless (each message changes once); without comments to come,
                job = await self.journal.record(job, stage=FOLLOWED)  # the job's finish says it.
        if job.stage == FOLLOWED and is_case:
            await self.comments.after(action, report, is_case=is_case)
            job = await self.journal.record(job, stage=COMMENTED)
        await self.record(job, action, report)

    async def _decide(self, job: Job, action: Action) -> Report:
        """Everything up to and including Coralogix: what became of each incident."""
        watch = Stopwatch()
        message: AlertRecord | None = None
        if action.surface in (Surface.BUTTON, Surface.THREAD):
            found = await self._message(job, action, watch)
            if isinstance(found, Report):
                return found
            message, verdicts = found
        else:
            try:
                verdicts = await self.authorize(action, action.ids, watch)
            except (ApiError, BotError) as e:  # the incidents the policy needs could not be read
                return await self._failed(action, e, None, watch)
        taken, others, before = await self.claims.take_after_reading(
            verdicts.allowed, job_id=job.id, verb=action.verb.value, user=action.user
        )
        earlier = {c.incident_id: c for c in before if not c.running}
        held = [busy(claim) for claim in others]
        try:
            with watch:
                done = await self._call(action, taken, job, read=verdicts.read)
        except (ApiError, BotError) as e:  # nothing could be done at all (e.g. the key is refused)
            return await self._failed(action, e, message, watch)
        done = credited(done, earlier, job.id)
        if message is not None:
            done = await self._overtaken(message, done)
        results = {r.id: replace(r, rule=verdicts.rules.get(r.id, r.rule)) for r in [*verdicts.settled, *held, *done]}
        asked = verdicts.allowed if message is not None else action.ids
        report = Report(results=[results[i] for i in dict.fromkeys(asked)], coralogix_ms=watch.ms)
        failed = report.of(Outcome.FAILED)
        error_id = None
        if failed:
            what = f"{action.verb.value} failed for {len(failed)} of {len(report.results)} incidents (the first reason)"
            error_id = record_failure(logger, what, failed[0].reason or "not confirmed")
            if message is not None:
                await self.alerts.abandon(message, action, failed[0].reason or "not confirmed", error_id)
        elif message is not None and not any(r.outcome.done for r in report.results):
            await self.alerts.let_go(message)  # someone else is on it, or it is gone: the buttons come back
        self._count(action, report)
        return replace(report, error_id=error_id)

    async def authorize(self, action: Action, ids: Sequence[str], watch: Stopwatch) -> Verdicts:
        """Each incident allowed or refused by the access policy; the incidents are read from Coralogix
        only when a rule that may apply filters on them."""
        read = None
        if isinstance(await self.access.first_look(action.user, action.verb, action.channel), NeedsIncident):
            with watch:
                read = await self.targets.lookup(list(dict.fromkeys(ids)))
        cases = frozenset(i for i in ids if self.targets.is_case(i))
        return await self.access.sort(action.user, action.verb, action.channel, ids, read, cases=cases)

    async def _message(self, job: Job, action: Action, watch: Stopwatch) -> tuple[AlertRecord, Verdicts] | Report:
        """The alert message a button or a thread mention acts on, marked "Resolving…", and its incident.
        A person the policy refuses leaves the message as it was, for everyone else."""
        record = None
        if action.channel and action.message_ts:
            record = await self.alerts.alerts.by_message(action.channel, action.message_ts)
        if record is None:
            return self._counted(action, Report(problem=NOT_TRACKED))
        first = await self.access.first_look(action.user, action.verb, action.channel)
        if isinstance(first, NeedsIncident):  # the rules look at the incident: find and read it first
            try:
                with watch:
                    incident = await self.alerts.incident_of(record)
                verdicts = await self.authorize(action, [incident] if incident else [], watch)
            except (ApiError, BotError) as e:
                return await self._failed(action, e, None, watch)
            if incident is None:
                return self._counted(action, Report(problem=NO_INCIDENT))
            if not verdicts.allowed:
                return self._settled(action, verdicts.settled, watch)
        elif not first.allowed:
            refused = IdResult(record.incident_id or "", Outcome.REFUSED, reason=first.reason, rule=first.rule)
            return self._settled(action, [refused], watch)
        begun = await self.alerts.begin(record, action, job.id)
        if isinstance(begun, IdResult):  # the message shows there is nothing to do (or someone is on it)
            return self._settled(action, [begun], watch)
        with watch:
            incident = await self.alerts.incident_of(begun)
        if incident is None:
            await self.alerts.abandon(begun, action, NO_INCIDENT, None)
            return self._counted(action, Report(problem=NO_INCIDENT))
        if isinstance(first, Decision):
            verdicts = Verdicts(allowed=[incident], rules={incident: first.rule})
        return begun, verdicts

    async def _overtaken(self, message: AlertRecord, results: list[IdResult]) -> list[IdResult]:
        """An acknowledge that lands after the message was resolved (Coralogix said so meanwhile) tells the
        truth: the alert is resolved; the acknowledge never reopens it."""
        fresh = await self.alerts.alerts.get(message.id)
        if fresh is None or fresh.status is not AlertStatus.RESOLVED:
            return results
        return [
            IdResult(r.id, Outcome.ALREADY_RESOLVED, r.incident, by=fresh.status_by, at=fresh.status_at)
            if r.outcome is Outcome.ACKNOWLEDGED
            else r
            for r in results
        ]

    async def _call(self, action: Action, ids: list[str], job: Job, *, read: Mapping[str, Target]) -> list[IdResult]:
        if not ids:
            return []
        # One incident (the common case) takes one Coralogix call: the resolve answer tells "already
        # resolved" apart (see resolve_verified). Several are read first, so that unknown and resolved
        # ids are never sent to resolve; so is one an earlier run may have resolved (the read tells
        # "resolved by this action" apart). When the access policy has just read them, that is the read.
        since = job.created_at if job.resumed else None
        return await self.targets.act(action, ids, precheck=job.resumed, since=since, read=read)

    def _case(self, result: IdResult) -> bool:
        """Whether a result is a case's (read as one, or named as one)."""
        return result.case is not None or (result.incident is None and self.targets.is_case(result.id))

    async def _finish_after_telling(self, job: Job, action: Action, report: Report, entry: AuditRecord) -> None:
        """The finish, straight after the answer; if it fails, the stage says the person was told, so the retry
        (a later run, maybe elsewhere) does not tell them again."""
        try:
            await self.record(job, action, report, entry)
        except LeaseLost:
            raise  # another process runs the job now: it may write nothing more
        except Exception:
            await self.journal.record(job, stage=TOLD)
            raise

    async def record(self, job: Job, action: Action, report: Report, entry: AuditRecord | None = None) -> None:
        """The audit record of the action and what became of it (once per job; `entry` when already made), the
        claims released and the job finished, in one transaction (all or nothing: a resumed run does all
        three); and a log line."""
        if entry is None:
            entry = await self.audit.of_action(job.id, action, report)  # names from Slack: before the transaction
        async with self.journal.transaction() as connection:
            await self.journal.finish(job, connection=connection)  # first: a lost lease stops the rest
            await self.audit.log.record(entry, connection=connection)
            await self.claims.finish(
                job.id, {r.id: r.outcome.value for r in report.results if r.id}, connection=connection
            )
        logger.info(
            "%s from %s by %s: %s",
            action.verb.value,
            action.surface.value,
            action.user,
            report.problem or ", ".join(sorted({r.outcome.value for r in report.results})) or "nothing asked",
        )

    def _counted(self, action: Action, report: Report) -> Report:
        self.metrics.actions.labels(action.surface.value, action.verb.value, "not_started").inc()
        return report

    def _count(self, action: Action, report: Report) -> None:
        for result in report.results:
            self.metrics.actions.labels(action.surface.value, action.verb.value, result.outcome.value).inc()

    def _settled(self, action: Action, results: list[IdResult], watch: Stopwatch) -> Report:
        """An action that ends before any change: refused, not found, or nothing to do."""
        report = Report(results=results, coralogix_ms=watch.ms)
        self._count(action, report)
        return report

    async def _failed(
        self, action: Action, error: ApiError | BotError, message: AlertRecord | None, watch: Stopwatch
    ) -> Report:
        """Nothing could be done at all: the error id, and the message's buttons back with a word why."""
        problem_id = record_failure(logger, f"{action.verb.value} from {action.surface.value} failed", error)
        if message is not None:
            await self.alerts.abandon(message, action, describe(error), problem_id)
        report = Report(problem=describe(error), error_id=problem_id, coralogix_ms=watch.ms)
        return self._counted(action, report)
