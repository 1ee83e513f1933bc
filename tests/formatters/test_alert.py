"""Tests for `bot.formatters.alert`: the alert message in every state, and its thread lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.api.models import IncidentSeverity
from bot.formatters.alert import COLOURS, RESOLVED_COLOUR, AlertState, alert_message, status_text, thread_text
from bot.formatters.common import SECTION_TEXT_LIMIT, Message
from bot.ids import ActionId, BlockId, Command
from bot.services.actions import Outcome
from bot.services.alert_model import CORALOGIX, ThreadLine
from bot.services.notifications import AlertNotification
from bot.store import AlertRecord, AlertStatus
from tests.formatters.blockkit import assert_block_valid, strings

USER = "U0123ABCD"
OTHER = "U0999WXYZ"
AT = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
STAMP = int(AT.timestamp())
URL = "https://team.coralogix.com/#/alerts/alert-1"
INCIDENT = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
EVIL = "<!channel> <https://evil|x> &"
DATE_TOKEN = re.compile(rf"<!date\^{STAMP}\^[^|<>]+\|2026-11-27 04:00 UTC>")
# Everything `<…>` the message may render itself: the actor's mention and date tokens.
ALLOWED_MARKUP = re.compile(rf"^<@{USER}>$|^<!date\^\d+\^[^|<>]+\|[^<>]+>$")


def notification(**fields: Any) -> AlertNotification:
    """A critical notification with a link, plus `fields` (None removes a key)."""
    body: dict[str, Any] = {
        "alert_id": "alert-1",
        "alert_name": "High latency",
        "severity": "critical",
        "alert_url": URL,
        **fields,
    }
    return AlertNotification.model_validate({k: v for k, v in body.items() if v is not None})


def unchecked(**fields: Any) -> AlertNotification:
    """A notification built without validation, to feed the formatter sizes the model itself would refuse."""
    return AlertNotification.model_construct(**{"alert_id": "alert-1", "alert_name": "n", **fields})


def blocks(message: Message) -> list[dict[str, Any]]:
    """The blocks of the message's one attachment."""
    assert message.blocks == []
    assert message.attachments is not None
    assert len(message.attachments) == 1
    result: list[dict[str, Any]] = message.attachments[0]["blocks"]
    return result


def block(message: Message, prefix: str) -> dict[str, Any] | None:
    """The block whose id starts with `prefix` (a BlockId), if any."""
    return next((b for b in blocks(message) if b["block_id"].startswith(f"{prefix}_")), None)


def status(message: Message) -> str:
    """The status line's text."""
    found = block(message, BlockId.ALERT_STATUS)
    assert found is not None
    text: str = found["elements"][0]["text"]
    return text


def buttons(message: Message) -> list[dict[str, Any]]:
    """The buttons of the actions block, or none."""
    found = block(message, BlockId.ALERT_ACTIONS)
    return [] if found is None else list(found["elements"])


def action_ids(message: Message) -> list[str]:
    """The action ids of the buttons, in order."""
    return [b["action_id"] for b in buttons(message)]


def everything(message: Message) -> str:
    """All text of the message: fallback, attachments and blocks."""
    return "\n".join([message.text, *strings(message.attachments), *strings(message.blocks)])


def assert_within_limits(message: Message) -> None:
    """Slack's Block Kit limits hold, and slack_sdk's models accept every block and everything in it."""
    found = blocks(message)
    assert 0 < len(found) <= 50
    block_ids = [b["block_id"] for b in found]
    assert len(block_ids) == len(set(block_ids))
    assert all(len(b) <= 255 for b in block_ids)
    for raw in found:
        if raw["type"] == "section":
            if "text" in raw:
                assert 0 < len(raw["text"]["text"]) <= SECTION_TEXT_LIMIT
            fields = raw.get("fields", [])
            assert len(fields) <= 10
            assert all(0 < len(f["text"]) <= 2000 for f in fields)
        elif raw["type"] == "context":
            assert len(raw["elements"]) <= 10
            assert all(0 < len(e["text"]) <= SECTION_TEXT_LIMIT for e in raw["elements"])
        elif raw["type"] == "actions":
            assert len(raw["elements"]) <= 25
            for button in raw["elements"]:
                assert button["text"]["type"] == "plain_text"
                assert 0 < len(button["text"]["text"]) <= 75
                assert len(button.get("value", "")) <= 2000
                assert len(button.get("url", "")) <= 3000
                if "confirm" in button:
                    assert button["confirm"]["title"]["type"] == "plain_text"
                    assert len(button["confirm"]["title"]["text"]) <= 100
                    assert len(button["confirm"]["text"]["text"]) <= 300
                    assert len(button["confirm"]["confirm"]["text"]) <= 30
                    assert len(button["confirm"]["deny"]["text"]) <= 30
        assert_block_valid(raw)


def state(**fields: Any) -> AlertState:
    """An alert state at the test's time."""
    return AlertState(**{"at": AT, **fields})


# -- triggered -------------------------------------------------------------------------------


def test_triggered_buttons_in_order() -> None:
    """A triggered alert offers Resolve (primary), Acknowledge, then Open in Coralogix."""
    message = alert_message(notification(), AlertState())
    assert action_ids(message) == [ActionId.RESOLVE, ActionId.ACKNOWLEDGE, ActionId.OPEN_IN_CORALOGIX]
    resolve, acknowledge, open_link = buttons(message)
    assert resolve["style"] == "primary"
    assert resolve["text"] == {"type": "plain_text", "text": "Resolve"}
    assert resolve["value"] == "alert-1"
    assert "style" not in acknowledge
    assert acknowledge["text"]["text"] == "Acknowledge"
    assert acknowledge["value"] == "alert-1"
    assert open_link["url"] == URL
    assert open_link["text"]["text"] == "Open in Coralogix"


def test_resolve_asks_for_confirmation() -> None:
    """The Resolve button opens a confirm dialog naming the alert; Acknowledge and Open do not."""
    resolve, acknowledge, open_link = buttons(alert_message(notification(), AlertState()))
    confirm = resolve["confirm"]
    assert confirm["title"] == {"type": "plain_text", "text": "Resolve this incident?"}
    assert "*High latency*" in confirm["text"]["text"]
    assert confirm["confirm"]["text"] == "Resolve"
    assert confirm["deny"]["text"] == "Cancel"
    assert "confirm" not in acknowledge
    assert "confirm" not in open_link


def test_triggered_status_line() -> None:
    """A triggered alert says nobody has acknowledged it yet."""
    assert status(alert_message(notification(), AlertState())) == ":rotating_light: Triggered · not acknowledged yet"


def test_head_shows_name_and_description() -> None:
    """The first block is the severity marker, the bold name and the description."""
    message = alert_message(notification(description="p99 above 2 s"), AlertState())
    head = blocks(message)[0]
    assert head["block_id"] == f"{BlockId.ALERT_HEAD}_0"
    assert head["text"]["text"] == ":red_circle: *High latency*\np99 above 2 s"


def test_fields_show_what_is_known() -> None:
    """Severity, application, subsystem, group-by, start time and incident id each get a field."""
    message = alert_message(
        notification(application="checkout", subsystem="payments", group_by={"host": "web-1"}, timestamp=STAMP),
        AlertState(incident_id=INCIDENT),
    )
    fields = block(message, BlockId.ALERT_FIELDS)
    assert fields is not None
    texts = [f["text"] for f in fields["fields"]]
    assert texts[:4] == [
        "*Severity*\ncritical",
        "*Application*\ncheckout",
        "*Subsystem*\npayments",
        "*Group by*\nhost=web-1",
    ]
    assert DATE_TOKEN.fullmatch(texts[4].removeprefix("*Started*\n"))
    assert texts[5] == f"*Incident*\n`{INCIDENT}`"


def test_fields_leave_out_what_is_unknown() -> None:
    """Without optional fields only the severity is shown, as a word when the notification has none."""
    message = alert_message(notification(severity=None), AlertState())
    fields = block(message, BlockId.ALERT_FIELDS)
    assert fields is not None
    assert [f["text"] for f in fields["fields"]] == ["*Severity*\nUnknown severity"]


def test_extras_shown_in_a_context_block() -> None:
    """Unknown fields are shown as `key: value`, at most six of them."""
    message = alert_message(notification(**{f"k{i}": f"v{i}" for i in range(8)}), AlertState())
    extra = block(message, BlockId.ALERT_EXTRA)
    assert extra is not None
    assert extra["elements"][0]["text"] == " · ".join(f"k{i}: v{i}" for i in range(6))


def test_no_extras_no_extras_block() -> None:
    """Without unknown fields there is no extras block."""
    assert block(alert_message(notification(), AlertState()), BlockId.ALERT_EXTRA) is None


def test_block_order() -> None:
    """Head, fields, extras, status, actions: in that order."""
    message = alert_message(notification(team="payments"), AlertState())
    assert [b["block_id"] for b in blocks(message)] == [
        f"{BlockId.ALERT_HEAD}_0",
        f"{BlockId.ALERT_FIELDS}_0",
        f"{BlockId.ALERT_EXTRA}_0",
        f"{BlockId.ALERT_STATUS}_0",
        f"{BlockId.ALERT_ACTIONS}_0",
    ]


# -- acknowledged ----------------------------------------------------------------------------


def test_acknowledged_offers_resolve_and_open() -> None:
    """Once acknowledged, only Resolve (still confirmed) and Open in Coralogix remain."""
    message = alert_message(notification(), state(status=AlertStatus.ACKNOWLEDGED, by=USER, via="button"))
    assert action_ids(message) == [ActionId.RESOLVE, ActionId.OPEN_IN_CORALOGIX]
    assert "confirm" in buttons(message)[0]


def test_acknowledged_status_line() -> None:
    """The status line names who acknowledged, with a date token."""
    text = status(alert_message(notification(), state(status=AlertStatus.ACKNOWLEDGED, by=USER, via="button")))
    assert text.startswith(f":eyes: Acknowledged by <@{USER}> · ")
    assert DATE_TOKEN.search(text)


def test_acknowledged_from_the_thread() -> None:
    """An acknowledgement written in the thread says so."""
    text = status(alert_message(notification(), state(status=AlertStatus.ACKNOWLEDGED, by=USER, via="thread")))
    assert f"Acknowledged by <@{USER}> from the thread · " in text


# -- pending ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "word"),
    [("resolve", "Resolving"), ("acknowledge", "Acknowledging"), ("something", "Working")],
)
@pytest.mark.parametrize("current", [AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED])
def test_pending_status_line(action: str, word: str, current: AlertStatus) -> None:
    """While an action is in flight the status line names it and who asked, whatever the status."""
    text = status(alert_message(notification(), state(status=current, pending_action=action, pending_by=OTHER)))
    assert text == f":hourglass_flowing_sand: {word}… (<@{OTHER}>)"


@pytest.mark.parametrize("action", ["resolve", "acknowledge"])
@pytest.mark.parametrize("current", [AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED])
def test_pending_has_no_action_buttons(action: str, current: AlertStatus) -> None:
    """While an action is in flight nothing can be pressed twice: only the link remains."""
    message = alert_message(notification(), state(status=current, pending_action=action, pending_by=OTHER))
    assert action_ids(message) == [ActionId.OPEN_IN_CORALOGIX]


def test_pending_without_url_has_no_actions_block() -> None:
    """In flight and without a link, there is no actions block at all."""
    message = alert_message(notification(alert_url=None), state(pending_action="resolve", pending_by=OTHER))
    assert block(message, BlockId.ALERT_ACTIONS) is None


# -- resolved --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("via", "words"),
    [
        ("button", f"Resolved by <@{USER}> · "),
        ("command", f"Resolved by <@{USER}> via {Command.RESOLVE_INCIDENT.value} · "),
        ("shortcut", f"Resolved by <@{USER}> via the message shortcut · "),
        ("thread", f"Resolved by <@{USER}> from the thread · "),
        ("home", f"Resolved by <@{USER}> from the App Home · "),
        ("picker", f"Resolved by <@{USER}> via the picker · "),
        (None, f"Resolved by <@{USER}> · "),
        ("unknown-surface", f"Resolved by <@{USER}> · "),
    ],
)
def test_resolved_by_a_user(via: str | None, words: str) -> None:
    """A resolve by a user names them and the surface they used, with a date token."""
    text = status(alert_message(notification(), state(status=AlertStatus.RESOLVED, by=USER, via=via)))
    assert text.startswith(f":white_check_mark: {words}")
    assert DATE_TOKEN.search(text)


@pytest.mark.parametrize("via", ["button", "command", "shortcut", "coralogix"])
def test_resolved_has_no_action_buttons(via: str) -> None:
    """A resolved alert offers no Resolve or Acknowledge, only the link."""
    by = None if via == "coralogix" else USER
    message = alert_message(notification(), state(status=AlertStatus.RESOLVED, by=by, via=via))
    assert action_ids(message) == [ActionId.OPEN_IN_CORALOGIX]


def test_resolved_in_coralogix() -> None:
    """Resolved with no user means Coralogix resolved it; no mention is rendered."""
    message = alert_message(notification(), state(status=AlertStatus.RESOLVED, via="coralogix"))
    text = status(message)
    assert text.startswith(":white_check_mark: Resolved in Coralogix · ")
    assert DATE_TOKEN.search(text)
    assert "<@" not in everything(message)


def test_resolved_without_time_has_no_date_token() -> None:
    """Without a time the status line carries no date token."""
    text = status(alert_message(notification(), AlertState(status=AlertStatus.RESOLVED)))
    assert text == ":white_check_mark: Resolved in Coralogix"


def test_resolved_without_url_has_no_actions_block() -> None:
    """Resolved and without a link there is no actions block at all."""
    message = alert_message(notification(alert_url=None), state(status=AlertStatus.RESOLVED, by=USER))
    assert block(message, BlockId.ALERT_ACTIONS) is None


# -- the link --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [None, "", "$ALERT_URL"])
def test_no_url_no_open_button(url: str | None) -> None:
    """Without an alert URL there is no Open in Coralogix button."""
    message = alert_message(notification(alert_url=url), AlertState())
    assert action_ids(message) == [ActionId.RESOLVE, ActionId.ACKNOWLEDGE]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://example.com/x",
        "team.coralogix.com/#/alerts/1",
        "https://example.com/a b",
        "https://example.com/a|b",
        "https://example.com/\x1b[31m",
    ],
)
def test_unsafe_url_no_open_button(url: str) -> None:
    """A javascript:, data:, other-scheme, scheme-less, spaced, `|` or control-character URL never becomes a button."""
    message = alert_message(notification(alert_url=url), AlertState())
    assert action_ids(message) == [ActionId.RESOLVE, ActionId.ACKNOWLEDGE]
    assert url not in everything(message)


# -- colour, fallback, block ids -------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("critical", IncidentSeverity.CRITICAL),
        ("error", IncidentSeverity.ERROR),
        ("warning", IncidentSeverity.WARNING),
        ("info", IncidentSeverity.INFO),
        ("low", IncidentSeverity.LOW),
    ],
)
def test_colour_by_severity(word: str, severity: IncidentSeverity) -> None:
    """The attachment's colour follows the severity while the alert is open."""
    for current in (AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED):
        message = alert_message(notification(severity=word), state(status=current, by=USER))
        assert message.attachments is not None
        assert message.attachments[0]["color"] == COLOURS[severity]


def test_severity_colours_are_distinct() -> None:
    """Every severity has its own colour, and none is the resolved green."""
    colours = [COLOURS[s] for s in COLOURS if s is not None]
    assert len(set(colours)) == len(colours)
    assert RESOLVED_COLOUR not in colours


def test_unknown_severity_colour_is_grey() -> None:
    """An unknown severity gets a neutral grey."""
    message = alert_message(notification(severity="catastrophic"), AlertState())
    assert message.attachments is not None
    assert message.attachments[0]["color"] == "#9E9E9E"


@pytest.mark.parametrize("word", ["critical", "low", None])
def test_resolved_is_green(word: str | None) -> None:
    """A resolved alert is green whatever its severity."""
    message = alert_message(notification(severity=word), state(status=AlertStatus.RESOLVED))
    assert message.attachments is not None
    assert message.attachments[0]["color"] == RESOLVED_COLOUR


@pytest.mark.parametrize(
    ("current", "word"),
    [
        (AlertStatus.TRIGGERED, "triggered"),
        (AlertStatus.ACKNOWLEDGED, "acknowledged"),
        (AlertStatus.RESOLVED, "resolved"),
    ],
)
def test_fallback_text(current: AlertStatus, word: str) -> None:
    """Both the top-level text and the attachment fallback say severity, name and status."""
    message = alert_message(notification(), state(status=current, by=USER))
    assert message.text == f"Critical alert: High latency ({word})"
    assert message.attachments is not None
    assert message.attachments[0]["fallback"] == message.text


def test_block_ids_carry_the_version() -> None:
    """Every block id ends with the record's version."""
    message = alert_message(notification(team="payments"), AlertState(version=7))
    assert all(b["block_id"].endswith("_7") for b in blocks(message))


def test_block_ids_differ_between_versions() -> None:
    """Two versions of the same alert share no block id, so Slack redraws every block."""
    first = {b["block_id"] for b in blocks(alert_message(notification(team="x"), AlertState(version=1)))}
    second = {b["block_id"] for b in blocks(alert_message(notification(team="x"), AlertState(version=2)))}
    assert len(first) == 5
    assert first.isdisjoint(second)


def test_state_of_a_record() -> None:
    """`AlertState.of` copies status, actor, surface, time, pending action, incident and version."""
    record = AlertRecord(
        id=1,
        channel="C1",
        ts="1700000000.000100",
        alert_id="alert-1",
        incident_id=INCIDENT,
        notification={},
        status=AlertStatus.ACKNOWLEDGED,
        status_by=USER,
        status_via="thread",
        status_at=AT,
        pending_action="resolve",
        pending_by=OTHER,
        pending_since=AT,
        version=3,
        created_at=AT,
    )
    assert AlertState.of(record) == AlertState(
        AlertStatus.ACKNOWLEDGED, USER, "thread", AT, "resolve", OTHER, INCIDENT, 3
    )


# -- escaping --------------------------------------------------------------------------------


def hostile() -> AlertNotification:
    """A notification whose every free text tries to ping the channel or hide a link."""
    return notification(
        alert_name=EVIL,
        description=EVIL,
        severity=EVIL,
        application=EVIL,
        subsystem=EVIL,
        group_by={EVIL: EVIL},
        **{"<!here>": EVIL, "x": "<@U999> <#C123> <!subteam^S1>"},
    )


ALL_STATES = [
    AlertState(),
    state(status=AlertStatus.ACKNOWLEDGED, by=USER, via="button", incident_id=INCIDENT),
    state(pending_action="resolve", pending_by=USER),
    state(status=AlertStatus.RESOLVED, by=USER, via="command"),
    state(status=AlertStatus.RESOLVED, via="coralogix"),
]


@pytest.mark.parametrize("current", ALL_STATES)
def test_outside_text_is_escaped(current: AlertState) -> None:
    """Names, descriptions, labels and unknown fields never yield a ping or a disguised link."""
    message = alert_message(hostile(), current)
    rendered = everything(message)
    for bad in ("<!channel>", "<https://evil", "<!here>", "<@U999>", "<#C123>", "<!subteam"):
        assert bad not in rendered
    assert "&lt;!channel&gt; &lt;https://evil|x&gt; &amp;" in rendered
    markup = re.findall(r"<[^<>]*>", rendered)
    assert all(ALLOWED_MARKUP.match(m) for m in markup), sorted(set(markup))


def test_escaped_name_in_head_confirm_and_fallback() -> None:
    """The name is escaped in the head, the confirm dialog and the fallback text alike."""
    message = alert_message(notification(alert_name=EVIL), AlertState())
    escaped = "&lt;!channel&gt; &lt;https://evil|x&gt; &amp;"
    assert f"*{escaped}*" in blocks(message)[0]["text"]["text"]
    assert f"*{escaped}*" in buttons(message)[0]["confirm"]["text"]["text"]
    assert escaped in message.text


def test_hostile_actor_id_is_escaped() -> None:
    """Even a user id is escaped before it is wrapped in a mention."""
    text = status(alert_message(notification(), state(status=AlertStatus.RESOLVED, by="U1><!channel")))
    assert "<!channel>" not in text
    assert "<@U1&gt;&lt;!channel>" in text


def test_incident_id_is_escaped() -> None:
    """The incident field escapes what it shows."""
    message = alert_message(notification(), AlertState(incident_id="<!here>"))
    assert "<!here>" not in everything(message)


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("current", ALL_STATES)
def test_valid_block_kit_in_every_state(current: AlertState) -> None:
    """An ordinary alert validates with slack_sdk in every state."""
    message = alert_message(
        notification(description="d", application="a", subsystem="s", group_by="g", timestamp=STAMP, team="t"),
        current,
    )
    assert_within_limits(message)


@pytest.mark.parametrize("filler", ["x", "<&>", "&"])
@pytest.mark.parametrize("current", ALL_STATES)
def test_limits_with_huge_inputs(filler: str, current: AlertState) -> None:
    """5 000-character name, description and labels and 30 extra fields, even of characters that grow when
    escaped, stay within every Block Kit limit."""
    big = (filler * 5000)[:5000]
    message = alert_message(
        unchecked(
            alert_id="a" * 255,
            alert_name=big,
            description=big,
            severity=big,
            application=big,
            subsystem=big,
            group_by=big,
            alert_url="https://x.example/" + "p" * 2900,
            **{f"{filler * 100}{i}": big for i in range(30)},
        ),
        current,
    )
    assert_within_limits(message)
    assert 0 < len(message.text) <= 4000


def test_huge_inputs_are_cut_not_dropped() -> None:
    """A 5 000-character name and description are shortened with an ellipsis, not left out."""
    message = alert_message(unchecked(alert_name="N" * 5000, description="D" * 5000), AlertState())
    head = blocks(message)[0]["text"]["text"]
    assert "N" * 150 in head
    assert "D" * 1500 in head
    assert "…" in head


def test_many_extras_are_capped() -> None:
    """With 30 unknown fields only the first six are shown."""
    message = alert_message(notification(**{f"field{i:02d}": "v" for i in range(30)}), AlertState())
    extra = block(message, BlockId.ALERT_EXTRA)
    assert extra is not None
    text = extra["elements"][0]["text"]
    assert "field05: v" in text
    assert "field06" not in text


def test_long_escaped_name_not_cut_mid_escape() -> None:
    """Cutting a long name of `&` never leaves half an escape sequence."""
    message = alert_message(unchecked(alert_name="&" * 5000), AlertState())
    for text in (blocks(message)[0]["text"]["text"], buttons(message)[0]["confirm"]["text"]["text"]):
        assert re.search(r"&(?!amp;|lt;|gt;)", text) is None


# -- status_text -----------------------------------------------------------------------------


def test_acknowledged_without_actor_reads_as_triggered() -> None:
    """An acknowledged state with nobody named falls back to the triggered line."""
    assert (
        status_text(AlertState(status=AlertStatus.ACKNOWLEDGED)) == ":rotating_light: Triggered · not acknowledged yet"
    )


# -- thread_text -----------------------------------------------------------------------------


LINE_OUTCOMES = [Outcome.RESOLVED, Outcome.ACKNOWLEDGED, Outcome.FAILED]


def line(kind: Outcome, **fields: Any) -> str:
    """The thread text of one line at the test's time."""
    return thread_text(ThreadLine(kind, at=AT, **fields))


def test_thread_resolved() -> None:
    """A resolve line names who, the surface, the time and the note."""
    text = line(Outcome.RESOLVED, user=USER, via="command", note="rolled back")
    assert text.startswith(f":white_check_mark: Resolved by <@{USER}> via {Command.RESOLVE_INCIDENT.value} · ")
    assert DATE_TOKEN.search(text)
    assert text.endswith(" · Note: rolled back")


def test_thread_resolved_with_detail() -> None:
    """A resolve line shows what Coralogix said, such as "already resolved"."""
    text = line(Outcome.RESOLVED, user=USER, via="button", detail="it was already resolved in Coralogix")
    assert text.startswith(f":white_check_mark: Resolved by <@{USER}> · ")
    assert " · it was already resolved in Coralogix" in text


def test_thread_acknowledged() -> None:
    """An acknowledge line names who, the surface, the time and the note."""
    text = line(Outcome.ACKNOWLEDGED, user=USER, via="thread", note="looking")
    assert text.startswith(f":eyes: Acknowledged by <@{USER}> from the thread · ")
    assert DATE_TOKEN.search(text)
    assert text.endswith(" · Note: looking")


def test_thread_resolved_in_coralogix() -> None:
    """Resolved in Coralogix names no user."""
    text = line(Outcome.RESOLVED, via=CORALOGIX)
    assert text.startswith(":white_check_mark: Resolved in Coralogix · ")
    assert DATE_TOKEN.search(text)
    assert "<@" not in text


def test_thread_failed_shows_error_id() -> None:
    """A failure names who tried what, why, the error id and the time."""
    text = line(Outcome.FAILED, user=USER, detail="resolve: Coralogix said no", error_id="E-7f3a")
    assert text.startswith(f":warning: <@{USER}> tried to resolve: Coralogix said no (error id `E-7f3a`) · ")
    assert DATE_TOKEN.search(text)


def test_thread_failed_without_error_id_or_detail() -> None:
    """A failure with nothing more to say still reads as a sentence."""
    text = line(Outcome.FAILED, user=USER)
    assert text.startswith(f":warning: <@{USER}> tried to act · ")
    assert "error id" not in text


def test_thread_without_user_says_someone() -> None:
    """A line with no user says "Someone" instead of an empty mention."""
    assert line(Outcome.RESOLVED).startswith(":white_check_mark: Resolved by Someone · ")


@pytest.mark.parametrize("kind", LINE_OUTCOMES)
def test_every_thread_line_is_escaped(kind: Outcome) -> None:
    """Notes, details and error ids from outside never ping or link, whatever the kind."""
    text = line(kind, user=USER, via="button", note=EVIL, detail=EVIL, error_id=EVIL)
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    markup = re.findall(r"<[^<>]*>", text)
    assert all(ALLOWED_MARKUP.match(m) for m in markup), markup


@pytest.mark.parametrize("kind", LINE_OUTCOMES)
def test_every_thread_line_has_a_date_token(kind: Outcome) -> None:
    """Every line about an event says when it happened, in the reader's time zone."""
    assert DATE_TOKEN.search(line(kind, user=USER, detail="resolve: x"))


def test_thread_note_escaped_and_cut() -> None:
    """A long hostile note is escaped and shortened."""
    text = line(Outcome.RESOLVED, user=USER, note="<!here>" * 200)
    assert "<!here>" not in text
    assert "&lt;!here&gt;" in text
    assert "…" in text
