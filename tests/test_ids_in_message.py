"""Tests for `bot.parsing.ids_in_message`: incident ids anywhere in a Slack message, for the message shortcut."""

from __future__ import annotations

from typing import Any

import pytest

from bot.parsing import ids_in_message

A = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
C = "deadbeef-0000-4000-8000-000000000001"
D = "c0ffee00-1111-4222-8333-444455556666"


def rich_text(*elements: dict[str, Any]) -> dict[str, Any]:
    """A rich_text block with one section of `elements`."""
    return {
        "type": "rich_text",
        "block_id": "rt",
        "elements": [{"type": "rich_text_section", "elements": list(elements)}],
    }


def test_no_ids() -> None:
    """A message without ids yields nothing."""
    assert ids_in_message({"text": "nothing to see here", "ts": "1700000000.000100"}) == []


def test_empty_message() -> None:
    """An empty message, or one with null parts, yields nothing."""
    assert ids_in_message({}) == []
    assert ids_in_message({"text": None, "blocks": None, "attachments": None}) == []


def test_ids_in_text() -> None:
    """Ids in the text are found in order, whatever separates them."""
    assert ids_in_message({"text": f"please close {A}, {B}\nand {C}."}) == [A, B, C]


def test_ids_glued_to_punctuation() -> None:
    """Ids inside brackets, quotes or code spans are found."""
    assert ids_in_message({"text": f'({A}) `{B}` "{C}"'}) == [A, B, C]


def test_ids_are_lower_cased() -> None:
    """Upper-case ids come back lower-cased."""
    assert ids_in_message({"text": A.upper()}) == [A]


def test_duplicates_once_in_first_seen_order() -> None:
    """An id named several times, in any case or part of the message, is returned once, where first seen."""
    message = {
        "text": f"{B} {A}",
        "blocks": [rich_text({"type": "text", "text": f"{A.upper()} {C}"})],
        "attachments": [{"text": f"{B} {C} {D}"}],
    }
    assert ids_in_message(message) == [B, A, C, D]


def test_ids_in_rich_text_blocks() -> None:
    """Ids in nested rich_text elements, including links and code, are found."""
    block = rich_text(
        {"type": "text", "text": f"see {A}"},
        {"type": "link", "url": f"https://team.coralogix.com/#/incidents/{B}", "text": "incident"},
        {"type": "text", "text": C, "style": {"code": True}},
    )
    assert ids_in_message({"blocks": [block]}) == [A, B, C]


def test_ids_in_deeply_nested_rich_text() -> None:
    """Ids in lists and quotes inside rich_text are found."""
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": A}]},
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": B}]},
                ],
            },
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": C}]},
        ],
    }
    assert ids_in_message({"blocks": [block]}) == [A, B, C]


def test_ids_in_section_text_and_fields() -> None:
    """Ids in a section's text and in its fields are found."""
    block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"*Incident* {A}"},
        "fields": [{"type": "mrkdwn", "text": f"`{B}`"}, {"type": "plain_text", "text": C}],
    }
    assert ids_in_message({"blocks": [block]}) == [A, B, C]


def test_ids_in_context_and_buttons() -> None:
    """Ids in context elements and in button urls are found."""
    blocks = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": A}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open"},
                    "url": f"https://team.coralogix.com/#/incidents/{B}",
                }
            ],
        },
    ]
    assert ids_in_message({"blocks": blocks}) == [A, B]


def test_ids_in_attachment_fallback_text_and_fields() -> None:
    """Ids in an attachment's fallback, pretext, text, title and fields are found."""
    attachment = {
        "fallback": f"Alert {A}",
        "pretext": B,
        "text": f"Incident {C}",
        "title": "no id",
        "fields": [{"title": "Incident", "value": D, "short": True}],
    }
    assert ids_in_message({"attachments": [attachment]}) == [A, B, C, D]


def test_ids_in_attachment_blocks() -> None:
    """Ids in blocks nested inside an attachment (how the bot's own alert messages look) are found."""
    attachment = {
        "color": "#E01E5A",
        "blocks": [
            {"type": "section", "block_id": "alert_head_1", "text": {"type": "mrkdwn", "text": "*High latency*"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*Incident*\n`{A}`"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": B}]},
        ],
    }
    assert ids_in_message({"attachments": [attachment]}) == [A, B]


def test_text_then_blocks_then_attachments() -> None:
    """The message's text comes first, then its blocks, then its attachments."""
    message = {
        "attachments": [{"text": C}],
        "blocks": [rich_text({"type": "text", "text": B})],
        "text": A,
    }
    assert ids_in_message(message) == [A, B, C]


@pytest.mark.parametrize(
    "link",
    [
        f"https://team.coralogix.com/#/incidents/{A}",
        f"https://team.app.coralogix.us/#/incidents/{A}?tab=details",
        f"<https://team.coralogix.com/#/incidents/{A}|the incident>",
        f"<https://team.coralogix.com/#/incidents/{A}>",
        f"https://team.coralogix.com/#/incidents?id={A.upper()}",
    ],
)
def test_coralogix_links(link: str) -> None:
    """A Coralogix link, bare or as Slack delivers it, yields its incident id."""
    assert ids_in_message({"text": f"see {link} please"}) == [A]


@pytest.mark.parametrize("key", ["ts", "thread_ts", "block_id", "user", "bot_id", "app_id", "team", "client_msg_id"])
def test_slack_identifiers_ignored(key: str) -> None:
    """Slack's own ids and timestamps are never taken for incident ids, at any depth."""
    message = {
        "text": "no ids",
        key: A,
        "blocks": [{"type": "section", key: B, "text": {"type": "mrkdwn", "text": "x"}}],
        "attachments": [{key: C, "text": "y", "blocks": [{"type": "context", key: D, "elements": []}]}],
    }
    assert ids_in_message(message) == []


def test_only_text_blocks_and_attachments_are_read() -> None:
    """Other top-level parts of the message (files, metadata, reactions) are not read."""
    message = {
        "text": A,
        "files": [{"name": f"{B}.log"}],
        "metadata": {"event_payload": {"id": C}},
        "reactions": [{"name": D}],
    }
    assert ids_in_message(message) == [A]


def test_partial_uuids_are_not_ids() -> None:
    """Strings that only look like part of an id are not taken for one."""
    assert ids_in_message({"text": "3f1c2a9e-5b7d-4c1e-9a0f 1234-5678 3f1c2a9e5b7d4c1e9a0f2d6b8e4c7a15"}) == []


def test_non_string_values_are_skipped() -> None:
    """Numbers, booleans and nulls anywhere in the message are skipped without error."""
    message = {"text": A, "attachments": [{"id": 1, "short": True, "ts": 1700000000, "footer": None}]}
    assert ids_in_message(message) == [A]
