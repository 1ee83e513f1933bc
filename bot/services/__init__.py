"""Slack-free use cases, and the container the composition root hands to listeners."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.incidents import IdResult, IncidentService, Outcome, ResolveReport


@dataclass(frozen=True, slots=True)
class Services:
    """Everything listeners may use, built once in `bot.app.build_services`."""

    incidents: IncidentService


__all__ = ["IdResult", "IncidentService", "Outcome", "ResolveReport", "Services"]
