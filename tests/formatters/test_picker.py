"""Tests for `bot.formatters.picker`: the `/resolve-incident` picker in its loading, error, list and empty states."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from bot.api.models import SEVERITY_RANK, Incident, IncidentSeverity
from bot.formatters.picker import (
    STATIC_LIMIT,
    error_view,
    incident_option,
    list_view,
    loading_view,
    picked_ids,
    picker_metadata,
    read_metadata,
)
from bot.ids import ActionId, BlockId, CallbackId
from tests.factories import uuid
from tests.formatters.blockkit import EVIL, NOW, incident, many
from tests.formatters.blockkit import assert_valid_view as shared_assert_valid_view

CHANNEL = "C0123ABCD"
METADATA = picker_metadata(CHANNEL, None)


def assert_valid_view(view: dict[str, Any]) -> None:
    """A valid picker view (shared checks, with the picker's callback id)."""
    shared_assert_valid_view(view, CallbackId.PICKER_MODAL.value)


def block(view: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    """The block with `block_id`, if any."""
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def picker(view: dict[str, Any]) -> dict[str, Any]:
    """The incidents select of a list view."""
    found = block(view, BlockId.PICKER_INCIDENTS.value)
    assert found is not None
    return dict(found["element"])


def severity_select(view: dict[str, Any]) -> dict[str, Any]:
    """The severity filter's select."""
    found = block(view, BlockId.PICKER_FILTER.value)
    assert found is not None
    assert found["type"] == "actions"
    (element,) = found["elements"]
    return dict(element)


def section_texts(view: dict[str, Any]) -> list[str]:
    """The mrkdwn texts of the view's sections."""
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


# -- private_metadata ------------------------------------------------------------------------


@pytest.mark.parametrize("severity", [None, *IncidentSeverity])
def test_metadata_round_trips(severity: IncidentSeverity | None) -> None:
    """The channel and the severity filter read back unchanged from the metadata."""
    raw = picker_metadata(CHANNEL, severity)
    assert len(raw) <= 3000
    assert read_metadata(raw) == (CHANNEL, severity)


def test_metadata_with_awkward_channel_round_trips() -> None:
    """Quotes, backslashes and non-ASCII text in the channel survive the round trip."""
    channel = 'C"1\\ café ✓'
    assert read_metadata(picker_metadata(channel, IncidentSeverity.LOW)) == (channel, IncidentSeverity.LOW)


@pytest.mark.parametrize("raw", [None, "", "{}"])
def test_missing_metadata_reads_as_nothing(raw: str | None) -> None:
    """No metadata means no channel and no filter."""
    assert read_metadata(raw) == ("", None)


# -- loading and error -----------------------------------------------------------------------


def test_loading_view() -> None:
    """The loading view says it is loading and offers nothing to submit."""
    view = loading_view(METADATA)
    assert_valid_view(view)
    assert "submit" not in view
    assert view["close"]["text"] == "Close"
    (text,) = section_texts(view)
    assert "Loading the open incidents" in text


def test_error_view_shows_escaped_reason_error_id_and_retry() -> None:
    """The error view escapes the reason, shows the error id and a Try again button, and has no submit."""
    view = error_view(METADATA, EVIL, "E-7f3a")
    assert_valid_view(view)
    assert "submit" not in view
    assert view["close"]["text"] == "Close"
    (text,) = section_texts(view)
    assert "&lt;!channel&gt; &lt;https://evil|x&gt; &amp;" in text
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "Error id: `E-7f3a`" in text
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["type"], b["action_id"], b["text"]["text"]) for b in buttons] == [
        ("button", ActionId.PICKER_RETRY.value, "Try again")
    ]


@pytest.mark.parametrize("reason", ["R" * 5000, "<&>" * 2000, "&" * 3000])
def test_error_view_with_a_huge_reason(reason: str) -> None:
    """A very long reason, even one that grows fivefold when escaped, is cut to fit; the error id survives."""
    view = error_view(METADATA, reason, "E-7f3a")
    assert_valid_view(view)
    (text,) = section_texts(view)
    assert text.endswith("Error id: `E-7f3a`")
    assert "…" in text
    assert re.search(r"&(?!amp;|lt;|gt;)", text) is None


# -- options ---------------------------------------------------------------------------------


def test_option_text_has_severity_name_age_and_application() -> None:
    """An option reads severity · name · age · application, as plain text, valued by the incident id."""
    option = incident_option(incident(1, name="Checkout latency"), NOW)
    assert option == {
        "text": {"type": "plain_text", "text": "Critical · Checkout latency · 3h 05m · checkout"},
        "value": uuid(1),
    }


def test_option_without_name_application_or_time() -> None:
    """An unnamed incident shows its id, an unknown age `?`, and no application part."""
    bare = Incident(id=uuid(1))
    assert incident_option(bare, NOW)["text"]["text"] == f"Unknown severity · {uuid(1)} · ?"


@pytest.mark.parametrize("name", ["N" * 500, "<&>" * 300, "é" * 200, "a & b " * 40])
def test_option_text_at_most_75_characters(name: str) -> None:
    """Long names are cut so the option text stays within 75 characters; the value is the id."""
    option = incident_option(incident(1, name=name, application="A" * 200), NOW)
    assert 0 < len(option["text"]["text"]) <= 75
    assert option["text"]["text"].startswith("Critical · ")
    assert option["value"] == uuid(1)


# -- list: static and external selects -------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 37, STATIC_LIMIT])
def test_up_to_100_incidents_in_a_static_multi_select(n: int) -> None:
    """Up to 100 open incidents are all options of a static multi-select, in the order given."""
    incidents = many(n)
    view = list_view(METADATA, incidents, None, NOW)
    assert_valid_view(view)
    element = picker(view)
    assert element["type"] == "multi_static_select"
    assert element["action_id"] == ActionId.PICKER_PICKED.value
    assert [o["value"] for o in element["options"]] == [i.id for i in incidents]
    assert all(0 < len(o["text"]["text"]) <= 75 for o in element["options"])
    assert f"*{n} open incidents*" in section_texts(view)[0]


def test_static_options_name_severity_age_and_application() -> None:
    """Each static option carries the incident's severity, name, age and application."""
    incidents = [
        incident(1, name="Disk full", severity=IncidentSeverity.ERROR, application="billing"),
        incident(2, name="Slow", severity=IncidentSeverity.WARNING, opened=timedelta(seconds=42), application=None),
    ]
    element = picker(list_view(METADATA, incidents, None, NOW))
    assert [o["text"]["text"] for o in element["options"]] == [
        "Error · Disk full · 3h 05m · billing",
        "Warning · Slow · 42s",
    ]


@pytest.mark.parametrize("n", [STATIC_LIMIT + 1, 250, 1000])
def test_beyond_100_incidents_an_external_select(n: int) -> None:
    """Past 100 open incidents the picker is a type-ahead external select that asks even with no text."""
    view = list_view(METADATA, many(n), None, NOW)
    assert_valid_view(view)
    element = picker(view)
    assert element["type"] == "multi_external_select"
    assert element["action_id"] == ActionId.PICKER_SEARCH.value
    assert element["min_query_length"] == 0
    assert "options" not in element
    assert "*More than 100 open incidents*" in section_texts(view)[0]


@pytest.mark.parametrize("n", [1, STATIC_LIMIT + 1])
def test_list_has_required_picker_optional_note_and_submit(n: int) -> None:
    """A list requires a pick, offers an optional note of at most 500 characters, and submits as Resolve."""
    view = list_view(METADATA, many(n), None, NOW)
    incidents_block = block(view, BlockId.PICKER_INCIDENTS.value)
    assert incidents_block is not None
    assert incidents_block["type"] == "input"
    assert not incidents_block.get("optional", False)
    note = block(view, BlockId.NOTE.value)
    assert note is not None
    assert note["type"] == "input"
    assert note["optional"] is True
    assert note["element"]["type"] == "plain_text_input"
    assert note["element"]["action_id"] == ActionId.NOTE.value
    assert note["element"]["max_length"] == 3000
    assert view["submit"] == {"type": "plain_text", "text": "Resolve"}
    assert view["close"]["text"] == "Cancel"


@pytest.mark.parametrize("severity", [None, *SEVERITY_RANK])
def test_severity_filter_with_initial_option(severity: IncidentSeverity | None) -> None:
    """The filter offers all severities, most severe first, with the one in force as its initial option."""
    view = list_view(picker_metadata(CHANNEL, severity), many(3), severity, NOW)
    assert_valid_view(view)
    select = severity_select(view)
    assert select["type"] == "static_select"
    assert select["action_id"] == ActionId.PICKER_SEVERITY.value
    assert [o["value"] for o in select["options"]] == ["all", *(s.value for s in SEVERITY_RANK)]
    assert [o["text"]["text"] for o in select["options"]] == [
        "All severities",
        "Critical",
        "Error",
        "Warning",
        "Info",
        "Low",
    ]
    assert select["initial_option"] in select["options"]
    assert select["initial_option"]["value"] == (severity.value if severity else "all")


def test_list_names_are_plain_text_only() -> None:
    """Outside names reach only plain_text options, never the view's mrkdwn."""
    view = list_view(METADATA, [incident(i, name=EVIL, application=EVIL) for i in range(3)], None, NOW)
    assert_valid_view(view)
    for text in section_texts(view):
        assert not re.search(r"<[@#!h]", text)
    assert all(o["text"]["type"] == "plain_text" for o in picker(view)["options"])


# -- empty -----------------------------------------------------------------------------------


def test_empty_list_without_filter() -> None:
    """No open incidents: the view says so, keeps the filter, and has nothing to pick or submit."""
    view = list_view(METADATA, [], None, NOW)
    assert_valid_view(view)
    assert "submit" not in view
    assert view["close"]["text"] == "Close"
    assert block(view, BlockId.PICKER_INCIDENTS.value) is None
    assert block(view, BlockId.NOTE.value) is None
    assert "No open incidents in Coralogix" in section_texts(view)[0]
    assert severity_select(view)["initial_option"]["value"] == "all"


@pytest.mark.parametrize(
    ("severity", "word"),
    [
        (IncidentSeverity.CRITICAL, "critical"),
        (IncidentSeverity.ERROR, "error"),
        (IncidentSeverity.WARNING, "warning"),
        (IncidentSeverity.INFO, "info"),
        (IncidentSeverity.LOW, "low"),
    ],
)
def test_empty_list_says_which_severity(severity: IncidentSeverity, word: str) -> None:
    """With a filter, the empty view names the severity and keeps it selected."""
    view = list_view(picker_metadata(CHANNEL, severity), [], severity, NOW)
    assert_valid_view(view)
    assert "submit" not in view
    assert f"No open {word} incidents in Coralogix" in section_texts(view)[0]
    assert severity_select(view)["initial_option"]["value"] == severity.value


# -- picked_ids ------------------------------------------------------------------------------


def submitted(action: str, ids: list[str] | None) -> dict[str, Any]:
    """`view.state.values` of a submitted picker whose `action` select holds `ids`."""
    selected = None if ids is None else [{"text": {"type": "plain_text", "text": i}, "value": i} for i in ids]
    return {
        BlockId.PICKER_INCIDENTS.value: {action: {"type": "multi_static_select", "selected_options": selected}},
        BlockId.NOTE.value: {ActionId.NOTE.value: {"type": "plain_text_input", "value": "done"}},
    }


@pytest.mark.parametrize("action", [ActionId.PICKER_PICKED.value, ActionId.PICKER_SEARCH.value])
def test_picked_ids_from_either_select(action: str) -> None:
    """The picked ids come back in order from the static and the external select alike."""
    assert picked_ids(submitted(action, [uuid(2), uuid(1)])) == [uuid(2), uuid(1)]


@pytest.mark.parametrize(
    "values",
    [
        {},
        submitted(ActionId.PICKER_PICKED.value, []),
        submitted(ActionId.PICKER_SEARCH.value, None),
        {BlockId.PICKER_INCIDENTS.value: {}},
        {BlockId.NOTE.value: {ActionId.NOTE.value: {"value": "x"}}},
    ],
    ids=["no-values", "empty-static", "null-external", "empty-block", "note-only"],
)
def test_nothing_picked(values: dict[str, Any]) -> None:
    """Nothing picked reads as no ids."""
    assert picked_ids(values) == []


# -- every view ------------------------------------------------------------------------------


def every_view(metadata: str) -> list[dict[str, Any]]:
    """One view of each kind, with `metadata`."""
    return [
        loading_view(metadata),
        error_view(metadata, "Coralogix is down", "E1"),
        list_view(metadata, many(3), None, NOW),
        list_view(metadata, many(STATIC_LIMIT + 1), IncidentSeverity.CRITICAL, NOW),
        list_view(metadata, [], IncidentSeverity.WARNING, NOW),
    ]


def test_every_view_validates() -> None:
    """Every view passes slack_sdk's validation, block by block, with the picker's title and callback id."""
    for view in every_view(METADATA):
        assert_valid_view(view)
        assert view["title"] == {"type": "plain_text", "text": "Resolve incidents"}


def test_every_view_carries_the_metadata() -> None:
    """Every view carries the metadata it was given, and it reads back."""
    metadata = picker_metadata(CHANNEL, IncidentSeverity.ERROR)
    for view in every_view(metadata):
        assert view["private_metadata"] == metadata
        assert read_metadata(view["private_metadata"]) == (CHANNEL, IncidentSeverity.ERROR)
        assert json.loads(view["private_metadata"])["channel"] == CHANNEL


def test_only_a_non_empty_list_can_submit() -> None:
    """Only a list with incidents has a submit button."""
    assert ["submit" in v for v in every_view(METADATA)] == [False, False, True, True, False]
