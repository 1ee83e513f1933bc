"""Tests for `bot.formatters.replies`: what the person who acted on an alert is told, and the help text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.formatters.alert import AlertState
from bot.formatters.replies import mention_help_text, outcome_text, thread_status_text
from bot.formatters.usage import usage_text
from bot.ids import Command
from bot.services.alerts import ActionOutcome, OutcomeKind
from bot.store import AlertRecord, AlertStatus

USER = "U0123ABCD"
OTHER = "U0999WXYZ"
AT = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
DATE_TOKEN = re.compile(rf"<!date\^{int(AT.timestamp())}\^[^|<>]+\|2026-11-27 04:00 UTC>")
INCIDENT = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
EVIL = "<!channel> <https://evil|x> &"
ALLOWED_MARKUP = re.compile(rf"^<@(?:{USER}|{OTHER})>$|^<!date\^\d+\^[^|<>]+\|[^<>]+>$")


def record(**fields: Any) -> AlertRecord:
    """A triggered alert record, changed by `fields`."""
    base = AlertRecord(
        id=1,
        channel="C1",
        ts="1700000000.000100",
        alert_id="alert-1",
        incident_id=INCIDENT,
        notification={"alert_id": "alert-1", "alert_name": "High latency"},
        status=AlertStatus.TRIGGERED,
        status_by=None,
        status_via=None,
        status_at=None,
        pending_action=None,
        pending_by=None,
        pending_since=None,
        version=1,
        created_at=AT,
    )
    return replace(base, **fields)


def markup_is_own(text: str) -> bool:
    """Whether every `<…>` in `text` is a mention of a known user or a date token."""
    return all(ALLOWED_MARKUP.match(m) for m in re.findall(r"<[^<>]*>", text))


# -- outcome_text ----------------------------------------------------------------------------


def test_done_says_nothing() -> None:
    """When the action worked the message itself shows it: no reply."""
    done = record(status=AlertStatus.RESOLVED, status_by=USER, status_at=AT)
    assert outcome_text(ActionOutcome(OutcomeKind.DONE, done), "resolve") is None
    assert outcome_text(ActionOutcome(OutcomeKind.DONE), "acknowledge") is None


def test_already_resolved_by_a_user() -> None:
    """Already resolved names who resolved it and when."""
    done = record(status=AlertStatus.RESOLVED, status_by=OTHER, status_at=AT)
    text = outcome_text(ActionOutcome(OutcomeKind.ALREADY_RESOLVED, done), "resolve")
    assert text is not None
    assert text.startswith(f":ballot_box_with_check: Already resolved by <@{OTHER}> at ")
    assert DATE_TOKEN.search(text)
    assert text.endswith(".")


def test_already_resolved_in_coralogix() -> None:
    """Already resolved with nobody named says Coralogix did it."""
    done = record(status=AlertStatus.RESOLVED, status_via="coralogix", status_at=AT)
    text = outcome_text(ActionOutcome(OutcomeKind.ALREADY_RESOLVED, done), "acknowledge")
    assert text is not None
    assert text.startswith(":ballot_box_with_check: Already resolved by Coralogix at ")
    assert DATE_TOKEN.search(text)
    assert "<@" not in text


def test_already_resolved_without_time() -> None:
    """Without a stored time the reply has no date token."""
    done = record(status=AlertStatus.RESOLVED, status_by=OTHER)
    text = outcome_text(ActionOutcome(OutcomeKind.ALREADY_RESOLVED, done), "resolve")
    assert text == f":ballot_box_with_check: Already resolved by <@{OTHER}>."


def test_already_acknowledged() -> None:
    """Already acknowledged names who acknowledged it, or "someone"."""
    acked = record(status=AlertStatus.ACKNOWLEDGED, status_by=OTHER, status_at=AT)
    assert outcome_text(ActionOutcome(OutcomeKind.ALREADY_ACKNOWLEDGED, acked), "acknowledge") == (
        f":eyes: Already acknowledged by <@{OTHER}>."
    )
    anonymous = record(status=AlertStatus.ACKNOWLEDGED)
    assert outcome_text(ActionOutcome(OutcomeKind.ALREADY_ACKNOWLEDGED, anonymous), "acknowledge") == (
        ":eyes: Already acknowledged by someone."
    )


@pytest.mark.parametrize(("pending", "word"), [("resolve", "resolved"), ("acknowledge", "acknowledged")])
def test_in_flight_names_the_pending_user(pending: str, word: str) -> None:
    """An action already in flight names what is being done and by whom."""
    busy = record(pending_action=pending, pending_by=OTHER, pending_since=AT)
    text = outcome_text(ActionOutcome(OutcomeKind.IN_FLIGHT, busy), "resolve")
    assert text == f":hourglass_flowing_sand: Already being {word} by <@{OTHER}>."


def test_in_flight_without_user() -> None:
    """An action in flight with nobody named says "someone"."""
    busy = record(pending_action="resolve")
    assert outcome_text(ActionOutcome(OutcomeKind.IN_FLIGHT, busy), "resolve") == (
        ":hourglass_flowing_sand: Already being resolved by someone."
    )


def test_not_tracked_points_to_the_command() -> None:
    """An alert the bot has no record of points to the slash command instead."""
    text = outcome_text(ActionOutcome(OutcomeKind.NOT_TRACKED), "resolve")
    assert text is not None
    assert text.startswith(":grey_question: I don't have this alert on record")
    assert f"`{Command.RESOLVE_INCIDENT.value} &lt;incident-id&gt;`" in text


def test_no_incident_says_why() -> None:
    """No incident found says what could not be done and why, escaped."""
    outcome = ActionOutcome(OutcomeKind.NO_INCIDENT, record(), reason=EVIL)
    assert outcome_text(outcome, "acknowledge") == (
        ":grey_question: Could not acknowledge: &lt;!channel&gt; &lt;https://evil|x&gt; &amp;"
    )


def test_no_incident_default_reason() -> None:
    """No incident without a reason still says no incident was found."""
    text = outcome_text(ActionOutcome(OutcomeKind.NO_INCIDENT, record()), "resolve")
    assert text == ":grey_question: Could not resolve: no incident found"


def test_failed_shows_reason_and_error_id() -> None:
    """A failure says what could not be done, why (escaped) and the error id."""
    outcome = ActionOutcome(OutcomeKind.FAILED, record(), reason=EVIL, error_id="E-7f3a")
    text = outcome_text(outcome, "resolve")
    assert text == (
        ":warning: Could not resolve the incident: &lt;!channel&gt; &lt;https://evil|x&gt; &amp;\nError id: `E-7f3a`"
    )


def test_failed_without_reason_or_error_id() -> None:
    """A failure with nothing more known still reads as a sentence, with no empty error id."""
    text = outcome_text(ActionOutcome(OutcomeKind.FAILED, record()), "acknowledge")
    assert text == ":warning: Could not acknowledge the incident: unknown error"


def test_failed_error_id_escaped() -> None:
    """Even the error id is escaped."""
    text = outcome_text(ActionOutcome(OutcomeKind.FAILED, record(), reason="x", error_id="<!here>"), "resolve")
    assert text is not None
    assert "<!here>" not in text


@pytest.mark.parametrize("kind", [k for k in OutcomeKind if k is not OutcomeKind.DONE])
def test_every_reply_is_text_and_escaped(kind: OutcomeKind) -> None:
    """Every outcome but DONE gets a reply, and none carries a ping or a disguised link from outside."""
    busy = record(
        status=AlertStatus.RESOLVED if kind is OutcomeKind.ALREADY_RESOLVED else AlertStatus.ACKNOWLEDGED,
        status_by=USER,
        status_at=AT,
        pending_action="resolve",
        pending_by=OTHER,
    )
    text = outcome_text(ActionOutcome(kind, busy, reason=EVIL, error_id=EVIL), "resolve")
    assert text
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert markup_is_own(text), text


def test_hostile_user_ids_are_escaped() -> None:
    """Stored user ids are escaped before being wrapped in a mention."""
    done = record(status=AlertStatus.RESOLVED, status_by="U1><!channel", status_at=AT)
    text = outcome_text(ActionOutcome(OutcomeKind.ALREADY_RESOLVED, done), "resolve")
    assert text is not None
    assert "<!channel>" not in text


# -- thread_status_text ----------------------------------------------------------------------


def test_thread_status_with_incident() -> None:
    """`@bot status` shows the status line and the incident id."""
    text = thread_status_text(AlertState(AlertStatus.ACKNOWLEDGED, by=USER, at=AT), INCIDENT)
    assert text.startswith(f":eyes: Acknowledged by <@{USER}> · ")
    assert DATE_TOKEN.search(text)
    assert text.endswith(f" · incident `{INCIDENT}`")


def test_thread_status_without_incident() -> None:
    """`@bot status` says when no incident has been found yet."""
    text = thread_status_text(AlertState(), None)
    assert text == ":rotating_light: Triggered · not acknowledged yet · incident not found yet"


# -- mention_help_text -----------------------------------------------------------------------


def test_help_in_an_alert_thread() -> None:
    """In an alert thread the reply says which verbs work there, then gives the whole help."""
    text = mention_help_text(True)
    assert "`resolve [note]`, `ack` and `status`" in text
    assert text.endswith(usage_text())
    assert "not one of my alert messages" not in text


def test_help_elsewhere_says_which_thread() -> None:
    """Outside an alert thread the help first says this is not an alert thread."""
    text = mention_help_text(False)
    assert "not one of my alert messages" in text.splitlines()[0]
    assert text.endswith(usage_text())


@pytest.mark.parametrize("in_thread", [True, False])
def test_help_has_no_markup(in_thread: bool) -> None:
    """The help text has no mention, link or broadcast markup: its placeholders are escaped."""
    assert "<" not in mention_help_text(in_thread)
    assert ">" not in mention_help_text(in_thread)
