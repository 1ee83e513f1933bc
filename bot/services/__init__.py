"""Slack-free use cases, and the container the composition root hands to listeners."""

from __future__ import annotations

from dataclasses import dataclass

from bot.background import BackgroundTasks
from bot.metrics import Metrics
from bot.services.alerts import AlertService
from bot.services.incidents import IdResult, IncidentService, Outcome, ResolveReport
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Services:
    """Everything listeners may use, built once in `bot.app.build_runtime`."""

    incidents: IncidentService
    alerts: AlertService
    store: Store
    tasks: BackgroundTasks  # work after the answer, drained at shutdown
    metrics: Metrics


__all__ = ["AlertService", "IdResult", "IncidentService", "Outcome", "ResolveReport", "Services"]
