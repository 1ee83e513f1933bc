"""Case notifications: told apart from alert notifications on the raw body, then read tolerantly."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.api.enums import CasePriority, CaseStatus
from bot.services.case_notifications import CaseEvent, CaseNotification, is_case_body

UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def body(event: str = "caseActivated", **case: Any) -> dict[str, Any]:
    """A body as the README's template produces it: the entity type, the event, the case dumped."""
    dumped = {
        "id": UUID,
        "readableId": "CASE-12",
        "title": "Checkout latency p99 > 2s",
        "status": "CASE_STATUS_ACTIVE",
        "priority": "CASE_PRIORITY_P2",
        "labels": [{"key": "team", "value": "payments"}],
        "createTime": "2026-11-27T03:12:45Z",
        **case,
    }
    return {"_context": {"entityType": "cases", "entitySubType": event}, "case": dumped}


@pytest.mark.parametrize(
    ("event", "status", "expected"),
    [
        ("caseActivated", "CASE_STATUS_ACTIVE", CaseEvent.ACTIVATED),
        ("caseAcknowledged", "CASE_STATUS_ACKNOWLEDGED", CaseEvent.ACKNOWLEDGED),
        ("caseResolved", "CASE_STATUS_RESOLVED", CaseEvent.RESOLVED),
        ("caseClosed", "CASE_STATUS_CLOSED", CaseEvent.CLOSED),
        ("caseAssigneeChanged", "CASE_STATUS_ACTIVE", CaseEvent.ASSIGNEE_CHANGED),
    ],
)
def test_each_of_the_five_kinds_is_read(event: str, status: str, expected: CaseEvent) -> None:
    """Activated, Acknowledged, Resolved, Closed and Assignee changed each parse to their kind."""
    parsed = CaseNotification.from_body(body(event, status=status))
    assert parsed.event is expected
    assert (parsed.case_id, parsed.readable_id, parsed.ref) == (UUID, "CASE-12", "CASE-12")
    assert parsed.status is CaseStatus(status)


@pytest.mark.parametrize(
    "word", ["Assignee changed", "ASSIGNEE_CHANGED", "assignee_changed", "caseAssigneeChanged", "assigned"]
)
def test_event_words_are_read_in_any_spelling(word: str) -> None:
    """The event kind is read whatever its case, separators or `case` prefix."""
    assert CaseNotification.from_body(body(word)).event is CaseEvent.ASSIGNEE_CHANGED


def test_an_unknown_event_falls_back_on_the_status() -> None:
    """An event kind the bot does not know is no error: the case's status says what happened."""
    parsed = CaseNotification.from_body(body("caseSnoozedForever", status="CASE_STATUS_ACKNOWLEDGED"))
    assert parsed.event is CaseEvent.ACKNOWLEDGED
    unknown = CaseNotification.from_body(body("caseSnoozedForever", status="CASE_STATUS_SOMETHING_NEW"))
    assert unknown.event is CaseEvent.UPDATED
    assert unknown.status == "CASE_STATUS_SOMETHING_NEW"


def test_flat_fields_and_plain_words_are_accepted() -> None:
    """Top-level fields with plain values (`Acknowledged`, `P1`, an assignee object, labels as a map) are read."""
    parsed = CaseNotification.from_body(
        {
            "entity_type": "Cases",
            "event": "acknowledged",
            "case_id": "CASE-9",
            "title": "Disk full",
            "status": "Acknowledged",
            "priority": "p1",
            "assignee": {"userId": "u-1", "email": "ana@example.com"},
            "labels": {"team": "storage"},
            "link": "https://team.app.coralogix.us/#/cases/CASE-9",
            "channel": "C0OTHER",
        }
    )
    assert (parsed.case_id, parsed.status, parsed.priority) == ("CASE-9", CaseStatus.ACKNOWLEDGED, CasePriority.P1)
    assert (parsed.assignee, parsed.labels, parsed.channel) == ("ana@example.com", {"team": "storage"}, "C0OTHER")


def test_the_deep_link_is_taken_from_deep_links() -> None:
    """`deepLinks.detail`, as the Cases API names the case page, is the message's link."""
    parsed = CaseNotification.from_body(body(deepLinks={"detail": "https://x.coralogix.com/cases/1"}))
    assert parsed.link == "https://x.coralogix.com/cases/1"


def test_a_stored_notification_reads_back_the_same() -> None:
    """What the webhook journals is what the job reads."""
    parsed = CaseNotification.from_body(body("caseAssigneeChanged", assignee={"userId": "u-7"}))
    assert CaseNotification.from_body(parsed.model_dump(mode="json"), stored=True) == parsed


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"_context": {"entityType": "cases"}, "case": {"title": "no id"}}, "case_id"),
        ({"case_id": "{{ case.id }}"}, "unreplaced template placeholder"),
        ({"case_id": "not a case id"}, "UUID or a readable id"),
        ({"case_id": "CASE-1", "channel": "#alerts"}, "Slack channel id"),
        ({"case_id": "CASE-1", "createTime": True}, "ISO 8601"),
    ],
)
def test_malformed_case_bodies_are_refused_with_the_field(raw: dict[str, Any], needle: str) -> None:
    """A case body without a usable id, channel or time is refused, naming what is wrong."""
    with pytest.raises(ValidationError) as caught:
        CaseNotification.from_body(raw)
    assert needle in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "is_case"),
    [
        (body(), True),
        ({"entity_type": "cases", "alert_id": "a"}, True),  # the entity type decides
        ({"case": {"id": UUID}}, True),
        ({"caseId": "CASE-1"}, True),
        ({"alert_id": "a-1", "alert_name": "CPU"}, False),
        ({"_context": {"entityType": "alerts"}, "alert_id": "a", "case": {"id": UUID}}, False),
        ({"entity": "host-17", "alert_id": "a", "alert_name": "CPU"}, False),  # an alert's own field
        ({"entity_type": "{{ _context.entityType }}", "alert_id": "a"}, False),  # unreplaced: no entity type
        ({"alert_id": "a", "case": "CASE-1"}, False),  # `case` that is not an object
    ],
)
def test_case_bodies_are_told_apart_from_alert_bodies(raw: dict[str, Any], is_case: bool) -> None:
    """The rule: an entity type decides; else a `case` object or a case id key; else it is an alert."""
    assert is_case_body(raw) is is_case
