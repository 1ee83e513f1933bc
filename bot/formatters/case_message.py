"""The case message, its thread lines and its Resolve modal, rendered from state by pure functions.

Like the alert message, every change re-renders the whole message from the stored record: active →
acknowledged → resolved → closed, with "Resolving… (@user)" while an action is in flight. Resolved
and closed cases show no action buttons; the Open in Coralogix link stays.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.api.enums import CasePriority
from bot.formatters.alert import PENDING_WORDS, AlertState, _via
from bot.formatters.cases import PRIORITY_MARKERS
from bot.formatters.common import (
    Message,
    age,
    button,
    context,
    date_token,
    escape,
    note_input,
    safe_url,
    section,
    truncate,
)
from bot.formatters.outcomes import MARKS
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.actions import Outcome
from bot.services.alert_model import CORALOGIX, ThreadLine
from bot.services.case_notifications import CaseNotification
from bot.store import AlertStatus

COLOURS = {
    CasePriority.P1: "#E01E5A",
    CasePriority.P2: "#F2952F",
    CasePriority.P3: "#ECB22E",
    CasePriority.P4: "#36C5F0",
    CasePriority.P5: "#9E9E9E",
}
DONE_COLOUR = "#2EB67D"
STATUS_WORDS = {
    AlertStatus.TRIGGERED: "Active",
    AlertStatus.ACKNOWLEDGED: "Acknowledged",
    AlertStatus.RESOLVED: "Resolved",
    AlertStatus.CLOSED: "Closed",
}
PENDING = {**PENDING_WORDS, "close": "Closing"}
DONE_WORDS = {
    AlertStatus.ACKNOWLEDGED: (MARKS[Outcome.ACKNOWLEDGED], "Acknowledged"),
    AlertStatus.RESOLVED: (MARKS[Outcome.RESOLVED], "Resolved"),
    AlertStatus.CLOSED: (MARKS[Outcome.CLOSED], "Closed as a false alarm"),
}
LINE_WORDS = {
    Outcome.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
    Outcome.RESOLVED: AlertStatus.RESOLVED,
    Outcome.CLOSED: AlertStatus.CLOSED,
}
MAX_LABELS = 8
MODAL_TITLE = "Resolve case"


def priority_word(priority: CasePriority | None) -> str:
    """`P1` … `P5`; `No priority` when unset or unknown."""
    if priority is None or priority not in PRIORITY_MARKERS:
        return "No priority"
    return priority.value.removeprefix("CASE_PRIORITY_")


def _user(user_id: str) -> str:
    return f"<@{escape(user_id)}>"


def case_status_text(state: AlertState) -> str:
    """The one status line: who did what, when (or who is doing it now)."""
    if state.pending_action and state.pending_by:
        return f":hourglass_flowing_sand: {PENDING.get(state.pending_action, 'Working')}… ({_user(state.pending_by)})"
    if state.status not in DONE_WORDS:
        return ":rotating_light: Active · not acknowledged yet"
    mark, words = DONE_WORDS[state.status]
    when = f" · {date_token(state.at)}" if state.at else ""
    if state.by:
        return f"{mark} {words} by {_user(state.by)}{_via(state.via)}{when}"
    return f"{mark} {words} in Coralogix{when}"


def _buttons(case: CaseNotification, state: AlertState, name: str) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    value = case.case_id  # a hint only: clicks are looked up by message
    if not state.pending_action and state.status in (AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED):
        buttons.append(button(ActionId.CASE_RESOLVE.value, "Resolve", style="primary", value=value))
        if state.status is AlertStatus.TRIGGERED:
            buttons.append(button(ActionId.ACKNOWLEDGE.value, "Acknowledge", value=value))
        confirm = {
            "title": {"type": "plain_text", "text": "Close as a false alarm?"},
            "text": {"type": "mrkdwn", "text": f"*{truncate(name, 200)}* will be closed in Coralogix for everyone."},
            "confirm": {"type": "plain_text", "text": "Close case"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        }
        buttons.append(button(ActionId.CASE_CLOSE.value, "Close as false alarm", value=value, confirm=confirm))
    if url := safe_url(case.link):
        buttons.append(button(ActionId.OPEN_IN_CORALOGIX.value, "Open in Coralogix", url=url))
    return buttons


def case_message(case: CaseNotification, state: AlertState, now: datetime) -> Message:
    """The whole case message: one attachment coloured by priority (green once resolved or closed)."""
    name = escape(truncate(case.title or "Untitled case", 200))
    ref = escape(case.ref)
    marker = PRIORITY_MARKERS.get(case.priority, ":white_circle:") if case.priority else ":white_circle:"
    v = state.version
    blocks: list[dict[str, Any]] = [section(f"{marker} *{name}*\n`{ref}`", f"{BlockId.CASE_HEAD}_{v}")]
    fields = [
        f"*Priority*\n{priority_word(case.priority)}",
        f"*Status*\n{STATUS_WORDS.get(state.status, escape(state.status.value))}",
        f"*Assignee*\n{escape(truncate(case.assignee, 300)) if case.assignee else 'Unassigned'}",
    ]
    if case.created_at:
        fields.append(f"*Age*\n{age(case.created_at, now)} (since {date_token(case.created_at)})")
    if case.labels:
        pairs = list(case.labels.items())[:MAX_LABELS]
        text = ", ".join(f"{escape(truncate(k, 40))}={escape(truncate(val, 100))}" for k, val in pairs)
        fields.append(f"*Labels*\n{truncate(text, 1900)}")
    blocks.append(
        {
            "type": "section",
            "block_id": f"{BlockId.CASE_FIELDS}_{v}",
            "fields": [{"type": "mrkdwn", "text": f} for f in fields],
        }
    )
    blocks.append(context(case_status_text(state), f"{BlockId.CASE_STATUS}_{v}"))
    if buttons := _buttons(case, state, name):
        blocks.append({"type": "actions", "block_id": f"{BlockId.CASE_ACTIONS}_{v}", "elements": buttons})
    done = state.status in (AlertStatus.RESOLVED, AlertStatus.CLOSED)
    colour = DONE_COLOUR if done else COLOURS.get(case.priority or CasePriority.UNSPECIFIED, "#9E9E9E")
    status_word = PENDING.get(state.pending_action or "", "").lower() or STATUS_WORDS.get(state.status, "").lower()
    text = f"{priority_word(case.priority)} case {ref}: {name} ({status_word})"
    return Message(text=text, blocks=[], attachments=[{"color": colour, "blocks": blocks, "fallback": text}])


def case_thread_text(line: ThreadLine) -> str:
    """One thread line: who acknowledged, resolved (with the reason) or closed the case, or what failed."""
    when = date_token(line.at)
    status = LINE_WORDS.get(line.outcome)
    if status is not None:
        mark, words = DONE_WORDS[status]
        if line.via == CORALOGIX and not line.user:
            return f"{mark} {words} in Coralogix · {when}"
        who = _user(line.user) if line.user else "Someone"
        reason = f" · Reason: {escape(truncate(line.note, 500))}" if line.note else ""
        return f"{mark} {words} by {who}{_via(line.via)} · {when}{reason}"
    who = _user(line.user) if line.user else "Someone"
    error = f" (error id `{escape(line.error_id)}`)" if line.error_id else ""
    return f"{MARKS[Outcome.FAILED]} {who} tried to {escape(line.detail or 'act')}{error} · {when}"


def case_thread_status(state: AlertState, case_id: str, case_status: str | None) -> str:
    """`@bot status` in a case message's thread: the message's state, and the case's as Coralogix has it now."""
    now = f" · in Coralogix: {escape(case_status)}" if case_status else " · Coralogix did not answer"
    return f"{case_status_text(state)} · case `{escape(case_id)}`{now}"


def assignee_text(assignee: str | None, when: datetime) -> str:
    """The thread line of an assignee change Coralogix reported."""
    if assignee is None:
        return f":bust_in_silhouette: Unassigned in Coralogix · {date_token(when)}"
    return f":bust_in_silhouette: Assigned to {escape(truncate(assignee, 300))} in Coralogix · {date_token(when)}"


def resolve_modal(case: CaseNotification, channel: str, ts: str) -> dict[str, Any]:
    """The Resolve modal of a case message: the case, and an optional reason (sent to Coralogix)."""
    name = escape(truncate(case.title or "Untitled case", 200))
    about = f"*{name}* (`{escape(case.ref)}`) will be resolved in Coralogix for everyone."
    blocks = [
        section(about, BlockId.CASE_RESOLVE_ABOUT.value),
        note_input(),
        context("The note becomes the case's resolve reason in Coralogix (up to 3,000 characters)."),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.CASE_RESOLVE_MODAL.value,
        "title": {"type": "plain_text", "text": MODAL_TITLE},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel": channel, "ts": ts}),
        "blocks": blocks,
    }
