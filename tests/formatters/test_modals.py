"""Tests for `bot.formatters.modals`: the message shortcut's modal in its loading, empty, error and list states."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.api.models import Incident, IncidentState, IncidentStatus
from bot.formatters.modals import (
    MAX_OPTIONS,
    empty_view,
    error_view,
    list_view,
    loading_view,
)
from bot.ids import ActionId, BlockId, CallbackId
from tests.factories import uuid
from tests.formatters.blockkit import EVIL, incident, strings
from tests.formatters.blockkit import assert_valid_view as shared_assert_valid_view

METADATA = {"channel": "C0123ABCD", "thread_ts": "1700000000.000100"}


def found_of(*incidents: Incident) -> dict[str, Incident]:
    """The lookup answer for `incidents`, by id."""
    return {i.id: i for i in incidents}


def assert_valid_view(view: dict[str, Any]) -> None:
    """A valid shortcut modal (shared checks, with the shortcut modal's callback id)."""
    shared_assert_valid_view(view, CallbackId.RESOLVE_IN_MESSAGE_MODAL.value)


def select(view: dict[str, Any]) -> dict[str, Any] | None:
    """The incident picker's element, if any."""
    block = next((b for b in view["blocks"] if b.get("block_id") == BlockId.SHORTCUT_INCIDENTS.value), None)
    return None if block is None else dict(block["element"])


def section_texts(view: dict[str, Any]) -> list[str]:
    """The mrkdwn texts of the view's sections."""
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


# -- loading, empty, error -------------------------------------------------------------------


@pytest.mark.parametrize(("count", "words"), [(1, "1 incident id"), (2, "2 incident ids"), (1000, "1000 incident ids")])
def test_loading_view(count: int, words: str) -> None:
    """The loading view says how many ids are being looked up, and offers no submit."""
    view = loading_view(METADATA, count)
    assert_valid_view(view)
    assert section_texts(view) == [f":hourglass_flowing_sand: Looking up {words} in Coralogix…"]
    assert "submit" not in view
    assert view["close"]["text"] == "Close"


def test_empty_view() -> None:
    """No ids: the view explains what an incident id looks like, and offers no submit."""
    view = empty_view(METADATA)
    assert_valid_view(view)
    assert "submit" not in view
    assert "No Coralogix incident ids found" in section_texts(view)[0]
    assert view["close"]["text"] == "Close"


def test_error_view_shows_reason_and_error_id() -> None:
    """The error view says why Coralogix could not be read, escaped, with the error id; no submit."""
    view = error_view(METADATA, EVIL, "E-7f3a")
    assert_valid_view(view)
    assert "submit" not in view
    (text,) = section_texts(view)
    assert "&lt;!channel&gt; &lt;https://evil|x&gt; &amp;" in text
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "Error id: `E-7f3a`" in text


@pytest.mark.parametrize("reason", ["R" * 5000, "<&>" * 2000])
def test_error_view_with_a_huge_reason(reason: str) -> None:
    """A very long reason, even one that grows when escaped, is cut to fit; the error id survives."""
    view = error_view(METADATA, reason, "E-7f3a")
    assert_valid_view(view)
    assert section_texts(view)[0].endswith("Error id: `E-7f3a`")


# -- list ------------------------------------------------------------------------------------


def test_open_incidents_preselected() -> None:
    """Open incidents are the picker's options, all pre-selected, with a note field and a submit."""
    ids = [uuid(1), uuid(2)]
    view = list_view(METADATA, ids, found_of(incident(1), incident(2, status=IncidentStatus.ACKNOWLEDGED)))
    assert_valid_view(view)
    element = select(view)
    assert element is not None
    assert element["type"] == "multi_static_select"
    assert element["action_id"] == ActionId.SHORTCUT_PICKED.value
    assert [o["value"] for o in element["options"]] == ids
    assert element["initial_options"] == element["options"]
    assert view["submit"]["text"] == "Resolve"
    assert view["close"]["text"] == "Cancel"
    note = next(b for b in view["blocks"] if b.get("block_id") == BlockId.NOTE.value)
    assert note["optional"] is True
    assert note["element"]["action_id"] == ActionId.NOTE.value


def test_option_text() -> None:
    """An option reads as severity and name, as plain text."""
    view = list_view(METADATA, [uuid(1)], found_of(incident(1, name="High <latency> & co")))
    element = select(view)
    assert element is not None
    assert element["options"][0]["text"] == {"type": "plain_text", "text": "Critical · High <latency> & co"}


def test_option_without_name_shows_the_id() -> None:
    """An unnamed incident's option shows its id."""
    unnamed = Incident(id=uuid(1), status=IncidentStatus.TRIGGERED)
    element = select(list_view(METADATA, [uuid(1)], found_of(unnamed)))
    assert element is not None
    assert element["options"][0]["text"]["text"] == f"Unknown severity · {uuid(1)}"


def test_resolved_and_unknown_listed_but_not_selectable() -> None:
    """Resolved and unknown ids are listed with their state but are not options."""
    ids = [uuid(1), uuid(2), uuid(3)]
    view = list_view(METADATA, ids, found_of(incident(1), incident(2, status=IncidentStatus.RESOLVED)))
    assert_valid_view(view)
    listing = section_texts(view)[0].splitlines()
    assert listing[0] == ":red_circle: *Incident 1* · triggered"
    assert listing[1] == ":red_circle: *Incident 2* · resolved"
    assert listing[2] == f":grey_question: `{uuid(3)}`: not found in Coralogix"
    element = select(view)
    assert element is not None
    assert [o["value"] for o in element["options"]] == [uuid(1)]


def test_resolved_by_state_is_not_selectable() -> None:
    """An incident with no status but a resolved state counts as resolved."""
    closed = Incident(id=uuid(1), name="n", state=IncidentState.RESOLVED)
    view = list_view(METADATA, [uuid(1), uuid(2)], found_of(closed, incident(2)))
    element = select(view)
    assert element is not None
    assert [o["value"] for o in element["options"]] == [uuid(2)]
    assert "resolved" in section_texts(view)[0].splitlines()[0]


def test_nothing_open_no_submit() -> None:
    """When every incident is resolved or unknown there is no picker and no submit."""
    ids = [uuid(1), uuid(2)]
    view = list_view(METADATA, ids, found_of(incident(1, status=IncidentStatus.RESOLVED)))
    assert_valid_view(view)
    assert "submit" not in view
    assert select(view) is None
    assert all(b["type"] == "section" for b in view["blocks"])
    assert "Nothing to resolve" in section_texts(view)[-1]
    assert view["close"]["text"] == "Close"


def test_nothing_found_no_submit() -> None:
    """When Coralogix knows none of the ids there is no submit either."""
    view = list_view(METADATA, [uuid(1)], {})
    assert_valid_view(view)
    assert "submit" not in view


def test_listing_keeps_message_order() -> None:
    """Incidents are listed, and offered, in the order the message names them."""
    ids = [uuid(3), uuid(1), uuid(2)]
    view = list_view(METADATA, ids, found_of(incident(1), incident(2), incident(3)))
    element = select(view)
    assert element is not None
    assert [o["value"] for o in element["options"]] == ids
    assert [line.split("*")[1] for line in section_texts(view)[0].splitlines()] == [
        "Incident 3",
        "Incident 1",
        "Incident 2",
    ]


def test_names_escaped_in_the_listing() -> None:
    """Incident names are escaped in the mrkdwn listing."""
    view = list_view(METADATA, [uuid(1)], found_of(incident(1, name=EVIL)))
    text = section_texts(view)[0]
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "&lt;!channel&gt; &lt;https://evil|x&gt; &amp;" in text


def test_no_markup_from_outside_anywhere() -> None:
    """No mrkdwn text of the view carries a ping or a link from outside."""
    view = list_view(METADATA, [uuid(i) for i in range(5)], found_of(*(incident(i, name=EVIL) for i in range(3))))
    for text in section_texts(view):
        assert not re.search(r"<[@#!h]", text)


@pytest.mark.parametrize("n", [100, 101, 250, 1000])
def test_at_most_100_options(n: int) -> None:
    """However many open incidents, the picker offers at most 100, the first ones."""
    ids = [uuid(i) for i in range(n)]
    view = list_view(METADATA, ids, found_of(*(incident(i) for i in range(n))))
    assert_valid_view(view)
    element = select(view)
    assert element is not None
    assert len(element["options"]) == min(n, MAX_OPTIONS) == len(element["initial_options"])
    assert [o["value"] for o in element["options"]] == ids[:MAX_OPTIONS]


@pytest.mark.parametrize("name", ["N" * 500, "<&>" * 300, "é" * 200])
def test_long_names_stay_within_limits(name: str) -> None:
    """Long names are cut: options to 75 characters, the listing to one section."""
    n = 150
    view = list_view(METADATA, [uuid(i) for i in range(n)], found_of(*(incident(i, name=name) for i in range(n))))
    assert_valid_view(view)
    element = select(view)
    assert element is not None
    assert all(0 < len(o["text"]["text"]) <= 75 for o in element["options"])
    assert all(len(o["value"]) <= 150 for o in element["options"])
    assert re.search(r"&(?!amp;|lt;|gt;)", section_texts(view)[0]) is None


def test_unusual_status_shown_in_lower_case() -> None:
    """A status the bot does not know is shown without its prefix, in lower case."""
    odd = Incident(id=uuid(1), name="n", status=IncidentStatus("INCIDENT_STATUS_SNOOZED"))
    text = section_texts(list_view(METADATA, [uuid(1)], found_of(odd)))[0]
    assert text.endswith("· snoozed")


def test_no_status_shown_as_unknown() -> None:
    """An incident with no status at all reads as unknown."""
    text = section_texts(list_view(METADATA, [uuid(1)], found_of(Incident(id=uuid(1), name="n"))))[0]
    assert text.endswith("· unknown")


# -- every view ------------------------------------------------------------------------------


def every_view(metadata: dict[str, str]) -> list[dict[str, Any]]:
    """One view of each kind, with `metadata`."""
    return [
        loading_view(metadata, 3),
        empty_view(metadata),
        error_view(metadata, "Coralogix is down", "E1"),
        list_view(metadata, [uuid(1), uuid(2)], found_of(incident(1))),
        list_view(metadata, [uuid(1)], {}),
    ]


def test_private_metadata_round_trips() -> None:
    """Every view carries the metadata as JSON that reads back unchanged."""
    for view in every_view(METADATA):
        assert json.loads(view["private_metadata"]) == METADATA
        assert len(view["private_metadata"]) <= 3000


def test_private_metadata_with_awkward_text_round_trips() -> None:
    """Quotes, backslashes and non-ASCII text survive the metadata round trip."""
    metadata = {"channel": 'C"1\\', "thread_ts": "1.2", "note": "café ✓"}
    for view in every_view(metadata):
        assert json.loads(view["private_metadata"]) == metadata


def test_title_and_callback_id() -> None:
    """Every view has the same short title and the modal's callback id from `bot.ids`."""
    for view in every_view(METADATA):
        assert view["title"] == {"type": "plain_text", "text": "Resolve incidents"}
        assert len(view["title"]["text"]) <= 24
        assert view["callback_id"] == CallbackId.RESOLVE_IN_MESSAGE_MODAL.value
        assert_valid_view(view)


def test_only_the_list_with_open_incidents_can_submit() -> None:
    """Only a list with something open has a submit button."""
    assert ["submit" in v for v in every_view(METADATA)] == [False, False, False, True, False]


def test_views_contain_no_pings() -> None:
    """No view text anywhere holds a broadcast or a mention."""
    for view in every_view(METADATA):
        assert not any("<!" in s or "<@" in s for s in strings(view))
