"""The storm message: one message standing for many alerts of one channel, rendered from its alerts.

How many, by severity, the top alerts (by severity, then count), since when; "Show all" and
"Resolve all N" (with a confirmation that states the count and the severities). Once the storm is
over it says so with the final tally. Block Kit limits hold whatever the alerts hold.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.api.models import SEVERITY_RANK, IncidentSeverity
from bot.formatters.common import (
    Message,
    actions,
    button,
    context,
    date_token,
    escape,
    section,
    severity_marker,
    severity_word,
    truncate,
)
from bot.ids import ActionId, BlockId
from bot.services.notifications import AlertNotification
from bot.store import AlertRecord, AlertStatus
from bot.store.tables import StormRecord

TOP_ALERTS = 10  # lines of "top alerts" in the message
NAME_LIMIT = 150  # characters of an alert name, before escaping


def severity_of(record: AlertRecord) -> IncidentSeverity | None:
    """The alert's severity on Coralogix's scale (None: not given or not understood); read without
    validating the whole stored notification again (a storm may hold thousands)."""
    word = record.notification.get("severity")
    unchecked = AlertNotification.model_construct(alert_id="", alert_name="", severity=str(word) if word else None)
    return unchecked.incident_severity


def rank(severity: IncidentSeverity | None) -> int:
    """Most urgent first; unknown last."""
    return SEVERITY_RANK.get(severity, len(SEVERITY_RANK)) if severity else len(SEVERITY_RANK)


def is_open(record: AlertRecord) -> bool:
    """Not resolved (triggered or acknowledged)."""
    return record.status is not AlertStatus.RESOLVED


@dataclass(frozen=True, slots=True)
class Tally:
    """What a storm's alerts come to."""

    total: int
    open: int
    by_severity: list[tuple[IncidentSeverity | None, int, int]]  # severity, alerts, open ones; most urgent first
    top: list[tuple[str, IncidentSeverity | None, int, int]]  # alert name, severity, alerts, open ones
    upto: int  # the newest alert shown (a "Resolve all" pins to it)
    resolvable: int  # incidents of open alerts: what "Resolve all" resolves (its button carries the count)
    resolvable_by_severity: list[tuple[IncidentSeverity | None, int]]

    @classmethod
    def of(cls, members: Sequence[AlertRecord]) -> Tally:
        """Count `members`."""
        severities = {m.id: severity_of(m) for m in members}
        total: Counter[IncidentSeverity | None] = Counter(severities.values())
        still: Counter[IncidentSeverity | None] = Counter(severities[m.id] for m in members if is_open(m))
        groups: dict[tuple[str, IncidentSeverity | None], list[AlertRecord]] = {}
        for m in members:
            groups.setdefault((str(m.notification.get("alert_name") or m.alert_id), severities[m.id]), []).append(m)
        top = sorted(
            ((name, sev, len(ms), sum(map(is_open, ms))) for (name, sev), ms in groups.items()),
            key=lambda t: (rank(t[1]), -t[2], t[0]),
        )
        # One per incident (two alerts of one incident are one resolve): the count "Resolve all" confirms.
        first = {m.incident_id: m for m in reversed(members) if is_open(m) and m.incident_id}
        resolvable: Counter[IncidentSeverity | None] = Counter(severities[m.id] for m in first.values())
        return cls(
            total=len(members),
            open=sum(still.values()),
            by_severity=[(s, total[s], still[s]) for s in sorted(total, key=rank)],
            top=top[:TOP_ALERTS],
            upto=max((m.id for m in members), default=0),
            resolvable=sum(resolvable.values()),
            resolvable_by_severity=[(s, resolvable[s]) for s in sorted(resolvable, key=rank)],
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _severities(counts: Sequence[tuple[IncidentSeverity | None, int]]) -> str:
    return ", ".join(f"{n} {severity_word(s).lower()}" for s, n in counts)


def resolve_all_value(storm_id: int, upto: int, shown_at: datetime, count: int) -> str:
    """The "Resolve all" button's value: the storm, its newest alert shown, when it was shown, and how many
    incidents its confirmation names (a click resolves exactly those, or nothing)."""
    return json.dumps({"storm": storm_id, "upto": upto, "at": shown_at.timestamp(), "n": count})


def storm_message(storm: StormRecord, members: Sequence[AlertRecord], *, now: datetime) -> Message:
    """The storm's message, in progress or over."""
    tally = Tally.of(members)
    v = storm.version
    alerts = _plural(tally.total, "alert")
    if storm.ended_at is None:
        head = (
            f":thunder_cloud_and_rain: *Alert storm*: *{alerts}* in this channel since "
            f"{date_token(storm.started_at, '{time}')}, {tally.open} open. New alerts are collected here "
            "instead of one message each."
        )
    else:
        head = (
            f":sunny: *The alert storm is over*: *{alerts}* from {date_token(storm.started_at, '{time}')} to "
            f"{date_token(storm.last_alert_at, '{time}')}. Final tally: {tally.total - tally.open} resolved, "
            f"{tally.open} still open."
        )
    blocks: list[dict[str, Any]] = [section(head, f"{BlockId.STORM_HEAD}_{v}")]
    if tally.by_severity:
        parts = [f"{severity_marker(s)} {severity_word(s)} *{n}* ({still} open)" for s, n, still in tally.by_severity]
        blocks.append(section(truncate("   ".join(parts), 3000), f"{BlockId.STORM_SEVERITIES}_{v}"))
    if tally.top:
        lines = [
            f"{severity_marker(sev)} *{escape(truncate(name, NAME_LIMIT))}* x{n}"
            + (f" ({still} open)" if still else "")
            for name, sev, n, still in tally.top
        ]
        title = "*Top alerts*" + (" (the rest in Show all)" if tally.total > sum(t[2] for t in tally.top) else "")
        blocks.append(section(truncate(f"{title}\n" + "\n".join(lines), 3000), f"{BlockId.STORM_TOP}_{v}"))
    buttons = [button(ActionId.STORM_SHOW_ALL.value, "Show all", value=str(storm.id))]
    if tally.resolvable:
        buttons.append(
            button(
                ActionId.STORM_RESOLVE_ALL.value,
                f"Resolve all {tally.resolvable}",
                style="danger",
                value=resolve_all_value(storm.id, tally.upto, now, tally.resolvable),
                confirm=confirm_resolve_all(tally),
            )
        )
    blocks.append(actions(*buttons, block_id=f"{BlockId.STORM_ACTIONS}_{v}"))
    blocks.append(context(f"Last updated {date_token(now, '{time}')}", f"{BlockId.STORM_FOOTER}_{v}"))
    state = "over" if storm.ended_at else "in progress"
    return Message(text=f"Alert storm {state}: {alerts}, {tally.open} open", blocks=blocks)


def confirm_resolve_all(tally: Tally) -> dict[str, Any]:
    """The confirmation of "Resolve all": how many, of which severities (at most 300 characters)."""
    text = (
        f"This resolves *{_plural(tally.resolvable, 'incident')}* in Coralogix for everyone: "
        f"{_severities(tally.resolvable_by_severity)}."
    )
    return {
        "title": {"type": "plain_text", "text": "Resolve every alert?"},
        "text": {"type": "mrkdwn", "text": truncate(text, 300)},
        "confirm": {"type": "plain_text", "text": f"Resolve {tally.resolvable}"[:30]},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
