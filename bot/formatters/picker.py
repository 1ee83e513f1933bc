"""The picker modal of `/resolve-incident` with no text: loading, list, empty and error states."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.api.case_models import Case
from bot.api.models import SEVERITY_RANK, Incident, IncidentSeverity
from bot.errors import BadPayload
from bot.formatters.cases import case_option
from bot.formatters.common import (
    actions,
    age,
    button,
    escape,
    modal,
    note_input,
    safe_url,
    section,
    severity_word,
    truncate,
)
from bot.ids import ActionId, BlockId, CallbackId
from bot.payloads import metadata, selected_values

# Up to this many open incidents go into a static multi-select; more → type-ahead search.
STATIC_LIMIT = 100
SEVERITY_VALUES = frozenset(s.value for s in IncidentSeverity)  # what the severity filter may carry, "all" aside


def picker_metadata(channel: str, severity: IncidentSeverity | None, response_url: str = "") -> str:
    """private_metadata: where the summary goes (and the command's response_url, which works where the
    bot is not a member), and the filter in force."""
    data = {"channel": channel, "severity": severity.value if severity else ""}
    if response_url:
        data["response_url"] = response_url
    return json.dumps(data)


def read_response_url(raw: Any) -> str:
    """The command's response_url kept in private_metadata, or ""; BadPayload when it came back damaged."""
    return safe_url(metadata(raw).get("response_url")) or ""


def read_metadata(raw: Any) -> tuple[str, IncidentSeverity | None]:
    """(channel, severity filter) back from private_metadata; BadPayload when it came back damaged."""
    data = metadata(raw)
    channel = data.get("channel") or ""
    severity = data.get("severity") or None
    known = severity is None or (isinstance(severity, str) and severity in SEVERITY_VALUES)
    if not isinstance(channel, str) or not known:
        raise BadPayload("The modal's saved state came back damaged, so nothing was done. Close it and start again.")
    return channel, IncidentSeverity(severity) if severity else None


def _base(metadata: str, blocks: list[dict[str, Any]], *, submit: bool) -> dict[str, Any]:
    return modal(CallbackId.PICKER_MODAL.value, metadata, blocks, submit=submit)


def _severity_option(severity: IncidentSeverity | None) -> dict[str, Any]:
    label = severity_word(severity) if severity else "All severities"
    return {"text": {"type": "plain_text", "text": label}, "value": severity.value if severity else "all"}


def _filter(severity: IncidentSeverity | None) -> dict[str, Any]:
    options = [_severity_option(None), *(_severity_option(s) for s in SEVERITY_RANK)]
    return {
        "type": "actions",
        "block_id": BlockId.PICKER_FILTER.value,
        "elements": [
            {
                "type": "static_select",
                "action_id": ActionId.PICKER_SEVERITY.value,
                "options": options,
                "initial_option": _severity_option(severity),
            }
        ],
    }


def incident_option(incident: Incident, now: datetime) -> dict[str, Any]:
    """One selectable incident: severity, name, age, application (plain text, at most 75 characters)."""
    parts = [severity_word(incident.severity), incident.name or incident.id, age(incident.created_at, now)]
    if incident.application:
        parts.append(incident.application)
    return {"text": {"type": "plain_text", "text": truncate(" · ".join(parts), 75)}, "value": incident.id}


def loading_view(metadata: str) -> dict[str, Any]:
    """Opened at once, inside the trigger window."""
    return _base(
        metadata, [section(":hourglass_flowing_sand: Loading the open incidents from Coralogix…")], submit=False
    )


def error_view(metadata: str, reason: str, error_id: str) -> dict[str, Any]:
    """Coralogix slow or failing: say so, and offer to try again."""
    # Cut after escaping (which may grow it fivefold): a section over 3 000 characters fails views.update.
    text = f":warning: Could not load the open incidents: {truncate(escape(reason), 2000)}\nError id: `{error_id}`"
    retry = actions(button(ActionId.PICKER_RETRY.value, "Try again"))
    return _base(metadata, [section(text), retry], submit=False)


def list_view(
    metadata: str, incidents: list[Incident], severity: IncidentSeverity | None, now: datetime
) -> dict[str, Any]:
    """The open incidents to pick from, most severe and newest first; nothing to submit when there are none."""
    if not incidents:
        which = f"{severity_word(severity).lower()} " if severity else ""
        empty = [section(f":white_check_mark: No open {which}incidents in Coralogix right now."), _filter(severity)]
        return _base(metadata, empty, submit=False)
    count = f"{len(incidents)} open incidents" if len(incidents) <= STATIC_LIMIT else "More than 100 open incidents"
    blocks: list[dict[str, Any]] = [
        section(f"*{count}*, most severe and newest first."),
        _filter(severity),
    ]
    if len(incidents) <= STATIC_LIMIT:
        element: dict[str, Any] = {
            "type": "multi_static_select",
            "action_id": ActionId.PICKER_PICKED.value,
            "options": [incident_option(i, now) for i in incidents],
            "placeholder": {"type": "plain_text", "text": "Pick incidents"},
        }
        label = "Incidents to resolve"
    else:
        element = {
            "type": "multi_external_select",
            "action_id": ActionId.PICKER_SEARCH.value,
            "min_query_length": 0,
            "placeholder": {"type": "plain_text", "text": "Type to search by name"},
        }
        label = "Incidents to resolve (type to search)"
    blocks.append(
        {
            "type": "input",
            "block_id": BlockId.PICKER_INCIDENTS.value,
            "label": {"type": "plain_text", "text": label},
            "element": element,
        }
    )
    blocks.append(note_input())
    return _base(metadata, blocks, submit=True)


def case_list_view(metadata: str, cases: list[Case], now: datetime) -> dict[str, Any]:
    """A Cases tenant's picker: the open cases (priority, title, age), most urgent and newest first; the
    STATIC_LIMIT most urgent when there are more."""
    if not cases:
        return _base(metadata, [section(":white_check_mark: No open cases in Coralogix right now.")], submit=False)
    shown = cases[:STATIC_LIMIT]
    count = f"{len(cases)} open cases" if len(cases) <= STATIC_LIMIT else f"The {STATIC_LIMIT} most urgent open cases"
    element = {
        "type": "multi_static_select",
        "action_id": ActionId.PICKER_PICKED.value,
        "options": [case_option(c, now) for c in shown],
        "placeholder": {"type": "plain_text", "text": "Pick cases"},
    }
    blocks: list[dict[str, Any]] = [
        section(f"*{count}*, most urgent and newest first."),
        {
            "type": "input",
            "block_id": BlockId.PICKER_INCIDENTS.value,
            "label": {"type": "plain_text", "text": "Cases to resolve"},
            "element": element,
        },
        note_input(),
    ]
    return _base(metadata, blocks, submit=True)


def slow_search_option() -> dict[str, Any]:
    """Offered when Coralogix is too slow for Slack's options deadline (its value is no incident id)."""
    return {"text": {"type": "plain_text", "text": "Coralogix is slow: keep typing or try again"}, "value": "slow"}


def picked_ids(values: Any) -> list[str]:
    """The incident ids selected in a submitted picker (either select kind); BadPayload shown under the
    select when Slack sent a picked value that is not text."""
    actions = (ActionId.PICKER_PICKED.value, ActionId.PICKER_SEARCH.value)
    return selected_values(values, BlockId.PICKER_INCIDENTS.value, actions)
