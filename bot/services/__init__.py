"""Slack-free use cases, and the container the composition root hands to listeners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.background import BackgroundTasks
from bot.metrics import Metrics
from bot.services.alerts import AlertService
from bot.services.auditing import AuditTrail
from bot.services.cases import CaseService
from bot.services.incidents import IncidentService
from bot.services.targets import Targets
from bot.store import Store

if TYPE_CHECKING:  # the Slack side and the worker are built on services; listeners use them by name
    from bot.slack_directory import SlackDirectory
    from bot.slack_home import HomePublisher
    from bot.slack_writes import SlackWriter
    from bot.worker import Worker


@dataclass(frozen=True, slots=True)
class Services:
    """Everything listeners may use, built once in `bot.app.build_runtime`."""

    incidents: IncidentService
    cases: CaseService  # Coralogix Cases: the picker and App Home on a Cases tenant, case comments
    targets: Targets  # which ids name cases (CORALOGIX_ENTITY), and lookups of incidents and cases alike
    alerts: AlertService
    store: Store
    tasks: BackgroundTasks  # listeners' work after their ack, waited for at shutdown
    metrics: Metrics
    worker: Worker  # takes every action and notification (journaled first)
    home: HomePublisher
    directory: SlackDirectory  # the workspace: its team and app, user groups, people's names
    audit: AuditTrail  # records what has no job: refusals at the gate, notifications refused
    writer: SlackWriter  # every Slack write: paced per channel, updates coalesced, 429s waited out


__all__ = ["AlertService", "IncidentService", "Services"]
