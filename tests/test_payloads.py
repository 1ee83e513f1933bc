"""`bot.payloads`: the shape check before Bolt, and the field readers listeners use; both refuse with BadPayload."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from bot import payloads
from bot.errors import BadPayload

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
USER = {"id": "U0ONCALL"}


def interactive(payload: Any) -> str:
    """An interactivity body as Slack sends it: one form field holding JSON."""
    return "payload=" + quote(json.dumps(payload))


def refusal(body: dict[str, Any]) -> str:
    """The message `check` refuses `body` with."""
    with pytest.raises(BadPayload) as caught:
        payloads.check(body)
    return caught.value.user_message


# -- parse -----------------------------------------------------------------------------------


def test_parse_reads_commands_interactivity_and_events_as_bolt_does() -> None:
    """Form fields, the `payload` JSON and a JSON event body all come back as the object Bolt will route."""
    assert payloads.parse("command=%2Fresolve-incident&text=x", FORM) == {"command": "/resolve-incident", "text": "x"}
    assert payloads.parse(interactive({"type": "block_actions"}), FORM) == {"type": "block_actions"}
    assert payloads.parse(json.dumps({"type": "event_callback"}), JSON) == {"type": "event_callback"}


@pytest.mark.parametrize(
    ("text", "headers", "reason"),
    [
        ("payload=%7Bnot-json", FORM, "not valid JSON"),
        (interactive([1, 2]), FORM, "not a JSON object"),
        ("[" * 100_000 + "]" * 100_000, JSON, "nested more than"),
        (interactive({"view": json.loads("[" * 70 + "]" * 70)}), FORM, "nested more than 64"),
        (json.dumps({"event": {"text": "a\u0000b"}}), JSON, "event.text contains a NUL"),
    ],
    ids=["bad-json", "list", "deep", "deep-list", "nul"],
)
def test_parse_refuses_what_is_not_a_safe_object(text: str, headers: dict[str, str], reason: str) -> None:
    """Broken, non-object, too deeply nested or NUL-carrying bodies are refused with the reason."""
    with pytest.raises(BadPayload, match=reason):
        payloads.parse(text, headers)


# -- check -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"command": "/resolve-incident", "user_id": "U0ONCALL", "text": ""},
        {"type": "block_actions", "user": USER, "actions": [{"action_id": "alert_resolve"}]},
        {"type": "view_submission", "user": USER, "view": {"type": "modal", "callback_id": "x"}},
        {"type": "block_suggestion", "user": USER, "action_id": "picker_search", "value": ""},
        {"type": "message_action", "user": USER, "callback_id": "resolve_incidents_in_message"},
        {"type": "event_callback", "event": {"type": "app_mention", "user": "U0ONCALL"}},
        {"type": "event_callback", "event": {"type": "member_joined_channel"}},
        {"type": "url_verification", "challenge": "abc"},
        {"type": "app_rate_limited", "minute_rate_limited": 1},
        {"ssl_check": "1", "token": "x"},
    ],
    ids=["command", "click", "submission", "options", "shortcut", "mention", "other-event", "url", "rate", "ssl"],
)
def test_check_lets_every_well_formed_request_through(body: dict[str, Any]) -> None:
    """What Slack really sends passes; requests that name no person pass only where none is expected."""
    payloads.check(body)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"type": "block_actions", "user": USER, "actions": None}, "actions"),
        ({"type": "block_actions", "user": USER, "actions": []}, "actions"),
        ({"type": "block_actions", "user": USER, "actions": [5]}, "actions.0"),
        ({"type": "block_actions", "user": USER, "actions": [{"action_id": 7}]}, "actions.0.action_id"),
        ({"type": "view_submission", "user": USER, "view": None}, "view"),
        ({"type": "view_submission", "user": USER, "view": {"callback_id": "x"}}, "view.type"),
        ({"type": "view_submission", "user": USER, "view": {"type": "workflow_step", "callback_id": "x"}}, "view.type"),
        ({"type": "event_callback", "event": None}, "event"),
        ({"type": "event_callback", "event": "app_mention"}, "event"),
        ({"type": "event_callback", "event": {"user": "U1"}}, "event.type"),
        ({"type": "block_actions", "user": 5, "actions": [{"action_id": "a"}]}, "user"),
        ({"type": "block_actions", "user": USER, "team": 5, "actions": [{"action_id": "a"}]}, "team"),
        # Ids Bolt puts into its context: the team's goes into the query of its first auth.test call.
        ({"type": "block_actions", "user": USER, "team": {"id": {"x": 1}}, "actions": [{"action_id": "a"}]}, "team.id"),
        (
            {"type": "block_actions", "user": {"id": "U1", "team_id": [1]}, "actions": [{"action_id": "a"}]},
            "user.team_id",
        ),
        (
            {"type": "block_actions", "user": USER, "enterprise": {"id": 5}, "actions": [{"action_id": "a"}]},
            "enterprise.id",
        ),
        ({"type": "block_actions", "user": USER, "channel": {"id": {}}, "actions": [{"action_id": "a"}]}, "channel.id"),
        ({"command": "/x", "user_id": "U1", "team_id": {"T": 1}}, "team_id"),
        ({"command": "/x", "user_id": "U1", "authorizations": [{"team_id": 5}]}, "authorizations.0.team_id"),
        ({"command": "/x", "user_id": "U1", "authorizations": ["x"]}, "authorizations.0"),
        ({"command": "/x", "user_id": "U1", "response_url": 5}, "response_url"),
        ({"type": ["block_actions"]}, "type"),
        ({"user_id": "U1", "command": 5}, "command"),
    ],
)
def test_check_refuses_shapes_bolt_would_crash_on(body: dict[str, Any], named: str) -> None:
    """Each field Bolt indexes without looking is checked, and the refusal names it."""
    message = refusal(body)
    assert message.startswith("Slack sent a request the bot cannot read: ")
    assert f": {named} is " in message or f"; {named} is " in message


def test_check_refuses_kinds_the_bot_does_not_serve() -> None:
    """A request type the app never asked for is refused by name."""
    assert "'dialog_submission'" in refusal({"type": "dialog_submission", "callback_id": "x"})
    assert "neither a type nor a command" in refusal({"user_id": "U1", "text": "x"})


@pytest.mark.parametrize(
    "body",
    [
        {"type": "view_submission", "view": {"type": "modal", "callback_id": "x"}},
        {"type": "block_actions", "user": {"id": "<!channel>"}, "actions": [{"action_id": "a"}]},
        {"command": "/resolve-incident", "text": "x"},
        {"type": "event_callback", "event": {"type": "app_home_opened"}},
    ],
    ids=["submission-without-user", "user-not-an-id", "command-without-user", "home-without-user"],
)
def test_check_refuses_what_a_person_did_without_naming_them(body: dict[str, Any]) -> None:
    """Commands, interactivity and the bot's events must say who acted (a Slack id)."""
    assert "names no Slack user" in refusal(body)


# -- readers ---------------------------------------------------------------------------------


def test_get_walks_keys_and_indexes_and_gives_none_on_any_mismatch() -> None:
    """`get` never raises: a missing key, a bad index or a step into a non-container is None."""
    data = {"a": [{"b": "x"}], "n": 5}
    assert payloads.get(data, "a", 0, "b") == "x"
    assert payloads.get(data, "a", 1, "b") is None
    assert payloads.get(data, "a", "b") is None
    assert payloads.get(data, "n", "x") is None
    assert payloads.get(None, "a") is None


@pytest.mark.parametrize("value", [None, 0, ["U1"], {"id": "U1"}, "", "   ", "x" * 300])
def test_text_refuses_missing_blank_mistyped_and_overlong(value: Any) -> None:
    """`text` names the field in the refusal, whatever stands in its place."""
    with pytest.raises(BadPayload, match="no usable trigger id"):
        payloads.text({"trigger_id": value}, "trigger_id", what="trigger id")


def test_optional_text_is_none_when_absent_and_refuses_the_wrong_type() -> None:
    """Absent or null is None; present but not text is a refusal."""
    assert payloads.optional_text({}, "thread_ts", what="thread") is None
    assert payloads.optional_text({"thread_ts": None}, "thread_ts", what="thread") is None
    assert payloads.optional_text({"thread_ts": "1.2"}, "thread_ts", what="thread") == "1.2"
    with pytest.raises(BadPayload, match="thread"):
        payloads.optional_text({"thread_ts": 1.2}, "thread_ts", what="thread")


@pytest.mark.parametrize("value", ["U1> <!channel", "u0lower", "<@U1>", "U", 5, None])
def test_slack_id_lets_nothing_but_an_id_through(value: Any) -> None:
    """An id is upper-case letters and digits, so none can smuggle mrkdwn into `<@…>`."""
    with pytest.raises(BadPayload, match="user id"):
        payloads.slack_id({"user": {"id": value}}, "user", "id", what="user id")


@pytest.mark.parametrize("raw", ["{not json", "[1]", "5", 5, ["x"]])
def test_damaged_metadata_is_refused(raw: Any) -> None:
    """private_metadata that is not the JSON object the bot wrote is refused, not crashed on."""
    with pytest.raises(BadPayload, match="saved state came back damaged"):
        payloads.metadata(raw)


def test_metadata_reads_back_what_the_bot_wrote() -> None:
    """The JSON object comes back; none at all is an empty one."""
    assert payloads.metadata('{"channel": "C1"}') == {"channel": "C1"}
    assert payloads.metadata(None) == {} == payloads.metadata("")


def state(options: Any) -> dict[str, Any]:
    """`view.state.values` with one multi-select holding `options`."""
    return {"incidents": {"selected": {"type": "multi_static_select", "selected_options": options}}}


@pytest.mark.parametrize(("value", "shown"), [(None, "null"), (0, "0"), (["a"], '["a"]'), ({"v": 1}, '{"v": 1}')])
def test_a_picked_option_that_is_not_text_is_refused_in_the_modal(value: Any, shown: str) -> None:
    """A picked option whose value is null, 0 or a list is refused under its block, saying what it carried."""
    with pytest.raises(BadPayload) as caught:
        payloads.selected_values(state([{"value": "ok"}, {"value": value}]), "incidents", ["selected"])
    assert caught.value.block_id == "incidents"
    assert f"carried {shown} instead of an id" in caught.value.user_message


def test_selected_values_of_unknown_or_empty_blocks_are_nothing() -> None:
    """Unknown block or action ids, and no selection, read as nothing picked."""
    assert payloads.selected_values({"zzz": {"a": {"value": 1}}}, "incidents", ["selected"]) == []
    assert payloads.selected_values(state(None), "incidents", ["selected"]) == []
    assert payloads.selected_values(None, "incidents", ["selected"]) == []
    assert payloads.selected_values(state([{"value": "a"}, {"value": "b"}]), "incidents", ["selected"]) == ["a", "b"]
