"""Bad input over real HTTP gets a clear answer: 401 unsigned, 400 for nobody, the person told otherwise.

Never a 5xx, and never a traceback in the log at any level (checked after every test here).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.ids import ActionId, BlockId, CallbackId, EventType
from tests.conftest import SIGNING_SECRET
from tests.e2e.harness import Harness, running_bot, sign
from tests.e2e.test_picker_home import CRIT, fake_open, open_picker, submission
from tests.fakes.server import wait_for

CLICKER = {"id": "U0CLICK", "username": "oncall"}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After each test: no log record, at any level, carries a traceback."""
    caplog.set_level(logging.DEBUG)
    yield
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@pytest.fixture
async def bot() -> AsyncIterator[Harness]:
    """The bot between the fakes, with open incidents to pick."""
    async with running_bot(fake_open()) as harness:
        yield harness


def interactive(payload: Any) -> str:
    """An interactivity body: one form field holding JSON."""
    return "payload=" + quote(json.dumps(payload))


async def signed(bot: Harness, body: str, content_type: str = FORM) -> tuple[int, str]:
    """POST `body` to /slack/events with a valid signature."""
    return await bot.post(body, sign(body), content_type)


async def told(bot: Harness) -> str:
    """What the person was told: the response_url post, ephemeral message or DM, whichever came."""

    def answers() -> list[str]:
        texts = [r.get("text", "") for r in bot.slack.responses]
        return texts + [
            c.params["text"] for c in bot.slack.calls if c.method in {"chat.postEphemeral", "chat.postMessage"}
        ]

    await wait_for(answers, what="the person to be told")
    return answers()[0]


# -- the signature ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "", "1700000000.5", "1e9", "9" * 5000, "-1", " 1700000000", "\uff11\uff17\uff10\uff10", None],
    ids=["word", "empty", "float", "exponent", "absurdly-long", "negative", "space", "full-width", "missing"],
)
async def test_malformed_timestamps_are_401_like_any_bad_signature(bot: Harness, timestamp: str | None) -> None:
    """A timestamp that is not whole seconds (or none at all) is refused as unsigned: 401, no traceback, no action."""
    body = bot.command_body("3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15")
    headers = {"X-Slack-Signature": "v0=" + "0" * 64}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    status, text = await bot.post(body, headers)
    assert (status, json.loads(text)) == (401, {"error": "invalid request"})
    assert not bot.coralogix.calls and not bot.slack.calls


async def test_a_correct_signature_over_an_odd_timestamp_is_still_401(bot: Harness) -> None:
    """Even correctly signed, a timestamp Slack never sends (leading space, underscores) is refused."""
    body = bot.command_body("help")
    for odd in (f" {int(time.time())}", f"{int(time.time()):_}"):
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=odd, body=body)
        assert signature is not None
        status, _ = await bot.post(body, {"X-Slack-Request-Timestamp": odd, "X-Slack-Signature": signature})
        assert status == 401


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"payload=%7Bnot-json", FORM),
        (b"[1, 2]", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"\xff\xfe\x00garbage", FORM),
    ],
    ids=["bad-json", "list", "deep", "not-utf8"],
)
async def test_unsigned_garbage_is_401_before_anything_is_parsed(bot: Harness, raw: bytes, content_type: str) -> None:
    """Whatever an unsigned body holds, it is never parsed: 401, nothing posted anywhere."""
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
    async with bot.http.post(
        f"{bot.bot_url}/slack/events", data=raw, headers={**headers, "Content-Type": content_type}
    ) as response:
        assert response.status == 401
    assert not bot.slack.calls and not bot.slack.responses


async def test_slacks_unsigned_ssl_check_still_answers_200(bot: Harness) -> None:
    """Slack's TLS check carries no signature (Bolt answers it before routing); it keeps working."""
    status, _ = await bot.post("ssl_check=1&token=x", {})
    assert status == 200


# -- signed, but nobody to tell ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("payload=%7Bnot-json", FORM, "not valid JSON"),
        (interactive([1, 2]), FORM, "not a JSON object"),
        ("[" * 100_000 + "]" * 100_000, "application/json", "nested more than"),
        (
            json.dumps({"type": "event_callback", "event": {"type": "app_mention", "text": "a\u0000"}}),
            "application/json",
            "NUL",
        ),
        (json.dumps({"type": "event_callback", "event": None}), "application/json", "event is malformed"),
        (json.dumps({"type": "event_callback", "event": "app_mention"}), "application/json", "event is malformed"),
        (interactive({"type": "block_actions", "actions": None}), FORM, "actions is malformed"),
        (
            interactive({"type": "view_submission", "view": {"type": "modal", "callback_id": "x"}}),
            FORM,
            "names no Slack user",
        ),
        ("command=%2Fresolve-incident&text=help&channel_id=C1", FORM, "names no Slack user"),
        (
            json.dumps({"type": "event_callback", "event": {"type": EventType.APP_HOME_OPENED}}),
            "application/json",
            "names no Slack user",
        ),
    ],
    ids=[
        "bad-json",
        "list",
        "deep",
        "nul",
        "event-null",
        "event-text",
        "actions-null",
        "view-no-user",
        "command-no-user",
        "home-no-user",
    ],
)
async def test_signed_requests_that_name_nobody_get_400_with_the_reason(
    bot: Harness, body: str, content_type: str, reason: str
) -> None:
    """Signed but unusable, and no person to tell: 400 saying why, and nothing done."""
    status, text = await signed(bot, body, content_type)
    assert status == 400
    assert reason in json.loads(text)["error"]
    assert not bot.coralogix.calls_of("resolve") and not bot.slack.calls


# -- signed, and someone to tell ---------------------------------------------------------------


@pytest.mark.parametrize("actions", [None, [], [5], [{"value": "x"}], "alert_resolve"])
async def test_a_click_with_broken_actions_tells_the_clicker(bot: Harness, actions: Any) -> None:
    """`actions: null` and friends: Bolt cannot route it, but the clicker is named, so they are told why."""
    payload = {
        "type": "block_actions",
        "user": CLICKER,
        "channel": {"id": "C0ALERTS"},
        "response_url": bot.slack.response_url,
        "actions": actions,
    }
    status, _ = await signed(bot, interactive(payload))
    assert status == 200
    text = await told(bot)
    assert "cannot read: actions" in text and "Error id: `E" in text


async def test_an_alert_button_without_its_channel_tells_the_clicker(bot: Harness) -> None:
    """A Resolve click that lost its channel does nothing and says which field was missing."""
    payload = {
        "type": "block_actions",
        "user": CLICKER,
        "response_url": bot.slack.response_url,
        "message": {"ts": "1700000000.000100"},
        "actions": [{"action_id": ActionId.RESOLVE.value, "value": "x"}],
    }
    status, _ = await signed(bot, interactive(payload))
    assert status == 200
    assert "no usable channel id" in await told(bot)
    assert not bot.coralogix.calls


async def test_a_bare_command_without_a_trigger_id_tells_the_user(bot: Harness) -> None:
    """`/resolve-incident` with no text needs a trigger id to open the picker; without one the user hears why."""
    fields = dict(item.split("=", 1) for item in bot.command_body("").split("&"))
    del fields["trigger_id"]
    status, _ = await signed(bot, "&".join(f"{k}={v}" for k, v in fields.items()))
    assert status == 200
    assert "no usable trigger id" in await told(bot)
    assert not bot.slack.called("views.open")


@pytest.mark.parametrize("value", [None, 0, ["INCIDENT_SEVERITY_LOW"], "INCIDENT_SEVERITY_EXPLODING"])
async def test_a_severity_pick_that_is_no_severity_tells_the_user(bot: Harness, value: Any) -> None:
    """The picker's severity filter with a null, 0, list or unknown value: nothing reloads, the user is told by DM."""
    view = await open_picker(bot)
    bot.slack.calls.clear()
    action = {"action_id": ActionId.PICKER_SEVERITY.value, "type": "static_select", "selected_option": {"value": value}}
    payload = {"type": "block_actions", "user": {"id": "U0PICK"}, "view": view, "actions": [action]}
    status, _ = await signed(bot, interactive(payload))
    assert status == 200
    assert "no usable severity" in await told(bot)
    assert not bot.slack.called("views.update")


@pytest.mark.parametrize(("value", "shown"), [(None, "null"), (0, "0"), (["x"], '["x"]')])
async def test_a_picked_incident_that_is_no_text_is_a_modal_error(bot: Harness, value: Any, shown: str) -> None:
    """A picked option whose value is null, 0 or a list: the modal shows why under the select; nothing resolved."""
    view = await open_picker(bot)
    payload = submission(view, [])
    values = payload["view"]["state"]["values"][BlockId.PICKER_INCIDENTS.value][ActionId.PICKER_PICKED.value]
    values["selected_options"] = [{"value": value}]
    status, text = await bot.interactive(payload)
    assert status == 200
    answer = json.loads(text)
    assert answer["response_action"] == "errors"
    assert f"carried {shown} instead of an id" in answer["errors"][BlockId.PICKER_INCIDENTS.value]
    assert not bot.coralogix.calls_of("resolve")


async def test_a_submission_with_only_unknown_block_ids_asks_for_a_pick(bot: Harness) -> None:
    """State under block ids the bot never rendered reads as nothing picked: the usual modal error."""
    view = await open_picker(bot)
    payload = submission(view, [])
    payload["view"]["state"]["values"] = {"zzz": {"yyy": {"selected_options": [{"value": "x"}]}}, "note": None}
    status, text = await bot.interactive(payload)
    assert status == 200
    assert json.loads(text)["errors"] == {BlockId.PICKER_INCIDENTS.value: "Pick at least one incident."}


async def test_damaged_modal_state_tells_the_user_by_dm(bot: Harness) -> None:
    """A shortcut modal submitted with private_metadata that is not what the bot wrote: a DM saying so."""
    payload = {
        "type": "view_submission",
        "user": {"id": "U0SHORT"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": CallbackId.RESOLVE_IN_MESSAGE_MODAL.value,
            "private_metadata": "{not json",
            "state": {"values": {"incidents": {"selected": {"selected_options": [{"value": CRIT}]}}}},
        },
    }
    status, _ = await signed(bot, interactive(payload))
    assert status == 200
    assert "saved state came back damaged" in await told(bot)
    assert bot.slack.called("chat.postMessage")[0].params["channel"] == "U0SHORT"
    assert not bot.coralogix.calls_of("resolve")


async def test_a_search_for_a_number_tells_the_user(bot: Harness) -> None:
    """An options request whose typed value is not text: no search, the user hears why."""
    payload = {"type": "block_suggestion", "user": {"id": "U0PICK"}, "action_id": ActionId.PICKER_SEARCH, "value": 5}
    status, _ = await signed(bot, interactive(payload))
    assert status == 200
    assert "no usable search text" in await told(bot)
    assert not bot.coralogix.calls_of("list")


async def test_a_mention_without_its_channel_is_answered_by_dm(bot: Harness) -> None:
    """An app_mention that lost its channel (acked by Bolt at once) still tells its author why nothing happened."""
    status, _ = await bot.event(
        {"type": "app_mention", "user": "U0MENTION", "text": "<@UBOT0001> ack", "ts": "1.2"}, event_id="EvNoChannel"
    )
    assert status == 200
    assert "no usable channel id" in await told(bot)
    assert bot.slack.called("chat.postMessage")[0].params["channel"] == "U0MENTION"
