"""The channel summary of a resolve: Block Kit blocks plus a fallback text, as a pure function."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.api.case_models import Case
from bot.api.models import Incident
from bot.formatters.cases import case_line
from bot.formatters.common import (
    MESSAGE_BLOCK_LIMIT,
    Message,
    context,
    date_token,
    escape,
    pack_lines,
    section,
    severity_marker,
    truncate,
)
from bot.formatters.outcomes import MARKS
from bot.ids import BlockId
from bot.services.actions import IdResult, Outcome, Report

# Up to this many incidents get a detailed line each; beyond it, one compact line each.
DETAILED_LIMIT = 10
NAME_LIMIT = 150
# Ids sharing a reason are listed this many to a line (about 2 400 characters).
IDS_PER_LINE = 60
# The escaped reason in front of such a line, so that reason and ids fit one 3 000-character section.
LIST_REASON_LIMIT = 500

# Failures first: when a huge summary must be cut, what someone still has to act on stays visible.
HEADINGS: dict[Outcome, tuple[str, BlockId]] = {
    Outcome.FAILED: (":x: *Failed*", BlockId.SUMMARY_FAILED),
    Outcome.REFUSED: (f"{MARKS[Outcome.REFUSED]} *Not allowed*", BlockId.SUMMARY_REFUSED),
    Outcome.NOT_FOUND: (f"{MARKS[Outcome.NOT_FOUND]} *Not found*", BlockId.SUMMARY_NOT_FOUND),
    Outcome.IN_FLIGHT: (f"{MARKS[Outcome.IN_FLIGHT]} *Being resolved by someone else*", BlockId.SUMMARY_IN_FLIGHT),
    Outcome.RESOLVED: (f"{MARKS[Outcome.RESOLVED]} *Resolved*", BlockId.SUMMARY_RESOLVED),
    Outcome.ALREADY_RESOLVED: (f"{MARKS[Outcome.ALREADY_RESOLVED]} *Already resolved*", BlockId.SUMMARY_ALREADY),
    Outcome.ACKNOWLEDGED: (f"{MARKS[Outcome.ACKNOWLEDGED]} *Acknowledged*", BlockId.SUMMARY_ACKNOWLEDGED),
    Outcome.ALREADY_ACKNOWLEDGED: (
        f"{MARKS[Outcome.ALREADY_ACKNOWLEDGED]} *Already acknowledged*",
        BlockId.SUMMARY_ALREADY_ACKNOWLEDGED,
    ),
    Outcome.CLOSED: (f"{MARKS[Outcome.CLOSED]} *Closed*", BlockId.SUMMARY_CLOSED),
    Outcome.ALREADY_CLOSED: (f"{MARKS[Outcome.ALREADY_CLOSED]} *Already closed*", BlockId.SUMMARY_ALREADY_CLOSED),
}
# Outcomes that carry a reason worth a line of its own.
EXPLAINED = (Outcome.FAILED, Outcome.NOT_FOUND, Outcome.REFUSED)


def incident_name(incident: Incident | None, incident_id: str) -> str:
    """The incident's escaped name, or its id when it has none."""
    name = incident.name if incident and incident.name else None
    return escape(truncate(name, NAME_LIMIT)) if name else f"`{escape(incident_id)}`"


def _labels(incident: Incident | None) -> str:
    if incident is None:
        return ""
    parts = []
    if incident.application:
        parts.append(f"app: {escape(truncate(incident.application, 80))}")
    if incident.subsystem:
        parts.append(f"subsystem: {escape(truncate(incident.subsystem, 80))}")
    return " · ".join(parts)


def _case_line(case: Case, result: IdResult) -> str:
    """A case's line: priority marker, title and readable id (its reason, when it has one worth telling)."""
    line = case_line(case)
    if result.reason and result.outcome in EXPLAINED:
        line += f"\n      _{escape(truncate(result.reason, 600))}_"
    return line


def _line(result: IdResult, *, detailed: bool) -> str:
    if result.case is not None and result.incident is None:
        return _case_line(result.case, result)
    incident = result.incident
    marker = severity_marker(incident.severity if incident else None)
    name = incident_name(incident, result.id)
    line = f"{marker} *{name}*" if incident and incident.name else f"{marker} {name}"
    if incident and incident.name:
        line += f" `{escape(result.id)}`"
    if detailed:
        labels = _labels(incident)
        if labels:
            line += f"\n      {labels}"
    if result.reason and result.outcome in EXPLAINED:
        line += f"\n      _{escape(truncate(result.reason, 600))}_"
    if result.by and result.outcome in (Outcome.IN_FLIGHT, Outcome.ALREADY_RESOLVED):
        line += f" · by <@{escape(result.by)}>" + (f" {date_token(result.at)}" if result.at else "")
    return line


def _compact_lines(outcome: Outcome, results: list[IdResult]) -> list[str]:
    """One short line per incident; ids that share a reason share one line."""
    if outcome not in EXPLAINED:
        return [_line(r, detailed=False) for r in results]
    by_reason: dict[str, list[str]] = {}
    for r in results:
        by_reason.setdefault(r.reason or "no reason given", []).append(f"`{escape(r.id)}`")
    lines = []
    for reason, ids in by_reason.items():
        for start in range(0, len(ids), IDS_PER_LINE):
            # Escape before cutting: escaping can grow the text fivefold and push the ids out of the line.
            shown = truncate(escape(reason), LIST_REASON_LIMIT)
            lines.append(f"_{shown}_: {', '.join(ids[start : start + IDS_PER_LINE])}")
    return lines


def _counts(report: Report) -> str:
    total = len(report.results)
    resolved = len(report.of(Outcome.RESOLVED))
    extras = [
        f"{len(report.of(o))} {word}"
        for o, word in (
            (Outcome.ALREADY_RESOLVED, "already resolved"),
            (Outcome.CLOSED, "closed"),
            (Outcome.ALREADY_CLOSED, "already closed"),
            (Outcome.IN_FLIGHT, "being resolved by someone else"),
            (Outcome.NOT_FOUND, "not found"),
            (Outcome.REFUSED, "not allowed"),
            (Outcome.FAILED, "failed"),
        )
        if report.of(o)
    ]
    noun = "incident" if total == 1 else "incidents"
    text = f"Resolved {resolved} of {total} {noun}"
    return f"{text} ({', '.join(extras)})" if extras else text


def summary_message(
    report: Report, *, user_id: str, at: datetime, error_id: str | None = None, note: str | None = None
) -> Message:
    """Render `report` for the channel: counts, who asked, when, and one line per id."""
    who = f"<@{escape(user_id)}>"
    counts = _counts(report)
    blocks: list[dict[str, Any]] = [section(f"*{counts}*", BlockId.SUMMARY_HEADER)]
    footer = f"Requested by {who} · {date_token(at)}"
    if note:
        footer += f" · Note: {escape(truncate(note, 500))}"
    error_id = error_id or report.error_id
    if error_id and report.of(Outcome.FAILED):
        footer += f" · error id `{escape(error_id)}`"
    detailed = len(report.results) <= DETAILED_LIMIT
    # Room for the header and footer blocks, and one "more than fits" line if we run out.
    budget = MESSAGE_BLOCK_LIMIT - 3
    overflow = False
    for outcome, (heading, block_id) in HEADINGS.items():
        results = report.of(outcome)
        if not results:
            continue
        lines = [_line(r, detailed=True) for r in results] if detailed else _compact_lines(outcome, results)
        for n, text in enumerate(pack_lines([heading, *lines])):
            if budget == 0:
                overflow = True
                break
            blocks.append(section(text, f"{block_id}_{n}" if n else block_id))
            budget -= 1
    if overflow:
        blocks.append(context("…more than one message can show; the counts above include every id."))
    blocks.append(context(footer, BlockId.SUMMARY_FOOTER))
    return Message(text=f"{counts}, requested by {who}", blocks=blocks)
