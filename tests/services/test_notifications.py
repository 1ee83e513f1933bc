"""Tests for `bot.services.notifications`: how the bot reads an alert notification from Coralogix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bot.api.models import IncidentSeverity
from bot.services.notifications import AlertAction, AlertNotification

INCIDENT = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
STAMP = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def read(**fields: Any) -> AlertNotification:
    """A notification with a valid alert id and name plus `fields` (None removes a key)."""
    body: dict[str, Any] = {"alert_id": "alert-1", "alert_name": "High latency", **fields}
    return AlertNotification.model_validate({k: v for k, v in body.items() if v is not None})


# -- alert_action ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["trigger", "triggered", "TRIGGERED", "Triggered", "firing", " firing "])
def test_trigger_spellings(word: str) -> None:
    """Every spelling of "it fired" reads as TRIGGER, whatever its case or padding."""
    assert read(alert_action=word).alert_action is AlertAction.TRIGGER


@pytest.mark.parametrize("word", ["resolve", "resolved", "RESOLVED", "ok", "OK"])
def test_resolve_spellings(word: str) -> None:
    """Every spelling of "it ended" reads as RESOLVE, whatever its case."""
    assert read(alert_action=word).alert_action is AlertAction.RESOLVE


@pytest.mark.parametrize("fields", [{}, {"alert_action": ""}, {"alert_action": None}])
def test_action_defaults_to_trigger(fields: dict[str, Any]) -> None:
    """A missing or empty alert_action means the alert fired."""
    assert read(**fields).alert_action is AlertAction.TRIGGER


@pytest.mark.parametrize("word", ["explode", "maybe", "$ALERT_ACTION_X", "42"])
def test_unknown_action_is_an_error(word: str) -> None:
    """An alert_action the bot does not know is refused, naming the field."""
    with pytest.raises(ValidationError, match="alert_action"):
        read(alert_action=word)


# -- required fields -------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["alert_id", "alert_name"])
def test_required_field_missing_is_an_error(missing: str) -> None:
    """A notification without an alert id or name is refused, naming the field."""
    body = {"alert_id": "alert-1", "alert_name": "High latency"}
    del body[missing]
    with pytest.raises(ValidationError, match=missing):
        AlertNotification.model_validate(body)


@pytest.mark.parametrize("field", ["alert_id", "alert_name"])
@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "$ALERT_UNIQUE_IDENTIFIER",
        "$ALERT_NAME",
        "$alert_id",
        "${alert.id}",
        "{{ alertDef.id }}",
        "{{alert.id}}",
        "{{ alertDef.id | json_encode() }}",
        "{% if x %}{% endif %}",
        "NaN",
        "nan",
        float("nan"),
        "null",
        "undefined",
        "None",
    ],
)
def test_required_field_blank_or_placeholder_is_an_error(field: str, value: Any) -> None:
    """An empty alert id or name, or a template variable left unreplaced in any syntax, is refused naming the field."""
    with pytest.raises(ValidationError, match=field):
        read(**{field: value})


@pytest.mark.parametrize("alert_id", ["{{ alertDef.id }}", "null", "$alert_id"])
def test_a_stored_notification_reads_back_whatever_it_was_accepted_with(alert_id: str) -> None:
    """Messages posted before a placeholder syntax was refused can still be re-rendered from the store."""
    stored = read(alert_id="alert-1").model_dump(mode="json") | {"alert_id": alert_id}
    assert AlertNotification.stored(stored).alert_id == alert_id


@pytest.mark.parametrize("value", ["Disk {{ almost }} full", "$5 over budget", "NaN values in metric", "{{"])
def test_text_that_merely_contains_template_syntax_is_kept(value: str) -> None:
    """Only a whole-field placeholder is refused; a name with braces or a dollar inside is a real name."""
    assert read(alert_name=value).alert_name == value


def test_name_starting_with_a_dollar_is_kept() -> None:
    """A real name that merely starts with `$` is not mistaken for a placeholder."""
    assert read(alert_name="$ spend above budget").alert_name == "$ spend above budget"


@pytest.mark.parametrize(("value", "text"), [(12345, "12345"), (7.5, "7.5")])
def test_numeric_alert_id_accepted_as_text(value: int | float, text: str) -> None:
    """A numeric alert id (templates may send one unquoted) becomes text."""
    assert read(alert_id=value).alert_id == text


def test_numeric_alert_name_accepted_as_text() -> None:
    """A numeric alert name becomes text too."""
    assert read(alert_name=404).alert_name == "404"


def test_whitespace_is_stripped() -> None:
    """Padding around known text fields is dropped."""
    notification = read(alert_id="  alert-1 ", alert_name="\tHigh latency\n", application=" checkout ")
    assert (notification.alert_id, notification.alert_name, notification.application) == (
        "alert-1",
        "High latency",
        "checkout",
    )


# -- optional text fields --------------------------------------------------------------------

OPTIONAL = ["severity", "description", "alert_url", "application", "subsystem", "alert_version_id"]


@pytest.mark.parametrize("field", OPTIONAL)
@pytest.mark.parametrize(
    "value", ["", "   ", "$PLACEHOLDER", "$APPLICATION_NAME", "{{ alert.url }}", "{{alertDef.description}}", "NaN"]
)
def test_blank_or_placeholder_optional_field_is_absent(field: str, value: str) -> None:
    """An empty or unreplaced template variable in an optional field reads as not given."""
    assert getattr(read(**{field: value}), field) is None


@pytest.mark.parametrize("field", OPTIONAL)
def test_optional_field_kept(field: str) -> None:
    """A given optional field keeps its text."""
    assert getattr(read(**{field: "value-1"}), field) == "value-1"


def test_numeric_optional_field_becomes_text() -> None:
    """A number in an optional text field (e.g. a numeric version id) becomes text."""
    assert read(alert_version_id=42).alert_version_id == "42"


def test_alert_ids_lists_both_ids_once() -> None:
    """`alert_ids` holds the alert id and the version id, without duplicates."""
    assert read(alert_version_id="v-9").alert_ids == ["alert-1", "v-9"]
    assert read(alert_version_id="alert-1").alert_ids == ["alert-1"]
    assert read().alert_ids == ["alert-1"]


# -- severity --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("critical", IncidentSeverity.CRITICAL),
        ("CRITICAL", IncidentSeverity.CRITICAL),
        ("error", IncidentSeverity.ERROR),
        ("Warning", IncidentSeverity.WARNING),
        ("info", IncidentSeverity.INFO),
        ("low", IncidentSeverity.LOW),
        ("P1", IncidentSeverity.CRITICAL),
        ("p2", IncidentSeverity.ERROR),
        ("P3", IncidentSeverity.WARNING),
        ("P4", IncidentSeverity.INFO),
        ("P5", IncidentSeverity.LOW),
        (" critical ", IncidentSeverity.CRITICAL),
    ],
)
def test_severity_words(word: str, severity: IncidentSeverity) -> None:
    """Severity words and P1 to P5 map onto Coralogix's severities; the original text is kept."""
    notification = read(severity=word)
    assert notification.incident_severity is severity
    assert notification.severity == word.strip()


@pytest.mark.parametrize("word", [None, "", "$EVENT_SEVERITY", "catastrophic", "P6"])
def test_unknown_severity_is_none(word: str | None) -> None:
    """A missing, placeholder or unknown severity maps to no severity, without refusing the notification."""
    assert read(severity=word).incident_severity is None


# -- timestamp -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20+00:00",
        "2023-11-14T23:13:20+01:00",
        1700000000,
        "1700000000",
        1700000000.0,
        1700000000000,
        "1700000000000",
    ],
)
def test_timestamp_forms(value: Any) -> None:
    """ISO strings, epoch seconds and epoch milliseconds (numbers or digit strings) all read as the same instant."""
    assert read(timestamp=value).timestamp == STAMP


def test_timestamp_milliseconds_keep_their_fraction() -> None:
    """Epoch milliseconds keep the sub-second part."""
    stamp = read(timestamp=1700000000123).timestamp
    assert stamp is not None
    assert stamp.microsecond == 123000
    assert stamp.tzinfo is not None


def test_epoch_timestamps_are_utc() -> None:
    """An epoch timestamp becomes an aware UTC datetime."""
    stamp = read(timestamp=1700000000).timestamp
    assert stamp is not None
    assert stamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [None, "", "  ", "$EVENT_TIMESTAMP_ISO"])
def test_absent_timestamp(value: str | None) -> None:
    """A missing, empty or placeholder timestamp is None."""
    assert read(timestamp=value).timestamp is None


@pytest.mark.parametrize(
    "value",
    [
        1e300,
        -1e18,
        -1,
        "1e300",
        "-1e18",
        "-1",
        10**400,
        "9" * 400,
        float("inf"),
        float("nan"),
        True,
        253_402_300_800_000,
    ],
    ids=[
        "1e300",
        "-1e18",
        "-1",
        "1e300-text",
        "-1e18-text",
        "-1-text",
        "400-digits",
        "400-digits-text",
        "inf",
        "nan",
        "bool",
        "past-9999",
    ],
)
def test_out_of_range_timestamp_is_refused_naming_the_field(value: Any) -> None:
    """Epoch numbers before 1970 or past year 9999, infinite or not numbers at all are refused, never a crash."""
    with pytest.raises(ValidationError, match="timestamp"):
        read(timestamp=value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, datetime(1970, 1, 1, tzinfo=UTC)), (253_402_300_799_000, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))],
)
def test_timestamps_at_the_edges_of_the_range_are_kept(value: int, expected: datetime) -> None:
    """The first second of 1970 and the last of 9999 (in milliseconds, as epochs past 1e11 are read) still count."""
    assert read(timestamp=value).timestamp == expected


def test_unparseable_timestamp_is_an_error() -> None:
    """A timestamp that is neither ISO nor epoch is refused, naming the field."""
    with pytest.raises(ValidationError, match="timestamp"):
        read(timestamp="yesterday-ish")


# -- incident_id -----------------------------------------------------------------------------


def test_incident_id_kept() -> None:
    """A valid incident id is kept."""
    assert read(incident_id=INCIDENT).incident_id == INCIDENT


def test_incident_id_normalised() -> None:
    """An uppercase or padded incident id is lower-cased and stripped."""
    assert read(incident_id=f"  {INCIDENT.upper()} ").incident_id == INCIDENT


@pytest.mark.parametrize("value", [None, "", "   ", "$INCIDENT_ID", "$X"])
def test_absent_incident_id(value: str | None) -> None:
    """A missing, empty or unreplaced `$X` incident id is None."""
    assert read(incident_id=value).incident_id is None


@pytest.mark.parametrize("value", ["not-an-id", INCIDENT[:-1], INCIDENT + "0", f"{INCIDENT} {INCIDENT}", 12345])
def test_bad_incident_id_is_an_error(value: Any) -> None:
    """Anything else than one incident id is refused, naming the field."""
    with pytest.raises(ValidationError, match="incident_id"):
        read(incident_id=value)


# -- group_by --------------------------------------------------------------------------------


def test_group_by_dict() -> None:
    """A group-by object reads as `key=value` pairs in order."""
    assert read(group_by={"host": "web-1", "region": "eu"}).group_by == "host=web-1, region=eu"


def test_group_by_list() -> None:
    """A group-by list reads as its values joined."""
    assert read(group_by=["web-1", "eu", 3]).group_by == "web-1, eu, 3"


def test_group_by_string() -> None:
    """A group-by string is kept as it is."""
    assert read(group_by="host:web-1").group_by == "host:web-1"


@pytest.mark.parametrize("value", ["", "  ", "$ALERT_GROUP_BY_VALUES"])
def test_group_by_absent(value: str) -> None:
    """An empty or placeholder group-by is None."""
    assert read(group_by=value).group_by is None


@pytest.mark.parametrize("value", [{}, []])
def test_empty_group_by_collection_is_falsy(value: Any) -> None:
    """An empty group-by object or list leaves nothing to show."""
    assert not read(group_by=value).group_by


# -- extras ----------------------------------------------------------------------------------


def test_extras_keep_unknown_fields_as_text() -> None:
    """Fields the bot does not know are kept, in order, as text."""
    notification = read(team="payments", count=3, ratio=0.5, flag=True, nested={"a": 1}, items=[1, 2])
    assert notification.extras == {
        "team": "payments",
        "count": "3",
        "ratio": "0.5",
        "flag": "True",
        "nested": "{'a': 1}",
        "items": "[1, 2]",
    }


def test_extras_skip_empty_values() -> None:
    """Unknown fields that are null or empty are left out."""
    assert read(team="payments", empty="", nothing=None).extras == {"team": "payments"}


def test_known_fields_are_not_extras() -> None:
    """Known fields never show up among the extras."""
    notification = read(severity="P1", description="d", application="a", subsystem="s", group_by="g")
    assert notification.extras == {}


def test_extras_do_not_drive_decisions() -> None:
    """An unknown field named like a setting changes nothing the bot decides on."""
    notification = read(status="resolved", action="resolve", url="https://evil.example")
    assert notification.alert_action is AlertAction.TRIGGER
    assert notification.alert_url is None
    assert set(notification.extras) == {"status", "action", "url"}


# -- storage round trip ----------------------------------------------------------------------


def test_round_trips_through_its_json_dump() -> None:
    """What the store keeps (the JSON dump) reads back as the same notification, extras included."""
    notification = read(
        alert_version_id="v-1",
        alert_action="resolved",
        severity="P2",
        description="d",
        alert_url="https://x.example/a",
        application="app",
        subsystem="sub",
        timestamp=1700000000,
        incident_id=INCIDENT.upper(),
        channel="C123",
        group_by={"host": "web-1"},
        team="payments",
    )
    again = AlertNotification.model_validate(notification.model_dump(mode="json"))
    assert again == notification
    assert again.extras == {"team": "payments"}


def test_text_starting_with_a_dollar_is_kept() -> None:
    """Only whole unreplaced placeholders count as absent: a description like "$5 over budget" is kept."""
    note = AlertNotification.model_validate({"alert_id": "a", "alert_name": "b", "description": "$5 over budget"})
    assert note.description == "$5 over budget"


def test_channel_must_be_an_id() -> None:
    """A channel id is kept; a #name is refused (messages are found again by channel id)."""
    base = {"alert_id": "a", "alert_name": "b"}
    assert AlertNotification.model_validate({**base, "channel": "C0ALERTS1"}).channel == "C0ALERTS1"
    with pytest.raises(ValidationError, match="channel id"):
        AlertNotification.model_validate({**base, "channel": "#alerts"})
