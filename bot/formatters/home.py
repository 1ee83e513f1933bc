"""The App Home tab: the open incidents (or Coralogix Cases), each with Resolve and Open in Coralogix, and a
Refresh button."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.api.case_models import Case
from bot.api.models import Incident
from bot.formatters.cases import case_home_blocks
from bot.formatters.common import (
    SECTION_TEXT_LIMIT,
    actions,
    age,
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
from bot.ids import ActionId

HOME_LIMIT = 20
EVERYONE = "Who may resolve: anyone in this workspace."


def _incident_blocks(incident: Incident, now: datetime, url: str | None, *, may_resolve: bool) -> list[dict[str, Any]]:
    name = escape(truncate(incident.name or incident.id, 200))
    details = [severity_word(incident.severity), f"open {age(incident.created_at, now)}"]
    if incident.application:
        details.append(escape(truncate(incident.application, 80)))
    text = f"{severity_marker(incident.severity)} *{name}*\n{' · '.join(details)} · `{escape(incident.id)}`"
    confirm = confirm_resolve(name, "will be resolved in Coralogix.")
    buttons = []
    if may_resolve:
        buttons.append(
            button(ActionId.HOME_RESOLVE.value, "Resolve", style="primary", value=incident.id, confirm=confirm)
        )
    if url := safe_url(url):  # one bad link would make Slack refuse the whole Home view
        buttons.append(button(ActionId.HOME_OPEN.value, "Open in Coralogix", url=url))
    return [section(text), actions(*buttons)] if buttons else [section(text)]


def home_view(
    incidents: Sequence[Incident | Case] | None,
    *,
    now: datetime,
    urls: dict[str, str] | None = None,
    notice: str | None = None,
    error: str | None = None,
    permissions: str = EVERYONE,
    resolvable: set[str] | None = None,
    noun: str = "incidents",
) -> dict[str, Any]:
    """The Home tab. `incidents` None with `error` means Coralogix could not be read; `notice` is a
    one-line outcome of the user's last action and `permissions` what this person may do (both
    mrkdwn, escaped by the caller); `resolvable`: the incidents that get a Resolve button (None: all);
    `noun`: what the list holds (`incidents`, or `cases` on a Cases tenant)."""
    refresh = actions(button(ActionId.HOME_REFRESH.value, "Refresh"))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Open Coralogix {noun}"}},
        context(truncate(f"Updated {date_token(now)} · {permissions}", SECTION_TEXT_LIMIT)),
        refresh,
    ]
    if notice:
        # Cut after the caller's escaping (truncate keeps `&…;` whole): a longer section fails views.publish.
        blocks.append(section(truncate(notice, SECTION_TEXT_LIMIT)))
    if error is not None or incidents is None:
        blocks.append(section(truncate(f":warning: {error or f'Could not read the {noun}.'}", SECTION_TEXT_LIMIT)))
    elif not incidents:
        blocks.append(section(f":white_check_mark: No open {noun} in Coralogix right now."))
    else:
        shown = incidents[:HOME_LIMIT]
        if len(incidents) > HOME_LIMIT:
            most = "most severe" if noun == "incidents" else "most urgent"
            blocks.append(context(f"The {HOME_LIMIT} {most} of {len(incidents)} open {noun}."))
        blocks.append({"type": "divider"})
        for incident in shown:
            may_resolve = resolvable is None or incident.id in resolvable
            if isinstance(incident, Case):
                blocks += case_home_blocks(incident, now, may_resolve=may_resolve)
            else:
                blocks += _incident_blocks(incident, now, (urls or {}).get(incident.id), may_resolve=may_resolve)
    return {"type": "home", "blocks": blocks}
