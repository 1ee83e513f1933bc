"""Short ephemeral and thread texts for alert actions, thread commands and help. Pure functions."""

from __future__ import annotations

from bot.formatters.alert import AlertState, status_text
from bot.formatters.common import date_token, escape
from bot.formatters.usage import usage_text
from bot.ids import Command
from bot.services.alerts import ActionOutcome, OutcomeKind


def outcome_text(outcome: ActionOutcome, action_word: str) -> str | None:
    """What the person who clicked (or wrote in the thread) is told; None when the message says it all."""
    record = outcome.record
    if outcome.kind is OutcomeKind.DONE:
        return None
    if outcome.kind is OutcomeKind.ALREADY_RESOLVED and record is not None:
        who = f"<@{escape(record.status_by)}>" if record.status_by else "Coralogix"
        when = f" at {date_token(record.status_at)}" if record.status_at else ""
        return f":ballot_box_with_check: Already resolved by {who}{when}."
    if outcome.kind is OutcomeKind.ALREADY_ACKNOWLEDGED and record is not None:
        who = f"<@{escape(record.status_by)}>" if record.status_by else "someone"
        return f":eyes: Already acknowledged by {who}."
    if outcome.kind is OutcomeKind.IN_FLIGHT and record is not None:
        who = f"<@{escape(record.pending_by)}>" if record.pending_by else "someone"
        word = "resolved" if record.pending_action == "resolve" else "acknowledged"
        return f":hourglass_flowing_sand: Already being {word} by {who}."
    if outcome.kind is OutcomeKind.NOT_TRACKED:
        return (
            ":grey_question: I don't have this alert on record (it may predate my database), so I can't act "
            f"on it. Use `{Command.RESOLVE_INCIDENT.value} &lt;incident-id&gt;` instead."
        )
    if outcome.kind is OutcomeKind.NO_INCIDENT:
        return f":grey_question: Could not {action_word}: {escape(outcome.reason or 'no incident found')}"
    error = f"\nError id: `{escape(outcome.error_id)}`" if outcome.error_id else ""
    return f":warning: Could not {action_word} the incident: {escape(outcome.reason or 'unknown error')}{error}"


def thread_status_text(outcome_record_state: AlertState, incident_id: str | None) -> str:
    """`@bot status` in an alert thread."""
    incident = f" · incident `{escape(incident_id)}`" if incident_id else " · incident not found yet"
    return status_text(outcome_record_state) + incident


def mention_help_text(in_alert_thread: bool, in_thread: bool = True) -> str:
    """What a bare or not-understood mention gets back: the full help, led by why nothing happened."""
    if in_alert_thread:
        lead = "I understand `resolve [note]`, `ack` and `status` here."
    elif in_thread:
        lead = "This thread is not one of my alert messages, so I don't know which incident you mean."
    else:
        lead = "To act on an alert, mention me in the thread of its alert message."
    return f"{lead}\n\n{usage_text()}"
