"""The case message, its thread lines and its Resolve modal: pure functions of the case and its state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.formatters.alert import AlertState
from bot.formatters.case_message import assignee_text, case_message, case_thread_text, resolve_modal
from bot.ids import ActionId, BlockId, CallbackId
from bot.payloads import NOTE_LIMIT
from bot.services.actions import Outcome
from bot.services.alert_model import CORALOGIX, ThreadLine
from bot.services.case_notifications import CaseNotification
from bot.store import AlertStatus

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
NASTY = "<!channel> & <https://evil.example|click> *bold*"


def case(**fields: Any) -> CaseNotification:
    """A case as a notification showed it."""
    values: dict[str, Any] = {
        "case_id": "CASE-12",
        "title": "Checkout latency p99 > 2s",
        "priority": "P2",
        "assignee": "ana@example.com",
        "labels": {"team": "payments"},
        "link": "https://team.app.coralogix.us/#/cases/CASE-12",
        "created_at": (NOW - timedelta(hours=3, minutes=5)).isoformat(),
        **fields,
    }
    return CaseNotification.from_body(values)


def blocks(message: Any) -> list[dict[str, Any]]:
    """The blocks of the message's one attachment."""
    return list(message.attachments[0]["blocks"])


def buttons(message: Any) -> list[str]:
    """The action ids of the message's buttons, in order."""
    return [e["action_id"] for b in blocks(message) if b["type"] == "actions" for e in b["elements"]]


def all_text(message: Any) -> str:
    """Every piece of text the message sends, as one string."""
    return json.dumps(message.attachments, ensure_ascii=False) + message.text


def test_an_active_case_shows_its_fields_and_every_button() -> None:
    """Title, readable id, priority, status, assignee, age and labels; Resolve, Acknowledge, Close, Open."""
    message = case_message(case(), AlertState(), NOW)
    text = all_text(message)
    for shown in ("Checkout latency p99 &gt; 2s", "`CASE-12`", "P2", "Active", "ana@example.com", "3h 05m"):
        assert shown in text
    assert "team=payments" in text
    assert buttons(message) == [
        ActionId.CASE_RESOLVE,
        ActionId.ACKNOWLEDGE,
        ActionId.CASE_CLOSE,
        ActionId.OPEN_IN_CORALOGIX,
    ]


def test_close_asks_for_confirmation_and_resolve_opens_a_modal() -> None:
    """Close as false alarm carries Slack's confirm dialog; Resolve none (its modal is the confirmation)."""
    elements = {
        e["action_id"]: e
        for b in blocks(case_message(case(), AlertState(), NOW))
        if b["type"] == "actions"
        for e in b["elements"]
    }
    confirm = elements[ActionId.CASE_CLOSE]["confirm"]
    assert confirm["style"] == "danger"
    assert len(confirm["text"]["text"]) <= 300
    assert "confirm" not in elements[ActionId.CASE_RESOLVE]
    assert elements[ActionId.OPEN_IN_CORALOGIX]["url"] == "https://team.app.coralogix.us/#/cases/CASE-12"


def test_acknowledge_is_offered_only_while_active() -> None:
    """An acknowledged case keeps Resolve and Close but not Acknowledge."""
    state = AlertState(status=AlertStatus.ACKNOWLEDGED, by="U1", via="button", at=NOW)
    message = case_message(case(), state, NOW)
    assert ActionId.ACKNOWLEDGE not in buttons(message)
    assert ActionId.CASE_RESOLVE in buttons(message)
    assert "Acknowledged by <@U1>" in all_text(message)


@pytest.mark.parametrize("status", [AlertStatus.RESOLVED, AlertStatus.CLOSED])
def test_resolved_and_closed_cases_show_no_action_buttons(status: AlertStatus) -> None:
    """Only the link stays once the case is resolved or closed, and the colour turns green."""
    message = case_message(case(), AlertState(status=status, at=NOW), NOW)
    assert buttons(message) == [ActionId.OPEN_IN_CORALOGIX]
    assert message.attachments is not None
    assert message.attachments[0]["color"] == "#2EB67D"
    assert ("Closed as a false alarm in Coralogix" if status is AlertStatus.CLOSED else "Resolved in Coralogix") in (
        all_text(message)
    )


def test_an_action_in_flight_hides_the_buttons() -> None:
    """While someone's action runs, the message says who and offers nothing to press twice."""
    message = case_message(case(), AlertState(pending_action="close", pending_by="U2"), NOW)
    assert buttons(message) == [ActionId.OPEN_IN_CORALOGIX]
    assert "Closing… (<@U2>)" in all_text(message)


def test_outside_text_is_escaped_everywhere() -> None:
    """Title, assignee and labels cannot ping, link or mention."""
    message = case_message(case(title=NASTY, assignee=NASTY, labels={NASTY: NASTY}), AlertState(), NOW)
    text = all_text(message)
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "&lt;!channel&gt; &amp;" in text


def test_a_bad_link_is_left_out() -> None:
    """A link Slack would refuse (not http, or with spaces) gives no Open button rather than a refused message."""
    assert ActionId.OPEN_IN_CORALOGIX not in buttons(case_message(case(link="javascript:alert(1)"), AlertState(), NOW))
    assert ActionId.OPEN_IN_CORALOGIX not in buttons(case_message(case(link="https://a b"), AlertState(), NOW))


def test_the_longest_case_stays_within_block_kit_limits() -> None:
    """Section text ≤ 3 000, fields ≤ 10 of ≤ 2 000, fallback text bounded, block ids versioned."""
    labels = {f"key{i}-{'k' * 60}": "v" * 500 for i in range(30)}
    big = case(title="<" * 1000, assignee="&" * 320, labels=labels)
    message = case_message(big, AlertState(version=7), NOW)
    for block in blocks(message):
        assert block["block_id"].endswith("_7")
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
        assert len(block.get("fields", [])) <= 10
    assert len(message.text) <= 4000
    assert blocks(message)[0]["block_id"] == f"{BlockId.CASE_HEAD}_7"


def test_thread_lines_name_who_did_what_with_the_reason() -> None:
    """A resolve by a person carries the reason (escaped); Coralogix's changes say so; closes say false alarm."""
    resolved = case_thread_text(ThreadLine(Outcome.RESOLVED, user="U1", via="button", note=NASTY, at=NOW))
    assert resolved.startswith(":white_check_mark: Resolved by <@U1>")
    assert "Reason: &lt;!channel&gt;" in resolved
    closed = case_thread_text(ThreadLine(Outcome.CLOSED, via=CORALOGIX, at=NOW))
    assert closed.startswith(":file_folder: Closed as a false alarm in Coralogix")
    failed = case_thread_text(ThreadLine(Outcome.FAILED, user="U1", detail="close: <boom>", error_id="E1", at=NOW))
    assert "tried to close: &lt;boom&gt;" in failed
    assert "Assigned to &lt;b&gt;" in assignee_text("<b>", NOW)
    assert "Unassigned in Coralogix" in assignee_text(None, NOW)


def test_the_resolve_modal_takes_an_optional_reason_up_to_3000_characters() -> None:
    """The modal names the case, remembers the message, and its note input is optional with Slack's cap."""
    view = resolve_modal(case(title=NASTY), "C0ALERTS", "1700000000.000100")
    assert view["callback_id"] == CallbackId.CASE_RESOLVE_MODAL
    assert json.loads(view["private_metadata"]) == {"channel": "C0ALERTS", "ts": "1700000000.000100"}
    note = next(b for b in view["blocks"] if b["block_id"] == BlockId.NOTE)
    assert note["optional"] is True
    assert note["element"]["max_length"] == NOTE_LIMIT == 3000
    assert "<!channel>" not in json.dumps(view)
    assert len(view["title"]["text"]) <= 24
