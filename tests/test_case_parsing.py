"""Case ids in the command text and in messages: readable ids as typed, case links, the `close` word."""

from __future__ import annotations

from bot.parsing import MAX_IDS_PER_COMMAND, ids_in_message, parse_incident_ids

UUID = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"


def test_readable_case_ids_are_kept_as_typed_beside_uuids() -> None:
    """`CASE-123` stays upper case; a UUID is lower-cased; duplicates go; order stays."""
    parsed = parse_incident_ids(f"CASE-123, {UUID.upper()} CASE-124 CASE-123")
    assert parsed.ids == ["CASE-123", UUID, "CASE-124"]
    assert parsed.invalid == [] and not parsed.close


def test_lower_case_readable_ids_are_not_ids() -> None:
    """The spec's pattern is upper-case letters, a dash, digits: `case-1` is named as not an id."""
    assert parse_incident_ids("case-1 CASE-").invalid == ["case-1", "CASE-"]


def test_close_as_the_first_word_asks_to_close() -> None:
    """`close CASE-1 CASE-2` closes; `close` anywhere else is just a bad token."""
    parsed = parse_incident_ids("close CASE-1 CASE-2")
    assert parsed.close and parsed.ids == ["CASE-1", "CASE-2"]
    later = parse_incident_ids("CASE-1 close")
    assert not later.close and later.invalid == ["close"]


def test_a_pasted_case_link_gives_its_case_id() -> None:
    """A Slack-wrapped case link yields the readable id (or UUID) after its `cases` segment."""
    parsed = parse_incident_ids(
        f"<https://acme.app.coralogix.com/#/cases/OPS-77|the case> https://acme.app.coralogix.com/#/cases/{UUID}"
    )
    assert parsed.ids == ["OPS-77", UUID]


def test_two_thousand_readable_ids_fit_one_command() -> None:
    """2 000 readable ids are one command (about 18 000 characters, within Slack's 40 000)."""
    text = " ".join(f"CASE-{n}" for n in range(2000))
    assert len(text) < 40_000
    parsed = parse_incident_ids(text)
    assert len(parsed.ids) == MAX_IDS_PER_COMMAND == 2000 and not parsed.too_many


def test_a_message_gives_case_ids_and_case_links_but_not_lookalikes() -> None:
    """In a message: `CASE-…` ids, ids in case links, UUIDs, in order; `SHA-256`, `UTF-8` are not cases."""
    message = {
        "text": f"CASE-12 broke; SHA-256 and UTF-8 fine <https://x.coralogix.com/#/cases/OPS-5|link> {UUID}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "also CASE-12 and CASE-13"}}],
    }
    assert ids_in_message(message) == ["CASE-12", "OPS-5", UUID, "CASE-13"]
