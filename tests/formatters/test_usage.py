"""Tests for `bot.formatters.usage`: the command's help, refusals and ack texts."""

from __future__ import annotations

import pytest

from bot.formatters.usage import (
    EXAMPLE_ID,
    MAX_INVALID_SHOWN,
    invalid_tokens_text,
    not_in_channel_text,
    refusal_text,
    resolving_text,
    usage_text,
)
from bot.ids import Command
from bot.parsing import MAX_IDS_PER_COMMAND, ParsedIds, is_incident_id, parse_incident_ids
from tests.factories import uuid

A = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def test_usage_names_the_command() -> None:
    """The help text names the slash command, its help form and the id limit."""
    text = usage_text()
    assert Command.RESOLVE_INCIDENT.value in text
    assert f"{Command.RESOLVE_INCIDENT.value} help" in text
    assert f"{MAX_IDS_PER_COMMAND:,}" in text


def test_usage_example_is_a_valid_id() -> None:
    """The example in the help text is an id the parser accepts."""
    assert is_incident_id(EXAMPLE_ID)
    assert f"{Command.RESOLVE_INCIDENT.value} {EXAMPLE_ID}" in usage_text()


def test_help_request_gets_usage() -> None:
    """`help` is refused with the usage text."""
    assert refusal_text(parse_incident_ids("help")) == usage_text()


def test_help_covers_every_surface() -> None:
    """The help names the picker, the id form, the buttons, thread commands, the shortcut, Home and where ids are."""
    text = usage_text()
    for words in (
        "pick from the open incidents",
        "&lt;incident-id&gt;",
        "*Resolve*",
        "*Acknowledge*",
        "`@bot resolve [note]`",
        "Resolve incidents",
        "App Home",
        "Alerts → Incidents",
    ):
        assert words in text


def test_refusal_for_too_many_ids() -> None:
    """More than the limit is refused, saying how many were given and the maximum."""
    parsed = ParsedIds(ids=[uuid(n) for n in range(MAX_IDS_PER_COMMAND + 1)])
    text = refusal_text(parsed)
    assert text is not None
    assert f"{MAX_IDS_PER_COMMAND + 1:,}" in text
    assert f"at most {MAX_IDS_PER_COMMAND:,}" in text
    assert Command.RESOLVE_INCIDENT.value in text


def test_refusal_for_only_invalid_tokens_names_them() -> None:
    """Only invalid tokens are refused, naming each of them and the usage."""
    text = refusal_text(parse_incident_ids("foo bar-baz"))
    assert text is not None
    assert "`foo`" in text
    assert "`bar-baz`" in text
    assert "are not incident ids" in text
    assert usage_text() in text


def test_refusal_escapes_tokens() -> None:
    """A token such as `<!here>` is shown escaped, so it cannot ping the channel."""
    for parsed in (ParsedIds(invalid=["<!here>", "a&b"]), parse_incident_ids("<!here> a&b")):
        text = refusal_text(parsed)
        assert text is not None
        assert "&lt;!here&gt;" in text
        assert "a&amp;b" in text
        assert "<!here>" not in text


def test_no_refusal_when_ids_present() -> None:
    """Valid ids, even alongside invalid tokens, go ahead."""
    assert refusal_text(parse_incident_ids(A)) is None
    assert refusal_text(parse_incident_ids(f"{A} nonsense")) is None
    assert refusal_text(ParsedIds(ids=[uuid(n) for n in range(MAX_IDS_PER_COMMAND)])) is None


def test_invalid_tokens_singular() -> None:
    """One invalid token reads `is not an incident id`."""
    text = invalid_tokens_text(["foo"])
    assert text.startswith("`foo` is not an incident id")


def test_invalid_tokens_capped() -> None:
    """Only the first few invalid tokens are listed; the rest are counted."""
    tokens = [f"t{n}" for n in range(MAX_INVALID_SHOWN + 5)]
    text = invalid_tokens_text(tokens)
    assert f"`t{MAX_INVALID_SHOWN - 1}`" in text
    assert f"`t{MAX_INVALID_SHOWN}`" not in text
    assert "and 5 more" in text


def test_invalid_tokens_cut_and_backticks_neutralised() -> None:
    """Long tokens are shortened and backticks cannot break out of the code span."""
    text = invalid_tokens_text(["x" * 500, "a`b"])
    assert "x" * 61 not in text
    assert "`a'b`" in text


@pytest.mark.parametrize(("n", "word"), [(1, "1 incident…"), (2, "2 incidents…")])
def test_resolving_text_counts(n: int, word: str) -> None:
    """The ack says how many incidents are being resolved, singular or plural."""
    text = resolving_text(ParsedIds(ids=[uuid(i) for i in range(n)]))
    assert f"Resolving {word}" in text
    assert "Skipped" not in text


def test_resolving_text_names_skipped_tokens() -> None:
    """The ack names the tokens it skipped, escaped."""
    text = resolving_text(parse_incident_ids(f"{A} {B} oops <!channel>"))
    assert "Resolving 2 incidents" in text
    assert "Skipped:" in text
    assert "`oops`" in text
    assert "&lt;!channel&gt;" in text
    assert "<!channel>" not in text


def test_not_in_channel_text() -> None:
    """The invite hint mentions the bot when its id is known, and says `the bot` otherwise."""
    assert "/invite <@U0BOT>" in not_in_channel_text("U0BOT")
    assert "/invite the bot" in not_in_channel_text(None)
