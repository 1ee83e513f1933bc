"""Modal views, as pure functions: the message shortcut's loading, list and empty states."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.api.case_models import Case
from bot.api.models import Incident
from bot.formatters.cases import case_line, case_option
from bot.formatters.common import escape, modal, note_input, section, severity_marker, severity_word, truncate
from bot.ids import ActionId, BlockId, CallbackId
from bot.payloads import selected_values

MAX_OPTIONS = 100


def _base(private_metadata: dict[str, str], blocks: list[dict[str, Any]], *, submit: bool) -> dict[str, Any]:
    return modal(CallbackId.RESOLVE_IN_MESSAGE_MODAL.value, json.dumps(private_metadata), blocks, submit=submit)


def loading_view(private_metadata: dict[str, str], count: int) -> dict[str, Any]:
    """Shown at once, inside Slack's 3-second trigger window, while Coralogix is asked for names."""
    noun = "id" if count == 1 else "ids"
    text = f":hourglass_flowing_sand: Looking up {count} incident {noun} in Coralogix…"
    return _base(private_metadata, [section(text)], submit=False)


def empty_view(private_metadata: dict[str, str]) -> dict[str, Any]:
    """No incident ids in the message: nothing to submit."""
    text = (
        ":grey_question: No Coralogix incident ids found in this message. Incident ids are 36-character "
        "ids like `3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15`, as in Coralogix links; case ids look like `CASE-123`."
    )
    return _base(private_metadata, [section(text)], submit=False)


def error_view(private_metadata: dict[str, str], reason: str, error_id: str) -> dict[str, Any]:
    """Coralogix could not be asked; say why instead of hanging on "Looking up…"."""
    # Cut after escaping (which may grow it fivefold): a section over 3 000 characters fails views.update.
    reason = truncate(escape(reason), 2500)
    text = f":warning: Could not read the incidents from Coralogix: {reason}\nError id: `{escape(error_id)}`"
    return _base(private_metadata, [section(text)], submit=False)


def _line(incident_id: str, incident: Incident | Case | None) -> str:
    if incident is None:
        return f":grey_question: `{incident_id}`: not found in Coralogix"
    if isinstance(incident, Case):
        return case_line(incident)
    name = escape(truncate(incident.name or incident_id, 150))
    state = "resolved" if incident.is_resolved else (incident.status or "unknown").removeprefix("INCIDENT_STATUS_")
    return f"{severity_marker(incident.severity)} *{name}* · {str(state).lower()}"


def _option(incident: Incident | Case) -> dict[str, Any]:
    if isinstance(incident, Case):
        return case_option(incident, datetime.now(UTC))
    label = f"{severity_word(incident.severity)} · {incident.name or incident.id}"
    return {"text": {"type": "plain_text", "text": truncate(label, 75)}, "value": incident.id}


def _open(item: Incident | Case) -> bool:
    return item.is_open if isinstance(item, Case) else not item.is_resolved


def list_view(private_metadata: dict[str, str], ids: list[str], found: Mapping[str, Incident | Case]) -> dict[str, Any]:
    """The incidents (and cases) of the message with their states; open ones pre-selected for resolving."""
    lines = [_line(i, found.get(i)) for i in ids]
    blocks: list[dict[str, Any]] = [section(truncate("\n".join(lines), 3000))]
    open_incidents = [found[i] for i in ids if i in found and _open(found[i])][:MAX_OPTIONS]
    if not open_incidents:
        blocks.append(section("Nothing to resolve: every incident here is already resolved or unknown."))
        return _base(private_metadata, blocks, submit=False)
    options = [_option(i) for i in open_incidents]
    blocks.append(
        {
            "type": "input",
            "block_id": BlockId.SHORTCUT_INCIDENTS.value,
            "label": {"type": "plain_text", "text": "Incidents to resolve"},
            "element": {
                "type": "multi_static_select",
                "action_id": ActionId.SHORTCUT_PICKED.value,
                "options": options,
                "initial_options": options,
                "placeholder": {"type": "plain_text", "text": "Pick incidents"},
            },
        }
    )
    blocks.append(note_input())
    return _base(private_metadata, blocks, submit=True)


def picked_in_message(values: Any) -> list[str]:
    """The incident ids kept selected in a submitted shortcut modal; BadPayload under the select otherwise."""
    return selected_values(values, BlockId.SHORTCUT_INCIDENTS.value, [ActionId.SHORTCUT_PICKED.value])
