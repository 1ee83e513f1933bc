"""Short thread texts: `@bot status` and the help a mention gets. Pure functions."""

from __future__ import annotations

from bot.api import Incident
from bot.formatters.alert import AlertState, status_text
from bot.formatters.common import escape
from bot.formatters.usage import usage_text
from bot.services.resolving import status_word


def thread_status_text(state: AlertState, incident_id: str | None, incident: Incident | None = None) -> str:
    """`@bot status` in an alert thread: the message's state, and the incident's as Coralogix has it now."""
    if not incident_id:
        return status_text(state) + " · incident not found yet"
    now = f" · in Coralogix: {status_word(incident)}" if incident else " · Coralogix did not answer"
    return f"{status_text(state)} · incident `{escape(incident_id)}`{now}"


def mention_help_text(in_alert_thread: bool, in_thread: bool = True) -> str:
    """What a bare or not-understood mention gets back: the full help, led by why nothing happened."""
    if in_alert_thread:
        lead = "I understand `resolve [note]`, `ack` and `status` here."
    elif in_thread:
        lead = "This thread is not one of my alert messages, so I don't know which incident you mean."
    else:
        lead = "To act on an alert, mention me in the thread of its alert message."
    return f"{lead}\n\n{usage_text()}"


def storm_mention_text(open_incidents: int) -> str:
    """`@bot resolve` (or `ack`) in a storm message's thread: how many incidents are open, and where to act
    (a mention resolves nothing for a whole storm: Resolve all asks for confirmation first)."""
    if not open_incidents:
        return "Every alert of this storm is resolved already: nothing to do."
    n = f"{open_incidents} open incident" + ("" if open_incidents == 1 else "s")
    return (
        f"This storm has *{n}*. A mention does not act on a whole storm: press *Resolve all* on the storm "
        "message (it names the count and asks for confirmation), or resolve one at a time from *Show all*."
    )
