"""Tests for `bot.parsing`: what users type after `/resolve-incident`."""

from __future__ import annotations

import pytest

from bot.parsing import MAX_IDS_PER_COMMAND, ParsedIds, is_incident_id, parse_incident_ids
from tests.factories import uuid

A = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
C = "deadbeef-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    "text",
    [
        f"{A} {B} {C}",
        f"{A},{B},{C}",
        f"{A}, {B} ,{C}",
        f"{A}\n{B}\n{C}",
        f"{A};{B}; {C}",
        f"  {A}\t{B}\r\n{C}  ",
        f"{A},;\n {B}\n\n{C},",
    ],
)
def test_separators(text: str) -> None:
    """Spaces, commas, semicolons, tabs and newlines, in any mix, all separate ids."""
    parsed = parse_incident_ids(text)
    assert parsed.ids == [A, B, C]
    assert parsed.invalid == []
    assert not parsed.is_help


def test_plain_link() -> None:
    """A pasted Coralogix link yields the id inside it."""
    parsed = parse_incident_ids(f"https://team.coralogix.com/#/incidents/{A}?tab=details")
    assert parsed.ids == [A]
    assert parsed.invalid == []


def test_slack_wrapped_link_with_label() -> None:
    """A link Slack delivered as `<url|label with spaces>` yields its id; the label's words are not tokens."""
    text = f"<https://x.coralogix.com/#/incidents/{A}|label with spaces> {B}"
    parsed = parse_incident_ids(text)
    assert parsed.ids == [A, B]
    assert parsed.invalid == []


def test_slack_wrapped_link_without_label() -> None:
    """A link Slack delivered as `<url>` yields its id."""
    parsed = parse_incident_ids(f"<https://x.coralogix.com/#/incidents/{A}>")
    assert parsed.ids == [A]


def test_link_without_scheme_on_coralogix_host() -> None:
    """A Coralogix link pasted without `https://` still yields its id."""
    parsed = parse_incident_ids(f"team.coralogix.com/#/incidents/{A}")
    assert parsed.ids == [A]


def test_link_and_bare_id_mixed() -> None:
    """Links and bare ids in one message keep their order."""
    parsed = parse_incident_ids(f"{B}, <https://x.coralogix.com/#/incidents/{A}|open> {C}")
    assert parsed.ids == [B, A, C]


def test_duplicates_dropped_keeping_first_order() -> None:
    """A repeated id is kept once, at its first position."""
    parsed = parse_incident_ids(f"{B} {A} {B} {C} {A}")
    assert parsed.ids == [B, A, C]


def test_duplicate_via_link_and_bare_id() -> None:
    """The same id given bare and inside a link counts once."""
    parsed = parse_incident_ids(f"{A} https://x.coralogix.com/#/incidents/{A}")
    assert parsed.ids == [A]


def test_case_folded() -> None:
    """Ids are lower-cased, so upper- and lower-case copies are the same id."""
    parsed = parse_incident_ids(f"{A.upper()} {A} {B.upper()}")
    assert parsed.ids == [A, B]


def test_case_folded_inside_link() -> None:
    """An upper-case id inside a link is lower-cased too."""
    parsed = parse_incident_ids(f"<https://x.coralogix.com/#/incidents/{A.upper()}|x>")
    assert parsed.ids == [A]


def test_invalid_tokens_collected() -> None:
    """Tokens that are not ids are collected in order, and valid ids are still returned."""
    parsed = parse_incident_ids(f"foo {A} 12345 {B[:-1]}")
    assert parsed.ids == [A]
    assert parsed.invalid == ["foo", "12345", B[:-1]]


def test_invalid_tokens_deduplicated() -> None:
    """An invalid token given twice is reported once."""
    parsed = parse_incident_ids(f"foo bar foo {A} bar")
    assert parsed.invalid == ["foo", "bar"]


def test_only_invalid_tokens() -> None:
    """Text with no id yields no ids and every bad token."""
    parsed = parse_incident_ids("please resolve everything")
    assert parsed.ids == []
    assert parsed.invalid == ["please", "resolve", "everything"]


def test_uuid_with_extra_characters_is_invalid() -> None:
    """An id glued to other characters, outside a link, is not an id."""
    parsed = parse_incident_ids(f"{A}x id={B}")
    assert parsed.ids == []
    assert parsed.invalid == [f"{A}x", f"id={B}"]


@pytest.mark.parametrize(
    "link",
    [
        "https://x.coralogix.com/#/incidents/",
        "<https://x.coralogix.com/#/incidents|Incidents>",
        "https://example.com/not-an-incident",
    ],
)
def test_link_without_id_is_invalid(link: str) -> None:
    """A link that contains no id is an invalid token, not an empty success."""
    parsed = parse_incident_ids(link)
    assert parsed.ids == []
    assert len(parsed.invalid) == 1
    assert parsed.invalid[0].startswith("https://")


@pytest.mark.parametrize("text", ["help", "HELP", "Help", "--help", "  help  ", "-h", "?", "usage"])
def test_help_words(text: str) -> None:
    """Help words in any case are a request for help, not tokens."""
    parsed = parse_incident_ids(text)
    assert parsed.is_help
    assert parsed.ids == []
    assert parsed.invalid == []


def test_help_with_other_words_is_not_help() -> None:
    """`help` alongside an id is not a help request; it is an invalid token."""
    parsed = parse_incident_ids(f"help {A}")
    assert not parsed.is_help
    assert parsed.ids == [A]
    assert parsed.invalid == ["help"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t", ", ; ,"])
def test_empty_text(text: str) -> None:
    """Empty or separator-only text yields nothing at all."""
    parsed = parse_incident_ids(text)
    assert parsed == ParsedIds()
    assert not parsed.too_many


def test_exactly_the_limit_is_not_too_many() -> None:
    """MAX_IDS_PER_COMMAND ids are allowed."""
    parsed = parse_incident_ids(" ".join(uuid(n) for n in range(MAX_IDS_PER_COMMAND)))
    assert len(parsed.ids) == MAX_IDS_PER_COMMAND
    assert not parsed.too_many


def test_more_than_the_limit_is_too_many() -> None:
    """One id over the limit sets too_many, and every id is still parsed."""
    parsed = parse_incident_ids("\n".join(uuid(n) for n in range(MAX_IDS_PER_COMMAND + 1)))
    assert len(parsed.ids) == MAX_IDS_PER_COMMAND + 1
    assert parsed.too_many


def test_duplicates_do_not_count_towards_the_limit() -> None:
    """Repeating ids past the limit is fine when the distinct ids are within it."""
    ids = [uuid(n) for n in range(10)]
    parsed = parse_incident_ids(" ".join(ids * 200))
    assert parsed.ids == ids
    assert not parsed.too_many


@pytest.mark.parametrize(
    ("value", "expected"),
    [(A, True), (A.upper(), True), (A[:-1], False), (A + "0", False), (f" {A}", False), ("", False)],
)
def test_is_incident_id(value: str, expected: bool) -> None:
    """Only exactly one 36-character id counts as an incident id."""
    assert is_incident_id(value) is expected


def test_slack_special_mentions_stay_invalid_tokens() -> None:
    """`<!here>` and similar markup are not links: they are reported verbatim as invalid tokens."""
    parsed = parse_incident_ids(f"<!here> {A} <#C123>")
    assert parsed.ids == [A]
    assert parsed.invalid == ["<!here>", "<#C123>"]


def test_link_with_an_alert_id_and_an_incident_id_takes_the_incident() -> None:
    """A Coralogix link carrying an alert id and, after `incidents/`, the incident id yields only the incident id."""
    alert = "0a0a0a0a-1111-4111-8111-000000000001"
    incident = "0b0b0b0b-2222-4222-8222-000000000002"
    link = f"https://team.app.coralogix.us/#/alerts/{alert}/incidents/{incident}?x=1"
    assert parse_incident_ids(link).ids == [incident]
