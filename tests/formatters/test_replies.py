"""Tests for `bot.formatters.replies`: what the person who acted on an alert is told, and the help text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.api import Incident
from bot.formatters.alert import AlertState
from bot.formatters.replies import mention_help_text, thread_status_text
from bot.formatters.usage import usage_text
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


# -- thread_status_text ----------------------------------------------------------------------


def test_thread_status_with_incident_as_coralogix_has_it() -> None:
    """`@bot status` shows the status line, the incident id and its status read from Coralogix now."""
    incident = Incident(id=INCIDENT, status="INCIDENT_STATUS_RESOLVED")
    text = thread_status_text(AlertState(AlertStatus.ACKNOWLEDGED, by=USER, at=AT), INCIDENT, incident)
    assert text.startswith(f":eyes: Acknowledged by <@{USER}> · ")
    assert DATE_TOKEN.search(text)
    assert text.endswith(f" · incident `{INCIDENT}` · in Coralogix: resolved")


def test_thread_status_when_coralogix_does_not_answer() -> None:
    """Without Coralogix's answer the status says so instead of passing the store off as the truth."""
    text = thread_status_text(AlertState(), INCIDENT, None)
    assert text.endswith(f" · incident `{INCIDENT}` · Coralogix did not answer")


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
