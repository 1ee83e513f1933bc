"""The picker (`/resolve-incident` with no text), App Home and help, end to end over real HTTP."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from bot.ids import ActionId, BlockId, CallbackId, EventType
from tests.e2e.harness import FAST_TIMINGS, Harness, running_bot
from tests.factories import uuid
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack

CRIT = "55555555-5555-4555-8555-555555555555"
WARN = "66666666-6666-4666-8666-666666666666"
DONE = "77777777-7777-4777-8777-777777777777"


def fake_open() -> FakeCoralogix:
    """A critical and a warning incident open, one resolved."""
    cx = FakeCoralogix()
    cx.add(
        make_incident(WARN, "Slow checkout", severity="INCIDENT_SEVERITY_WARNING"),
        make_incident(CRIT, "Payments down", severity="INCIDENT_SEVERITY_CRITICAL"),
        make_incident(DONE, "Old disk alert", status="INCIDENT_STATUS_RESOLVED"),
    )
    return cx


def fake_many_open() -> FakeCoralogix:
    """121 open incidents, past the picker's static list of 100: "Service n latency" 120 times, then "Payments down"."""
    cx = FakeCoralogix()
    cx.add(*(make_incident(uuid(n + 1), f"Service {n} latency") for n in range(120)))
    cx.add(make_incident(CRIT, "Payments down"))
    return cx


def input_element(view: dict[str, Any]) -> dict[str, Any]:
    """The incidents select of a picker view."""
    block = next(b for b in view["blocks"] if b.get("block_id") == BlockId.PICKER_INCIDENTS)
    return dict(block["element"])


def submission(view: dict[str, Any], picked: list[str], note: str | None = None) -> dict[str, Any]:
    """A view_submission of the picker with `picked` selected."""
    values: dict[str, Any] = {
        BlockId.PICKER_INCIDENTS.value: {
            ActionId.PICKER_PICKED.value: {
                "type": "multi_static_select",
                "selected_options": [{"value": i} for i in picked],
            }
        },
        BlockId.NOTE.value: {ActionId.NOTE.value: {"type": "plain_text_input", "value": note}},
    }
    return {
        "type": "view_submission",
        "user": {"id": "U0PICK"},
        "team": {"id": "T111"},
        "view": {**view, "id": "V0001", "state": {"values": values}},
    }


def suggestion(view: dict[str, Any], typed: str) -> dict[str, Any]:
    """The options request Slack sends while the user types `typed` into the picker's search."""
    return {
        "type": "block_suggestion",
        "action_id": ActionId.PICKER_SEARCH.value,
        "block_id": BlockId.PICKER_INCIDENTS.value,
        "value": typed,
        "user": {"id": "U1"},
        "team": {"id": "T111"},
        "view": {**view, "id": "V0001"},
    }


async def open_picker(bot: Harness) -> dict[str, Any]:
    """Run the bare command and return the filled picker view."""
    status, _ = await bot.command("", channel="C0WAR")
    assert status == 200
    await wait_for(lambda: bot.slack.called("views.update"), what="filled picker")
    return bot.slack.views[-1]


async def test_bare_command_opens_the_modal_before_coralogix_answers() -> None:
    """The loading modal opens inside the trigger window even while Coralogix holds every call for up to 5 s."""
    cx = fake_open()
    cx.gate, cx.delay = asyncio.Event(), 5.0
    async with running_bot(cx) as bot:
        status, _ = await bot.command("", channel="C0WAR")
        assert status == 200
        await wait_for(lambda: bot.slack.called("views.open"), what="views.open")
        assert cx.completed == 0
        opened = bot.slack.views[0]
        assert opened["callback_id"] == CallbackId.PICKER_MODAL and "Loading" in json.dumps(opened)
        assert bot.slack.called("views.open")[0].params["trigger_id"].startswith("111.")  # the command's own
        cx.gate.set()
        await wait_for(lambda: bot.slack.called("views.update"), what="views.update")
        options = input_element(bot.slack.views[-1])["options"]
        assert [o["value"] for o in options] == [CRIT, WARN]  # most severe first, resolved left out
        assert "Critical · Payments down" in options[0]["text"]["text"]


async def test_submit_two_resolves_both_in_one_call_and_posts_in_the_channel() -> None:
    """Two picked: one resolve call with both, the summary in the channel where the command was typed, with the note."""
    cx = fake_open()
    async with running_bot(cx) as bot:
        view = await open_picker(bot)
        status, body = await bot.interactive(submission(view, [CRIT, WARN], note="db failover done"))
        assert status == 200
        assert body == ""  # closes the modal
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        (resolve,) = cx.calls_of("resolve")
        assert resolve.body == {"incidentIds": [CRIT, WARN]}
        post = bot.slack.called("chat.postMessage")[0].params
        assert post["channel"] == "C0WAR"
        assert "Resolved 2 of 2 incidents" in post["text"]
        assert "db failover done" in json.dumps(post["blocks"])


async def test_submit_with_nothing_picked_shows_an_error_in_the_modal() -> None:
    """No incident picked: response_action errors on the incidents block, and no Coralogix call."""
    async with running_bot(fake_open()) as bot:
        view = await open_picker(bot)
        status, body = await bot.interactive(submission(view, []))
        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors"
        assert BlockId.PICKER_INCIDENTS.value in answer["errors"]
        assert not bot.coralogix.calls_of("resolve")


async def test_severity_filter_reloads_the_list() -> None:
    """Choosing Warning in the filter re-lists only warning incidents, with the filter sent to Coralogix."""
    cx = fake_open()
    async with running_bot(cx) as bot:
        view = await open_picker(bot)
        await bot.click(
            ActionId.PICKER_SEVERITY.value, ts="x", view={**view, "id": "V0001"}, selected="INCIDENT_SEVERITY_WARNING"
        )
        await wait_for(lambda: len(bot.slack.called("views.update")) == 2, what="filtered picker")
        assert [o["value"] for o in input_element(bot.slack.views[-1])["options"]] == [WARN]
        assert cx.calls_of("list")[-1].body["filter"]["severity"] == ["INCIDENT_SEVERITY_WARNING"]


async def test_many_incidents_switch_to_type_ahead_and_options_are_filtered() -> None:
    """Past 100 open incidents the picker searches as you type; the options request answers matching incidents."""
    cx = fake_many_open()
    async with running_bot(cx) as bot:
        view = await open_picker(bot)
        assert input_element(view)["type"] == "multi_external_select"
        request = suggestion(view, "payments")
        status, body = await bot.interactive(request)
        assert status == 200
        options = json.loads(body)["options"]
        assert [o["value"] for o in options] == [CRIT]
        calls = len(cx.calls_of("list"))
        status, body = await bot.interactive(request)
        assert json.loads(body)["options"] == options
        assert len(cx.calls_of("list")) == calls  # the same query again comes from the short cache


async def test_failing_coralogix_offers_a_retry_that_works() -> None:
    """A failing list call shows the reason, an error id and Try again; the retry then shows the incidents."""
    cx = fake_open()
    cx.statuses["list"] = 503
    async with running_bot(cx) as bot:
        view = await open_picker(bot)
        text = json.dumps(view)
        assert "Could not load" in text and "Error id" in text and ActionId.PICKER_RETRY in text
        assert "submit" not in view
        del cx.statuses["list"]
        await bot.click(ActionId.PICKER_RETRY.value, ts="x", view={**view, "id": "V0001"})
        await wait_for(lambda: BlockId.PICKER_INCIDENTS in json.dumps(bot.slack.views[-1]), what="list")
        assert [o["value"] for o in input_element(bot.slack.views[-1])["options"]] == [CRIT, WARN]


async def test_no_open_incidents_says_so() -> None:
    """With nothing open the modal says so and has nothing to submit."""
    cx = FakeCoralogix()
    cx.add(make_incident(DONE, "Old disk alert", status="INCIDENT_STATUS_RESOLVED"))
    async with running_bot(cx) as bot:
        view = await open_picker(bot)
        assert "No open incidents" in json.dumps(view)
        assert "submit" not in view


async def home_event(bot: Harness, user: str = "U0HOME") -> None:
    """Deliver app_home_opened for the Home tab."""
    event = {
        "type": EventType.APP_HOME_OPENED.value,
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1700000500.000100",
    }
    status, _ = await bot.event(event, event_id=f"EvHome{secrets.token_hex(3)}")
    assert status == 200


async def test_app_home_lists_open_incidents_with_resolve_buttons() -> None:
    """Opening Home publishes the open incidents, most severe first, each with a Resolve button (with confirm)."""
    async with running_bot(fake_open(), CORALOGIX_INCIDENT_URL="https://t.coralogix.com/#/incidents/{id}") as bot:
        await home_event(bot)
        await wait_for(lambda: bot.slack.called("views.publish"), what="home")
        publish = bot.slack.called("views.publish")[0].params
        assert publish["user_id"] == "U0HOME"
        view = bot.slack.views[-1]
        assert view["type"] == "home"
        buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
        resolves = [b for b in buttons if b["action_id"] == ActionId.HOME_RESOLVE]
        assert [b["value"] for b in resolves] == [CRIT, WARN]
        assert all("confirm" in b for b in resolves)
        links = [b["url"] for b in buttons if b["action_id"] == ActionId.HOME_OPEN]
        assert links[0] == f"https://t.coralogix.com/#/incidents/{CRIT}"
        text = json.dumps(view)
        assert "anyone in this workspace" in text and ActionId.HOME_REFRESH in text
        assert "Old disk alert" not in text


async def test_resolve_from_home_republishes_and_updates_the_alert_thread() -> None:
    """Resolve on Home: resolved in Coralogix, Home re-published without it, and the alert's thread gets a line."""
    cx = fake_open()
    cx.incidents[CRIT]["contextualLabels"]["alert_id"] = "alert-pay"
    async with running_bot(cx) as bot:
        status, _ = await bot.webhook({"alert_id": "alert-pay", "alert_name": "Payments down", "incident_id": CRIT})
        assert status == 202
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="alert message")
        await bot.settle()
        alert_ts = bot.slack.called("chat.postMessage")[0].answer["ts"]
        home = {"id": "VHOME", "type": "home", "blocks": []}
        await bot.click(ActionId.HOME_RESOLVE.value, ts="x", view=home, value=CRIT, user="U0HOME")
        await wait_for(lambda: bot.slack.called("views.publish"), what="home re-published")
        view = bot.slack.views[-1]
        assert "Resolved *Payments down*" in json.dumps(view)
        assert CRIT not in [e.get("value") for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert cx.incidents[CRIT]["status"] == "INCIDENT_STATUS_RESOLVED"
        await bot.settle()  # the alert message follows after the publish
        thread = [
            c.params["text"] for c in bot.slack.called("chat.postMessage") if c.params.get("thread_ts") == alert_ts
        ]
        assert len(thread) == 1
        assert "Resolved by <@U0HOME> from the App Home" in thread[0]


async def test_refresh_republishes_home() -> None:
    """The Refresh button publishes Home again with the current incidents."""
    cx = fake_open()
    async with running_bot(cx) as bot:
        await bot.click(ActionId.HOME_REFRESH.value, ts="x", view={"id": "VHOME", "type": "home"}, user="U0HOME")
        await wait_for(lambda: bot.slack.called("views.publish"), what="home")
        assert "Payments down" in json.dumps(bot.slack.views[-1])


async def test_help_command_is_one_ephemeral_screen() -> None:
    """`/resolve-incident help` answers ephemerally with every form and surface, and calls nothing."""
    async with running_bot(fake_open()) as bot:
        status, body = await bot.command("help")
        assert status == 200
        for words in ("pick from the open incidents", "*Resolve*", "`@bot resolve [note]`", "App Home"):
            assert words in body
        assert not bot.coralogix.calls


async def test_slow_search_answers_in_time_and_the_next_keystroke_gets_the_result() -> None:
    """Coralogix slower than the search deadline: a "slow" option in time, then the cached result."""
    cx = fake_many_open()
    async with running_bot(cx) as bot:
        view = await open_picker(bot)
        cx.delay = FAST_TIMINGS.search_deadline * 2
        request = suggestion(view, "Payments")
        started = asyncio.get_running_loop().time()
        status, body = await bot.interactive(request)
        assert status == 200
        assert asyncio.get_running_loop().time() - started < cx.delay
        assert [o["value"] for o in json.loads(body)["options"]] == ["slow"]
        await wait_for(lambda: cx.in_flight == 0, what="the slow search to finish")
        status, body = await bot.interactive(request)
        assert [o["value"] for o in json.loads(body)["options"]] == [CRIT]


async def test_expired_trigger_still_gets_an_answer_with_an_error_id() -> None:
    """When views.open fails after the ack (expired trigger), Slack still gets 200 and the user an error id."""
    async with running_bot(fake_open()) as bot:
        bot.slack.views_open_error = "expired_trigger_id"
        status, _ = await bot.command("", channel="C0WAR")
        assert status == 200
        await wait_for(lambda: bot.slack.responses, what="error reply")
        assert "expired_trigger_id" in bot.slack.responses[0]["text"]
        assert "Error id: `E" in bot.slack.responses[0]["text"]


async def test_picker_summary_reaches_a_channel_without_the_bot() -> None:
    """Where the bot is not a member, the picker's summary goes in_channel through the command's response_url."""
    slack = FakeSlack(channels_without_bot={"C0WAR"})
    async with running_bot(fake_open(), slack=slack) as bot:
        view = await open_picker(bot)
        await bot.interactive(submission(view, [CRIT]))
        await wait_for(lambda: slack.responses, what="response_url post")
        assert slack.responses[0]["response_type"] == "in_channel"
        assert "Resolved 1 of 1 incident" in slack.responses[0]["text"]
        assert not [c for c in slack.called("chat.postMessage") if c.params["channel"] == "U0PICK"]


async def test_home_resolve_with_a_refused_key_says_so_on_home() -> None:
    """When Coralogix refuses the key, Home is re-published with the reason and an error id."""
    async with running_bot(fake_open(), CORALOGIX_API_KEY="cx-wrong-key") as bot:
        await bot.click(ActionId.HOME_RESOLVE.value, ts="x", view={"id": "VHOME", "type": "home"}, value=CRIT)
        await wait_for(lambda: bot.slack.called("views.publish"), what="home")
        text = json.dumps(bot.slack.views[-1])
        assert "Could not resolve" in text and "CORALOGIX_API_KEY" in text and "error id `E" in text


async def test_bare_mention_in_a_channel_gets_the_help_with_the_right_lead() -> None:
    """A bare @bot in a channel (no thread) gets the help ephemerally, led by how to act on an alert."""
    async with running_bot(fake_open()) as bot:
        event = {
            "type": "app_mention",
            "user": "U0BARE",
            "text": "<@UBOT0001>",
            "ts": "1700000600.000100",
            "channel": "C0WAR",
            "event_ts": "1700000600.000100",
        }
        await bot.event(event, event_id="EvBare")
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="help")
        text = bot.slack.called("chat.postEphemeral")[0].params["text"]
        assert text.startswith("To act on an alert, mention me in the thread")
        assert "Resolving Coralogix incidents from Slack" in text


async def test_picker_never_hangs_on_loading_when_coralogix_does_not_answer() -> None:
    """Coralogix holding the list call past the load deadline: the modal says so and offers Try again."""
    cx = fake_open()
    cx.gate, cx.delay = asyncio.Event(), 15.0
    async with running_bot(cx) as bot:
        await bot.command("", channel="C0WAR")
        await wait_for(lambda: bot.slack.called("views.update"), within=5, what="the error view")
        text = json.dumps(bot.slack.views[-1])
        assert f"did not answer within {FAST_TIMINGS.load_deadline:g} s" in text
        assert ActionId.PICKER_RETRY in text
        cx.gate.set()
