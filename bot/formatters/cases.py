"""Coralogix Cases as the picker, the shortcut modal and App Home show them: pure functions.

A case is shown by its priority (`P1` … `P5`), its title, its age and its readable id; the value a
select or a button carries is its readable id (`CASE-123`, a case on any tenant), or its UUID while
it has none (pending cases, which only a Cases tenant lists).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.api.case_models import Case
from bot.api.enums import CasePriority
from bot.formatters.common import actions, age, button, confirm_resolve, escape, section, truncate
from bot.ids import ActionId

PRIORITY_MARKERS = {
    CasePriority.P1: ":red_circle:",
    CasePriority.P2: ":large_orange_circle:",
    CasePriority.P3: ":large_yellow_circle:",
    CasePriority.P4: ":large_blue_circle:",
    CasePriority.P5: ":white_circle:",
}


def priority_word(case: Case) -> str:
    """`P1` … `P5`; `No priority` when Coralogix gives none."""
    priority = case.effective_priority
    if priority is None or priority is CasePriority.UNSPECIFIED:
        return "No priority"
    return str(priority.value).removeprefix("CASE_PRIORITY_")


def priority_marker(case: Case) -> str:
    """An emoji per priority; a plain circle for none."""
    priority = case.effective_priority
    return PRIORITY_MARKERS.get(priority, ":white_circle:") if priority else ":white_circle:"


def case_state(case: Case) -> str:
    """`active`, `acknowledged`, `resolved`, `closed`… in lower case."""
    return str(case.status.value if case.status else "unknown").removeprefix("CASE_STATUS_").lower().replace("_", " ")


def case_option(case: Case, now: datetime) -> dict[str, Any]:
    """One selectable case: priority, title, age, readable id (plain text, at most 75 characters)."""
    parts = [priority_word(case), case.title or case.ref, age(case.create_time, now), case.ref]
    return {"text": {"type": "plain_text", "text": truncate(" · ".join(parts), 75)}, "value": case.ref}


def case_line(case: Case) -> str:
    """One mrkdwn line: marker, title, readable id and state (escaped)."""
    title = escape(truncate(case.title or case.ref, 150))
    return f"{priority_marker(case)} *{title}* `{escape(case.ref)}` · {case_state(case)}"


def case_home_blocks(case: Case, now: datetime, *, may_resolve: bool) -> list[dict[str, Any]]:
    """A case on App Home: title, priority, age, readable id, and Resolve where the person may."""
    title = escape(truncate(case.title or case.ref, 200))
    details = [priority_word(case), f"open {age(case.create_time, now)}", case_state(case), f"`{escape(case.ref)}`"]
    text = f"{priority_marker(case)} *{title}*\n{' · '.join(details)}"
    if not may_resolve:
        return [section(text)]
    confirm = confirm_resolve(title, "will be resolved in Coralogix.")
    resolve = button(ActionId.HOME_RESOLVE.value, "Resolve", style="primary", value=case.ref, confirm=confirm)
    return [section(text), actions(resolve)]
