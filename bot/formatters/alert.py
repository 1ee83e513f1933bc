"""The alert message and its thread lines, rendered from state by pure functions.

Every change re-renders the whole message from the stored record (never an edit on top of an
edit): triggered → acknowledged → resolved, with "Resolving… (@user)" while an action is in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.api.models import IncidentSeverity
from bot.formatters.common import (
    Message,
    button,
    confirm_resolve,
    context,
    date_token,
    escape,
    safe_url,
    section,
    severity_marker,
    severity_word,
    truncate,
)
from bot.formatters.outcomes import MARKS
from bot.ids import ActionId, BlockId, Command
from bot.services.actions import Outcome
from bot.services.alert_model import CORALOGIX, ThreadLine
from bot.services.notifications import AlertNotification
from bot.store import AlertRecord, AlertStatus

COLOURS: dict[IncidentSeverity | None, str] = {
    IncidentSeverity.CRITICAL: "#E01E5A",
    IncidentSeverity.ERROR: "#F2952F",
    IncidentSeverity.WARNING: "#ECB22E",
    IncidentSeverity.INFO: "#36C5F0",
    IncidentSeverity.LOW: "#9E9E9E",
}
RESOLVED_COLOUR = "#2EB67D"
PENDING_WORDS = {"resolve": "Resolving", "acknowledge": "Acknowledging"}
VIA_WORDS = {
    "button": "",
    "thread": "from the thread",
    "command": f"via {Command.RESOLVE_INCIDENT.value}",
    "shortcut": "via the message shortcut",
    "home": "from the App Home",
    "picker": "via the picker",
    "storm": "from the storm message",
}
MAX_EXTRAS = 6
RESOLVED, ACKNOWLEDGED = MARKS[Outcome.RESOLVED], MARKS[Outcome.ACKNOWLEDGED]


@dataclass(frozen=True, slots=True)
class AlertState:
    """What the message shows besides the notification itself."""

    status: AlertStatus = AlertStatus.TRIGGERED
    by: str | None = None
    via: str | None = None
    at: datetime | None = None
    pending_action: str | None = None
    pending_by: str | None = None
    incident_id: str | None = None
    version: int = 0

    @classmethod
    def of(cls, record: AlertRecord) -> AlertState:
        """The state stored in `record`."""
        return cls(
            record.status,
            record.status_by,
            record.status_via,
            record.status_at,
            record.pending_action,
            record.pending_by,
            record.incident_id,
            record.version,
        )


def _user(user_id: str) -> str:
    return f"<@{escape(user_id)}>"


def _via(via: str | None) -> str:
    words = VIA_WORDS.get(via or "", "")
    return f" {words}" if words else ""


def status_text(state: AlertState) -> str:
    """The one status line: who did what, when."""
    when = f" · {date_token(state.at)}" if state.at else ""
    if state.pending_action and state.pending_by:
        word = PENDING_WORDS.get(state.pending_action, "Working")
        return f":hourglass_flowing_sand: {word}… ({_user(state.pending_by)})"
    if state.status is AlertStatus.RESOLVED:
        if state.by:
            return f"{RESOLVED} Resolved by {_user(state.by)}{_via(state.via)}{when}"
        return f"{RESOLVED} Resolved in Coralogix{when}"
    if state.status is AlertStatus.ACKNOWLEDGED and state.by:
        return f"{ACKNOWLEDGED} Acknowledged by {_user(state.by)}{_via(state.via)}{when}"
    return ":rotating_light: Triggered · not acknowledged yet"


def _buttons(notification: AlertNotification, state: AlertState, name: str) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    value = truncate(notification.alert_id, 2000)  # a hint only: clicks are looked up by message
    if not state.pending_action and state.status is not AlertStatus.RESOLVED:
        confirm = confirm_resolve(name, "will be resolved in Coralogix for everyone.")
        buttons.append(button(ActionId.RESOLVE.value, "Resolve", style="primary", value=value, confirm=confirm))
        if state.status is AlertStatus.TRIGGERED:
            buttons.append(button(ActionId.ACKNOWLEDGE.value, "Acknowledge", value=value))
    if url := safe_url(notification.alert_url):
        buttons.append(button(ActionId.OPEN_IN_CORALOGIX.value, "Open in Coralogix", url=url))
    return buttons


def alert_message(notification: AlertNotification, state: AlertState) -> Message:
    """The whole alert message for `notification` in `state`: one coloured attachment of blocks."""
    severity = notification.incident_severity
    name = escape(truncate(notification.alert_name, 200))
    head = f"{severity_marker(severity)} *{name}*"
    if notification.description:
        # Escaped before it is cut (escaping may grow it fivefold); with the name (≤ 1 000 escaped), ≤ 3 000.
        head += f"\n{truncate(escape(notification.description), 1900)}"
    v = state.version
    blocks: list[dict[str, Any]] = [section(head, f"{BlockId.ALERT_HEAD}_{v}")]
    fields = [f"*Severity*\n{escape(truncate(notification.severity or severity_word(severity), 300))}"]
    for label, value in (
        ("Application", notification.application),
        ("Subsystem", notification.subsystem),
        ("Group by", notification.group_by),
    ):
        if value:
            fields.append(f"*{label}*\n{escape(truncate(value, 300))}")
    if notification.timestamp:
        fields.append(f"*Started*\n{date_token(notification.timestamp)}")
    if state.incident_id:
        fields.append(f"*Incident*\n`{escape(state.incident_id)}`")
    blocks.append(
        {
            "type": "section",
            "block_id": f"{BlockId.ALERT_FIELDS}_{v}",
            "fields": [{"type": "mrkdwn", "text": f} for f in fields[:10]],
        }
    )
    extras = list(notification.extras.items())[:MAX_EXTRAS]
    if extras:
        text = " · ".join(f"{escape(truncate(k, 40))}: {escape(truncate(val, 200))}" for k, val in extras)
        blocks.append(context(truncate(text, 2900), f"{BlockId.ALERT_EXTRA}_{v}"))
    blocks.append(context(status_text(state), f"{BlockId.ALERT_STATUS}_{v}"))
    buttons = _buttons(notification, state, name)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"{BlockId.ALERT_ACTIONS}_{v}", "elements": buttons})
    colour = RESOLVED_COLOUR if state.status is AlertStatus.RESOLVED else COLOURS.get(severity, "#9E9E9E")
    status_word = (
        PENDING_WORDS.get(state.pending_action, "working").lower() if state.pending_action else state.status.value
    )
    text = f"{severity_word(severity)} alert: {name} ({status_word})"
    return Message(text=text, blocks=[], attachments=[{"color": colour, "blocks": blocks, "fallback": text}])


def thread_text(line: ThreadLine) -> str:
    """One thread line: who, what, when, and what Coralogix said."""
    when = date_token(line.at)
    who = _user(line.user) if line.user else "Someone"
    note = f" · Note: {escape(truncate(line.note, 500))}" if line.note else ""
    detail = f" · {escape(truncate(line.detail, 600))}" if line.detail else ""
    in_coralogix = line.via == CORALOGIX and not line.user
    if line.outcome is Outcome.RESOLVED:
        if in_coralogix:
            return f"{RESOLVED} Resolved in Coralogix · {when}"
        return f"{RESOLVED} Resolved by {who}{_via(line.via)} · {when}{detail}{note}"
    if line.outcome is Outcome.ACKNOWLEDGED:
        if in_coralogix:
            return f"{ACKNOWLEDGED} Acknowledged in Coralogix · {when}"
        return f"{ACKNOWLEDGED} Acknowledged by {who}{_via(line.via)} · {when}{note}"
    error = f" (error id `{escape(line.error_id)}`)" if line.error_id else ""
    return f"{MARKS[Outcome.FAILED]} {who} tried to {escape(line.detail or 'act')}{error} · {when}"
