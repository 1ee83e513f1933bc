"""Tests for `bot.formatters.home`: the App Home tab with incidents, and in its notice, error and empty states."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.api.models import Incident, IncidentSeverity
from bot.formatters.common import SECTION_TEXT_LIMIT
from bot.formatters.home import HOME_LIMIT, home_view
from bot.ids import ActionId
from tests.factories import uuid
from tests.formatters.blockkit import EVIL, NOW, assert_block_valid, incident, many, strings


def assert_valid_home(view: dict[str, Any]) -> None:
    """The Home view keeps Slack's limits and slack_sdk accepts it and every block in it."""
    assert view["type"] == "home"
    assert 0 < len(view["blocks"]) <= 100
    View(**view).validate_json()
    for raw in view["blocks"]:
        if raw["type"] == "section":
            assert 0 < len(raw["text"]["text"]) <= SECTION_TEXT_LIMIT
        if raw["type"] == "header":
            assert 0 < len(raw["text"]["text"]) <= 150
        assert_block_valid(raw)


def buttons(view: dict[str, Any], action: ActionId) -> list[dict[str, Any]]:
    """Every button of the view with `action`, in order."""
    return [
        e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action.value
    ]


def section_texts(view: dict[str, Any]) -> list[str]:
    """The mrkdwn texts of the view's sections."""
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def context_texts(view: dict[str, Any]) -> list[str]:
    """The mrkdwn texts of the view's context blocks."""
    return [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]


# -- the frame -------------------------------------------------------------------------------


def test_header_updated_line_and_refresh() -> None:
    """Home opens with a header, an Updated date token naming who may resolve, and a Refresh button."""
    view = home_view(many(1), now=NOW)
    assert_valid_home(view)
    head, updated, refresh = view["blocks"][:3]
    assert head == {"type": "header", "text": {"type": "plain_text", "text": "Open Coralogix incidents"}}
    (line,) = updated["elements"]
    stamp = int(NOW.timestamp())
    assert line["text"].startswith(f"Updated <!date^{stamp}^{{date_short_pretty}} at {{time}}|2026-03-14 12:00 UTC>")
    assert "anyone in this workspace" in line["text"]
    assert refresh["type"] == "actions"
    assert [(b["action_id"], b["text"]["text"]) for b in refresh["elements"]] == [
        (ActionId.HOME_REFRESH.value, "Refresh")
    ]


@pytest.mark.parametrize("incidents", [None, [], many(1)], ids=["error", "empty", "incidents"])
def test_frame_in_every_state(incidents: list[Incident] | None) -> None:
    """Header, Updated line and Refresh are there whatever the state."""
    view = home_view(incidents, now=NOW, error="down" if incidents is None else None)
    assert_valid_home(view)
    assert [b["type"] for b in view["blocks"][:3]] == ["header", "context", "actions"]
    assert len(buttons(view, ActionId.HOME_REFRESH)) == 1


# -- incidents -------------------------------------------------------------------------------


def test_incident_line() -> None:
    """Each incident shows its marker, name, severity, age, application and id."""
    view = home_view([incident(1, name="Disk full")], now=NOW)
    assert_valid_home(view)
    assert section_texts(view) == [f":red_circle: *Disk full*\nCritical · open 3h 05m · checkout · `{uuid(1)}`"]


def test_incident_without_application_or_name() -> None:
    """An unnamed incident shows its id as the name; no application means no application part."""
    bare = Incident(id=uuid(1))
    view = home_view([bare], now=NOW)
    assert_valid_home(view)
    assert section_texts(view) == [f":white_circle: *{uuid(1)}*\nUnknown severity · open ? · `{uuid(1)}`"]


def test_incidents_shown_in_the_order_given() -> None:
    """Incidents appear in the order given (the service sorts most severe first)."""
    incidents = [
        incident(3, severity=IncidentSeverity.CRITICAL),
        incident(1, severity=IncidentSeverity.ERROR),
        incident(2, severity=IncidentSeverity.LOW),
    ]
    view = home_view(incidents, now=NOW)
    assert [b["value"] for b in buttons(view, ActionId.HOME_RESOLVE)] == [uuid(3), uuid(1), uuid(2)]
    assert [t.split("*")[1] for t in section_texts(view)] == ["Incident 3", "Incident 1", "Incident 2"]
    assert [t.split()[0] for t in section_texts(view)] == [":red_circle:", ":large_orange_circle:", ":white_circle:"]


@pytest.mark.parametrize("n", [1, 19, HOME_LIMIT])
def test_up_to_20_incidents_all_shown(n: int) -> None:
    """Up to 20 incidents are all shown, with no "most severe of" line."""
    view = home_view(many(n), now=NOW)
    assert_valid_home(view)
    assert [b["value"] for b in buttons(view, ActionId.HOME_RESOLVE)] == [uuid(i) for i in range(n)]
    assert not any("most severe of" in t for t in context_texts(view))


@pytest.mark.parametrize("n", [HOME_LIMIT + 1, 250, 1000])
def test_past_20_the_first_20_and_a_count(n: int) -> None:
    """Past 20 incidents, the first 20 are shown under "The 20 most severe of N"."""
    view = home_view(many(n), now=NOW)
    assert_valid_home(view)
    assert [b["value"] for b in buttons(view, ActionId.HOME_RESOLVE)] == [uuid(i) for i in range(HOME_LIMIT)]
    assert f"The 20 most severe of {n} open incidents." in context_texts(view)


def test_resolve_button_confirms() -> None:
    """Each Resolve button carries the incident id and asks to confirm, naming the incident."""
    view = home_view([incident(1, name="Disk full"), incident(2)], now=NOW)
    resolves = buttons(view, ActionId.HOME_RESOLVE)
    assert [b["value"] for b in resolves] == [uuid(1), uuid(2)]
    first = resolves[0]
    assert first["type"] == "button"
    assert first["text"] == {"type": "plain_text", "text": "Resolve"}
    assert first["style"] == "primary"
    confirm = first["confirm"]
    assert confirm["title"]["text"] == "Resolve this incident?"
    assert confirm["text"] == {"type": "mrkdwn", "text": "*Disk full* will be resolved in Coralogix."}
    assert confirm["confirm"]["text"] == "Resolve"
    assert confirm["deny"]["text"] == "Cancel"


def test_open_button_only_with_a_url() -> None:
    """Open in Coralogix appears only for incidents that have a url, and links to it."""
    url = "https://acme.coralogix.com/#/incidents/" + uuid(2)
    view = home_view(many(3), now=NOW, urls={uuid(2): url})
    assert_valid_home(view)
    opens = buttons(view, ActionId.HOME_OPEN)
    assert [(b["url"], b["text"]["text"]) for b in opens] == [(url, "Open in Coralogix")]
    rows = [b for b in view["blocks"] if b["type"] == "actions"][1:]
    assert [len(r["elements"]) for r in rows] == [1, 1, 2]


@pytest.mark.parametrize(
    "bad",
    ["https://acme.coralogix.com/a b", "javascript:alert(1)", "https://x.example/<!here>", "https://x/" + "y" * 3000],
    ids=["space", "scheme", "link-syntax", "too-long"],
)
def test_a_bad_url_drops_only_its_button(bad: str) -> None:
    """A link Slack would refuse loses its Open button; the view stays valid and the other links stay."""
    good = "https://acme.coralogix.com/#/incidents/" + uuid(0)
    view = home_view(many(2), now=NOW, urls={uuid(0): good, uuid(1): bad})
    assert_valid_home(view)
    assert [b["url"] for b in buttons(view, ActionId.HOME_OPEN)] == [good]
    assert len(buttons(view, ActionId.HOME_RESOLVE)) == 2


def test_no_urls_no_open_buttons() -> None:
    """Without urls there is no Open button at all."""
    assert buttons(home_view(many(3), now=NOW), ActionId.HOME_OPEN) == []


# -- notice, error, empty --------------------------------------------------------------------


def test_notice_shown_above_the_incidents() -> None:
    """The notice of the last action is shown right after the Refresh button, before the incidents."""
    view = home_view(many(2), now=NOW, notice=":white_check_mark: Resolved *Disk full*.")
    assert_valid_home(view)
    assert view["blocks"][3] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": ":white_check_mark: Resolved *Disk full*."},
    }
    assert len(buttons(view, ActionId.HOME_RESOLVE)) == 2


def test_error_state() -> None:
    """Coralogix unreadable: Home says why, under any notice, and lists no incidents."""
    view = home_view(None, now=NOW, notice="Earlier outcome", error="Could not read: down (error id `E1`)")
    assert_valid_home(view)
    assert section_texts(view) == ["Earlier outcome", ":warning: Could not read: down (error id `E1`)"]
    assert buttons(view, ActionId.HOME_RESOLVE) == []


def test_error_wins_over_incidents() -> None:
    """An error shows even when incidents are given too, and no incidents are listed."""
    view = home_view(many(3), now=NOW, error="partial")
    assert section_texts(view) == [":warning: partial"]
    assert buttons(view, ActionId.HOME_RESOLVE) == []


def test_no_incidents_and_no_error_reads_as_an_error() -> None:
    """No incidents list at all and no error still says the incidents could not be read."""
    view = home_view(None, now=NOW)
    assert_valid_home(view)
    assert section_texts(view) == [":warning: Could not read the incidents."]


def test_empty_state() -> None:
    """No open incidents: Home says so and has no Resolve buttons."""
    view = home_view([], now=NOW)
    assert_valid_home(view)
    assert section_texts(view) == [":white_check_mark: No open incidents in Coralogix right now."]
    assert buttons(view, ActionId.HOME_RESOLVE) == []
    assert not any("most severe of" in t for t in context_texts(view))


@pytest.mark.parametrize("text", ["R" * 5000, "&lt;" * 2000])
def test_huge_notice_and_error_stay_within_limits(text: str) -> None:
    """An over-long (already escaped) notice or error is cut to one section, never mid-escape."""
    for view in (home_view([], now=NOW, notice=text), home_view(None, now=NOW, error=text)):
        assert_valid_home(view)
        for section in section_texts(view):
            assert re.search(r"&(?!amp;|lt;|gt;)", section) is None


# -- escaping and limits ---------------------------------------------------------------------


def test_names_and_applications_escaped() -> None:
    """Outside names and applications are escaped: no ping or link from Coralogix reaches the view."""
    view = home_view([incident(1, name=EVIL, application=EVIL)], now=NOW)
    assert_valid_home(view)
    (text,) = section_texts(view)
    assert text.count("&lt;!channel&gt; &lt;https://evil|x&gt; &amp;") == 2
    assert not any("<!channel>" in s or "<https://evil" in s for s in strings(view))
    confirm = buttons(view, ActionId.HOME_RESOLVE)[0]["confirm"]["text"]["text"]
    assert "&lt;!channel&gt;" in confirm


@pytest.mark.parametrize("name", ["N" * 5000, "<&>" * 2000, "é" * 1000])
def test_long_names_stay_within_limits(name: str) -> None:
    """Very long names and applications are cut: sections within 3000, confirm texts within 300."""
    view = home_view([incident(i, name=name, application=name) for i in range(30)], now=NOW, notice="ok")
    assert_valid_home(view)
    for section in section_texts(view):
        assert re.search(r"&(?!amp;|lt;|gt;)", section) is None
    assert all(len(b["confirm"]["text"]["text"]) <= 300 for b in buttons(view, ActionId.HOME_RESOLVE))


def test_at_most_100_blocks() -> None:
    """The fullest Home (notice, count line, 20 incidents with urls) stays within 100 blocks."""
    incidents = many(500)
    urls = {i.id: f"https://acme.coralogix.com/#/incidents/{i.id}" for i in incidents}
    view = home_view(incidents, now=NOW, urls=urls, notice="done")
    assert_valid_home(view)
    assert len(view["blocks"]) <= 100
    assert len(buttons(view, ActionId.HOME_OPEN)) == HOME_LIMIT
