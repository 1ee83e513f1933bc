"""The storm message and its "Show all" modal, as pure functions of the storm's alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.formatters.storm import TOP_ALERTS, Tally, storm_message
from bot.formatters.storm_modal import PAGE_SIZE, pages, storm_modal
from bot.ids import ActionId, CallbackId
from bot.store import AlertRecord, AlertStatus
from bot.store.tables import StormRecord
from tests.factories import uuid
from tests.formatters.blockkit import EVIL, NOW, assert_block_valid, assert_valid_view, strings


def member(n: int, *, severity: str = "Critical", name: str | None = None, **overrides: Any) -> AlertRecord:
    """Alert `n` of a storm."""
    values: dict[str, Any] = {
        "id": n + 1,
        "channel": "C0ALERTS",
        "ts": None,
        "alert_id": f"alert-{n}",
        "incident_id": uuid(n),
        "notification": {"alert_id": f"alert-{n}", "alert_name": name or f"Alert {n % 3}", "severity": severity},
        "status": AlertStatus.TRIGGERED,
        "status_by": None,
        "status_via": None,
        "status_at": None,
        "pending_action": None,
        "pending_by": None,
        "pending_since": None,
        "version": 0,
        "created_at": NOW - timedelta(seconds=30),
        "storm_id": 7,
    }
    return AlertRecord(**{**values, **overrides})


def storm(*, ended: bool = False) -> StormRecord:
    """Storm 7, started ten minutes before NOW."""
    return StormRecord(
        id=7,
        channel="C0ALERTS",
        started_at=NOW - timedelta(minutes=10),
        last_alert_at=NOW - timedelta(minutes=6),
        ended_at=NOW if ended else None,
        ts="1.2",
        version=3,
        rendered_version=2,
        rendered_at=None,
    )


def resolve_all(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Resolve all button, if shown."""
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return next((b for b in buttons if b["action_id"] == ActionId.STORM_RESOLVE_ALL), None)


def test_tally_counts_by_severity_and_ranks_top_alerts_by_severity_then_count() -> None:
    """Severities most urgent first; top alerts by severity, then how many."""
    members = [member(n, severity="Warning", name="Noisy") for n in range(5)]
    members += [member(n, severity="Critical", name="Rare") for n in range(5, 7)]
    members.append(member(7, severity="Critical", name="Rare", status=AlertStatus.RESOLVED))
    tally = Tally.of(members)
    assert tally.total == 8
    assert tally.open == 7
    assert [(s.value if s else None, n, o) for s, n, o in tally.by_severity] == [
        ("INCIDENT_SEVERITY_CRITICAL", 3, 2),
        ("INCIDENT_SEVERITY_WARNING", 5, 5),
    ]
    assert [(name, n) for name, _, n, _ in tally.top] == [("Rare", 3), ("Noisy", 5)]
    assert tally.resolvable == 7
    assert tally.upto == 8


def test_message_states_count_severities_top_alerts_and_since_when() -> None:
    """The message in progress: how many, how many open, by severity, top alerts, the start time."""
    message = storm_message(storm(), [member(n) for n in range(12)], now=NOW)
    text = json.dumps(message.blocks)
    assert "*12 alerts*" in text
    assert "12 open" in text
    assert "Critical *12* (12 open)" in text
    assert "Alert 0* x4" in text
    assert "<!date^" in text
    assert message.text == "Alert storm in progress: 12 alerts, 12 open"
    for block in message.blocks:
        assert_block_valid(block)


def test_resolve_all_confirmation_states_count_and_severities_and_pins_the_newest_alert() -> None:
    """Resolve all N: the confirmation names N and the severities; the value pins what was shown."""
    members = [member(n, severity="Warning" if n % 2 else "Critical") for n in range(6)]
    members.append(member(6, incident_id=None))  # no incident known yet: not resolvable
    members.append(member(7, status=AlertStatus.RESOLVED))
    button = resolve_all(storm_message(storm(), members, now=NOW).blocks)
    assert button is not None
    assert button["text"]["text"] == "Resolve all 6"
    assert "*6 incidents*" in button["confirm"]["text"]["text"]
    assert "3 critical, 3 warning" in button["confirm"]["text"]["text"]
    assert json.loads(button["value"]) == {"storm": 7, "upto": 8, "at": NOW.timestamp(), "n": 6}


def test_resolve_all_counts_incidents_not_alerts() -> None:
    """Two open alerts of one incident are one incident to resolve: the button's count is what is resolved."""
    members = [member(0), member(1, incident_id=uuid(0)), member(2)]
    button = resolve_all(storm_message(storm(), members, now=NOW).blocks)
    assert button is not None
    assert button["text"]["text"] == "Resolve all 2"
    assert json.loads(button["value"])["n"] == 2


def test_no_resolve_all_when_nothing_is_open() -> None:
    """Every alert resolved: no Resolve all button, Show all stays."""
    blocks = storm_message(storm(), [member(n, status=AlertStatus.RESOLVED) for n in range(3)], now=NOW).blocks
    assert resolve_all(blocks) is None
    assert ActionId.STORM_SHOW_ALL in json.dumps(blocks)


def test_an_ended_storm_says_so_with_the_final_tally() -> None:
    """Over: the message says so, with how many were resolved and how many are still open."""
    members = [member(n, status=AlertStatus.RESOLVED if n < 4 else AlertStatus.TRIGGERED) for n in range(10)]
    text = json.dumps(storm_message(storm(ended=True), members, now=NOW).blocks)
    assert "The alert storm is over" in text
    assert "Final tally: 4 resolved, 6 still open" in text


def test_outside_text_is_escaped_and_limits_hold_with_many_long_names() -> None:
    """Alert names are escaped and cut; top alerts are capped; every block stays within Slack's limits."""
    members = [member(n, name=f"{EVIL}{n}" + "x" * 900) for n in range(300)]
    message = storm_message(storm(), members, now=NOW)
    assert len(message.blocks) <= 50
    assert not any("<!channel>" in s for s in strings(message.blocks))
    top = next(b for b in message.blocks if b["block_id"].startswith("storm_top"))
    assert top["text"]["text"].count("\n") == TOP_ALERTS
    for block in message.blocks:
        assert_block_valid(block)


def test_modal_lists_a_page_with_a_resolve_each_and_navigation() -> None:
    """Show all: 20 alerts a page, a Resolve beside each open one, Previous/Next, valid for Slack."""
    members = [member(n, name=EVIL) for n in range(PAGE_SIZE)]
    members[3] = member(3, status=AlertStatus.RESOLVED, status_via="coralogix", status_at=NOW)
    view = storm_modal(7, members, page=1, total=55, now=NOW)
    assert_valid_view(view, CallbackId.STORM_MODAL)
    rows = [b for b in view["blocks"] if b.get("block_id", "").startswith("storm_alert_")]
    assert len(rows) == PAGE_SIZE
    assert "accessory" not in rows[3]
    assert "Resolved in Coralogix" in rows[3]["text"]["text"]
    assert rows[0]["accessory"]["value"] == uuid(0)
    nav = [e["value"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert nav == ["0", "2"]
    assert json.loads(view["private_metadata"]) == {"storm": 7, "page": 1}
    assert not any("<!channel>" in s for s in strings(view["blocks"]))
    assert pages(55) == 3


def test_modal_shows_an_alert_being_resolved_without_its_button() -> None:
    """The alert just sent to be resolved shows "Resolving…" and no second Resolve."""
    view = storm_modal(7, [member(0)], page=0, total=1, now=NOW, resolving=uuid(0))
    row = view["blocks"][1]
    assert "accessory" not in row
    assert "Resolving" in row["text"]["text"]
    assert not [b for b in view["blocks"] if b["type"] == "actions"]
