"""Real Slack request bodies, decoded the way Bolt decodes them, carry every field the listeners read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import is_action, is_slash_command, is_view_submission, to_action, to_command

from tests.conftest import PAYLOADS

FORM: dict[str, str | Sequence[str]] = {"content-type": "application/x-www-form-urlencoded"}


def load(name: str) -> dict[str, Any]:
    """One of the JSON payloads."""
    payload: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return payload


def as_interaction(name: str) -> dict[str, Any]:
    """A JSON interaction payload sent in its wire format (form field `payload`) and parsed back by Bolt."""
    return AsyncBoltRequest(body="payload=" + quote(json.dumps(load(name))), headers=FORM).body


def test_slash_command_form_gives_what_the_command_listener_reads() -> None:
    """The form-encoded command decodes to the JSON sample, with channel, user, trigger and response URL."""
    # The file ends in a newline, as text files do; Slack's body does not.
    body = (PAYLOADS / "slash_command.form.txt").read_text().rstrip("\n")
    command = AsyncBoltRequest(body=body, headers=FORM).body
    assert is_slash_command(command)
    assert to_command(command) == load("slash_command.json")
    assert {"channel_id", "user_id", "trigger_id", "text"} <= command.keys()
    assert command["response_url"].startswith("https://hooks.slack.com/commands/")


def test_button_click_gives_what_the_click_listener_reads() -> None:
    """A block_actions click carries the action, the clicked message's ts, its channel and the user."""
    body = as_interaction("block_actions_button_in_message.json")
    assert is_action(body)
    action = to_action(body)
    assert action is not None and {"action_id", "block_id", "value"} <= action.keys()
    assert body["container"]["message_ts"] == body["message"]["ts"]
    assert body["channel"]["id"] == body["container"]["channel_id"]
    assert body["user"]["id"]


def test_view_submission_gives_what_the_submit_listeners_read() -> None:
    """A submitted modal carries its input under state.values[block_id][action_id], its metadata and the user."""
    body = as_interaction("view_submission.json")
    assert is_view_submission(body)
    view = body["view"]
    input_block = view["blocks"][0]
    value = view["state"]["values"][input_block["block_id"]][input_block["element"]["action_id"]]["value"]
    assert value == "test"
    assert view["private_metadata"] and view["callback_id"] and view["id"]
    assert body["user"]["id"]
