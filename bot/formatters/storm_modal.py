"""The storm's "Show all" modal: its alerts, a page at a time, each with a Resolve of its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.formatters.alert import AlertState, status_text
from bot.formatters.common import age, button, confirm_resolve, context, escape, section, severity_marker, truncate
from bot.formatters.storm import NAME_LIMIT, is_open, severity_of
from bot.ids import ActionId, BlockId, CallbackId
from bot.store import AlertRecord

PAGE_SIZE = 20


def pages(total: int) -> int:
    """How many pages `total` alerts fill (at least one)."""
    return max(1, -(-total // PAGE_SIZE))


def _row(record: AlertRecord, now: datetime) -> dict[str, Any]:
    name = escape(truncate(str(record.notification.get("alert_name") or record.alert_id), NAME_LIMIT))
    text = f"{severity_marker(severity_of(record))} *{name}* · {age(record.created_at, now)} ago\n"
    text += status_text(AlertState.of(record))
    block = section(truncate(text, 3000), f"{BlockId.STORM_ALERT}_{record.id}")
    if is_open(record) and record.incident_id and not record.pending_action:
        confirm = confirm_resolve(name, "will be resolved in Coralogix for everyone.")
        block["accessory"] = button(
            ActionId.STORM_RESOLVE_ONE.value, "Resolve", style="primary", value=record.incident_id, confirm=confirm
        )
    return block


def storm_modal(
    storm_id: int, members: Sequence[AlertRecord], *, page: int, total: int, now: datetime, resolving: str | None = None
) -> dict[str, Any]:
    """Page `page` (from 0) of the storm's `total` alerts; `resolving`: an incident just sent to be resolved
    (shown as such until its record says so)."""
    last = pages(total) - 1
    blocks: list[dict[str, Any]] = [
        context(f"{total} alerts in this storm, oldest first · page {page + 1} of {last + 1}", BlockId.STORM_PAGE_INFO)
    ]
    for record in members[:PAGE_SIZE]:
        block = _row(record, now)
        if resolving and record.incident_id == resolving and "accessory" in block:
            del block["accessory"]
            block["text"]["text"] += "\n:hourglass_flowing_sand: Resolving…"
        blocks.append(block)
    nav = []
    if page > 0:
        nav.append(button(ActionId.STORM_PAGE.value, "Previous", value=str(page - 1)))
    if page < last:
        nav.append(button(ActionId.STORM_PAGE.value, "Next", value=str(page + 1)))
    if nav:
        blocks.append({"type": "actions", "block_id": BlockId.STORM_NAV.value, "elements": nav})
    return {
        "type": "modal",
        "callback_id": CallbackId.STORM_MODAL.value,
        "title": {"type": "plain_text", "text": "Alert storm"},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": json.dumps({"storm": storm_id, "page": page}),
        "blocks": blocks,
    }
