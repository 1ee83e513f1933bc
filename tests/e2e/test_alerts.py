"""Alert messages end to end: webhook in, message with buttons, clicks, thread commands, shortcut, sync."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.ids import ActionId
from bot.store import AlertStatus
from bot.store.db import STALE_CLAIM, AlertMessageRow
from tests.e2e.harness import ALERT_CHANNEL, WEBHOOK_SECRET, Harness, running_bot
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack

INCIDENT = "33333333-3333-4333-8333-333333333333"
ALERT_ID = "alert-7f3a"


def notification(**overrides: Any) -> dict[str, Any]:
    """A notification as the README's outbound-webhook template produces it."""
    body = {
        "alert_id": ALERT_ID,
        "alert_name": "Checkout 5xx rate high",
        "alert_action": "trigger",
        "severity": "Critical",
        "description": "5xx above 5% for 10 minutes",
        "alert_url": "https://team.app.coralogix.us/#/alerts/x",
        "application": "checkout",
        "subsystem": "payments-api",
        "timestamp": "2026-11-27T03:12:45.123Z",
        "incident_id": INCIDENT,
    }
    return {**body, **overrides}


def cx_with_incident(**kwargs: Any) -> FakeCoralogix:
    """A fake Coralogix holding the alert's triggered incident, labelled with the alert id."""
    cx = FakeCoralogix()
    incident = make_incident(INCIDENT, "Checkout 5xx rate high", **kwargs)
    incident["contextualLabels"]["alert_id"] = ALERT_ID
    cx.add(incident)
    return cx


def attachment_blocks(call_params: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks of the alert message's attachment, as sent to Slack."""
    attachments = call_params["attachments"]
    if isinstance(attachments, str):
        attachments = json.loads(attachments)
    return attachments[0]["blocks"]


def buttons(call_params: dict[str, Any]) -> list[str]:
    """The action ids of the message's buttons."""
    return [e["action_id"] for b in attachment_blocks(call_params) if b["type"] == "actions" for e in b["elements"]]


async def settled(bot: Harness) -> None:
    """Wait until the bot has no work in flight (notifications are handled after the 202)."""
    await bot.settle()


async def post_alert(bot: Harness, **overrides: Any) -> str:
    """Send a notification and wait for the alert message; returns its ts."""
    status, _ = await bot.webhook(notification(**overrides))
    assert status == 202
    await wait_for(lambda: bot.slack.called("chat.postMessage"), what="alert message")
    await settled(bot)
    return str(bot.slack.called("chat.postMessage")[0].answer["ts"])


def thread_replies(bot: Harness, ts: str) -> list[str]:
    """The texts the bot posted in the thread of `ts`."""
    return [c.params["text"] for c in bot.slack.called("chat.postMessage") if c.params.get("thread_ts") == ts]


async def test_webhook_posts_alert_with_three_buttons() -> None:
    """A notification becomes an alert message with Resolve (confirm), Acknowledge and Open in Coralogix."""
    async with running_bot(cx_with_incident()) as bot:
        await post_alert(bot)
        post = bot.slack.called("chat.postMessage")[0]
        assert post.params["channel"] == ALERT_CHANNEL
        assert buttons(post.params) == [ActionId.RESOLVE, ActionId.ACKNOWLEDGE, ActionId.OPEN_IN_CORALOGIX]
        resolve = next(e for b in attachment_blocks(post.params) if b["type"] == "actions" for e in b["elements"])
        assert resolve["style"] == "primary" and "confirm" in resolve
        assert "Checkout 5xx rate high" in json.dumps(attachment_blocks(post.params))


async def test_click_resolves_updates_message_and_replies_in_thread() -> None:
    """Resolve click: "Resolving…" without buttons, Coralogix resolves, message re-rendered, one thread line."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        status, _ = await bot.click(ActionId.RESOLVE, ts=ts)
        assert status == 200
        await wait_for(lambda: bot.slack.called("chat.postMessage")[1:], what="thread reply")
        updates = bot.slack.called("chat.update")
        assert "Resolving" in json.dumps(attachment_blocks(updates[0].params))
        assert buttons(updates[0].params) == [ActionId.OPEN_IN_CORALOGIX]
        assert "Resolved by <@U0ONCALL>" in json.dumps(attachment_blocks(updates[-1].params))
        assert buttons(updates[-1].params) == [ActionId.OPEN_IN_CORALOGIX]
        reply = bot.slack.called("chat.postMessage")[1]
        assert reply.params["thread_ts"] == ts
        assert "Resolved by <@U0ONCALL>" in reply.params["text"]
        assert len(bot.coralogix.calls_of("resolve")) == 1
        assert bot.coralogix.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_RESOLVED"


async def test_click_answers_the_clicker_only_when_something_is_wrong() -> None:
    """A successful click gets no ephemeral noise; the message and the thread say it all."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        await bot.click(ActionId.RESOLVE, ts=ts)
        await bot.settle()
        assert thread_replies(bot, ts)
        assert not bot.slack.called("chat.postEphemeral")


async def test_three_near_simultaneous_clicks_call_coralogix_once(database_url: str) -> None:
    """Three clicks at once (SQLite and PostgreSQL): one resolve call, one thread reply, the others told who."""
    cx = cx_with_incident()
    async with running_bot(cx, DATABASE_URL=database_url) as bot:
        ts = await post_alert(bot)
        cx.delay = 0.3
        users = ["U0AAA", "U0BBB", "U0CCC"]
        results = await asyncio.gather(*(bot.click(ActionId.RESOLVE, ts=ts, user=u) for u in users))
        assert all(status == 200 for status, _ in results)
        await bot.settle()
        assert len(bot.slack.called("chat.postEphemeral")) == 2
        assert len(cx.calls_of("resolve")) == 1
        assert len(thread_replies(bot, ts)) == 1
        refusals = [c.params["text"] for c in bot.slack.called("chat.postEphemeral")]
        assert all("Already being resolved by" in t or "Already resolved by" in t for t in refusals)


async def test_click_after_resolution_says_who_resolved_it() -> None:
    """A click on an already-resolved alert makes no Coralogix call and names who resolved it and when."""
    cx = cx_with_incident()
    async with running_bot(cx) as bot:
        ts = await post_alert(bot)
        await bot.click(ActionId.RESOLVE, ts=ts, user="U0FIRST")
        await wait_for(lambda: thread_replies(bot, ts), what="thread reply")
        await bot.click(ActionId.RESOLVE, ts=ts, user="U0LATE")
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="refusal")
        text = bot.slack.called("chat.postEphemeral")[0].params["text"]
        assert "Already resolved by <@U0FIRST>" in text and "<!date^" in text
        assert len(cx.calls_of("resolve")) == 1


async def test_failing_coralogix_puts_the_buttons_back() -> None:
    """Coralogix failing: buttons come back, the clicker gets reason and error id, the thread one line."""
    cx = cx_with_incident()
    async with running_bot(cx) as bot:
        ts = await post_alert(bot)
        cx.failures.extend([500] * 10)
        await bot.click(ActionId.RESOLVE, ts=ts)
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), within=15, what="failure message")
        updates = bot.slack.called("chat.update")
        assert buttons(updates[-1].params) == [ActionId.RESOLVE, ActionId.ACKNOWLEDGE, ActionId.OPEN_IN_CORALOGIX]
        text = bot.slack.called("chat.postEphemeral")[0].params["text"]
        assert "Could not resolve" in text and "Error id: `E" in text
        (line,) = thread_replies(bot, ts)
        assert "tried to resolve" in line and "error id `E" in line
        assert bot.coralogix.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_TRIGGERED"


async def test_acknowledge_then_resolve() -> None:
    """Acknowledge shows who acknowledged and keeps Resolve; a later Resolve ends with no action buttons."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        await bot.click(ActionId.ACKNOWLEDGE, ts=ts, user="U0ACK")
        await wait_for(lambda: thread_replies(bot, ts), what="ack line")
        last = bot.slack.called("chat.update")[-1].params
        assert "Acknowledged by <@U0ACK>" in json.dumps(attachment_blocks(last))
        assert buttons(last) == [ActionId.RESOLVE, ActionId.OPEN_IN_CORALOGIX]
        await bot.click(ActionId.RESOLVE, ts=ts, user="U0RES")
        await wait_for(lambda: len(thread_replies(bot, ts)) == 2, what="resolve line")
        assert buttons(bot.slack.called("chat.update")[-1].params) == [ActionId.OPEN_IN_CORALOGIX]


async def test_acknowledge_refused_explains_the_personal_key() -> None:
    """A 403 on acknowledge tells the clicker that Coralogix wants a personal API key for it."""
    cx = cx_with_incident()
    cx.statuses["acknowledge"] = 403
    async with running_bot(cx) as bot:
        ts = await post_alert(bot)
        await bot.click(ActionId.ACKNOWLEDGE, ts=ts)
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="failure message")
        assert "personal" in bot.slack.called("chat.postEphemeral")[0].params["text"]


@pytest.mark.parametrize(
    ("secret", "in_query", "expected"),
    [
        (None, False, 401),
        ("wrong-secret-wrong-secret", False, 401),
        ("wrong-secret-wrong-secret", True, 401),
        (WEBHOOK_SECRET, True, 202),
        (WEBHOOK_SECRET, False, 202),
    ],
    ids=["missing", "wrong-header", "wrong-query", "query-token", "bearer"],
)
async def test_webhook_authentication(secret: str | None, in_query: bool, expected: int) -> None:
    """Only the shared secret, as a Bearer header or ?token=, gets a notification in; spoofs post nothing."""
    async with running_bot(cx_with_incident()) as bot:
        status, _ = await bot.webhook(notification(), secret=secret, in_query=in_query)
        assert status == expected
        await settled(bot)
        assert bool(bot.slack.called("chat.postMessage")) is (expected == 202)


async def test_webhook_without_a_configured_secret_is_404() -> None:
    """With no CORALOGIX_WEBHOOK_SECRET the route answers 404, as if absent."""
    async with running_bot(cx_with_incident(), CORALOGIX_WEBHOOK_SECRET=None) as bot:
        status, _ = await bot.webhook(notification())
        assert status == 404


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"alert_name": "x"}).encode(), "alert_id is required"),
        (json.dumps({"alert_id": "a"}).encode(), "alert_name is required"),
        (json.dumps({"alert_id": "a", "alert_name": "b", "alert_action": "explode"}).encode(), "alert_action"),
        (json.dumps({"alert_id": "a", "alert_name": "b", "pad": "x" * 300_000}).encode(), "256 KiB"),
    ],
    ids=["invalid-json", "not-object", "no-alert-id", "no-alert-name", "bad-action", "too-large"],
)
async def test_webhook_rejects_bad_bodies_with_the_reason(raw: bytes, reason: str) -> None:
    """Invalid bodies get 400 and a reason, and nothing is posted."""
    async with running_bot(cx_with_incident()) as bot:
        status, body = await bot.webhook(None, raw=raw)
        assert status == 400
        assert reason in body["error"]
        await settled(bot)
        assert not bot.slack.called("chat.postMessage")


async def test_notification_without_incident_id_finds_it_by_label() -> None:
    """Without incident_id the bot lists open incidents labelled with the alert id and binds the message to one."""
    cx = cx_with_incident()
    async with running_bot(cx) as bot:
        ts = await post_alert(bot, incident_id=None)
        (lookup,) = cx.calls_of("list")
        assert lookup.body["filter"]["contextualLabels"] == {"alert_id": {"contextualLabelValues": [ALERT_ID]}}
        assert set(lookup.body["filter"]["status"]) == {"INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATUS_ACKNOWLEDGED"}
        record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, ts)
        assert record is not None and record.incident_id == INCIDENT


async def test_incident_not_found_yet_is_looked_up_at_click_time() -> None:
    """No incident at notification time: the alert is posted anyway, and the click looks it up again."""
    cx = FakeCoralogix()
    async with running_bot(cx) as bot:
        ts = await post_alert(bot, incident_id=None)
        assert len(cx.calls_of("list")) >= 2  # retried for a few seconds
        incident = make_incident(INCIDENT, "Checkout 5xx rate high")
        incident["contextualLabels"]["alert_id"] = ALERT_ID
        cx.add(incident)
        await bot.click(ActionId.RESOLVE, ts=ts)
        await wait_for(lambda: thread_replies(bot, ts), what="thread reply")
        assert cx.calls_of("resolve")[0].body == {"incidentIds": [INCIDENT]}


async def test_resolve_notification_rerenders_the_message() -> None:
    """A resolve notification turns the alert message into "Resolved in Coralogix" and adds one thread line."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        status, _ = await bot.webhook(notification(alert_action="resolved"))
        assert status == 202
        await settled(bot)
        update = bot.slack.called("chat.update")[-1]
        assert update.params["ts"] == ts
        assert "Resolved in Coralogix" in json.dumps(attachment_blocks(update.params))
        assert buttons(update.params) == [ActionId.OPEN_IN_CORALOGIX]
        assert thread_replies(bot, ts) == [thread_replies(bot, ts)[0]]
        assert "Resolved in Coralogix" in thread_replies(bot, ts)[0]
        assert len(bot.slack.called("chat.postMessage")) == 2  # the alert and the one thread line


async def test_command_in_another_channel_updates_the_alert_message() -> None:
    """/resolve-incident elsewhere re-renders the incident's alert message and adds a thread line."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        await bot.command(INCIDENT, channel="C0OTHER", user="U0CMD")
        await wait_for(lambda: thread_replies(bot, ts), what="thread line")
        (line,) = thread_replies(bot, ts)
        assert "Resolved by <@U0CMD> via /resolve-incident" in line
        update = bot.slack.called("chat.update")[-1]
        assert update.params["ts"] == ts and "via /resolve-incident" in json.dumps(attachment_blocks(update.params))


def mention(text: str, ts: str, *, thread_ts: str | None) -> dict[str, Any]:
    """An app_mention event, in a thread when `thread_ts` is given."""
    event = {
        "type": "app_mention",
        "user": "U0THREAD",
        "text": text,
        "ts": ts,
        "channel": ALERT_CHANNEL,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def test_thread_mention_resolves_with_a_note() -> None:
    """`@bot resolve <note>` in the alert's thread resolves it, and the note is in the thread line."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        status, _ = await bot.event(
            mention("<@UBOT0001> resolve rolled back v42 <!here>", "1700000100.000100", thread_ts=ts), event_id="Ev1"
        )
        assert status == 200
        await wait_for(lambda: thread_replies(bot, ts), what="thread line")
        (line,) = thread_replies(bot, ts)
        assert "Resolved by <@U0THREAD> from the thread" in line
        assert "Note: rolled back v42 &lt;!here&gt;" in line
        assert len(bot.coralogix.calls_of("resolve")) == 1


async def test_retried_event_does_not_act_twice() -> None:
    """The same event delivered again (X-Slack-Retry-Num, same event_id) is ignored."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        event = mention("<@UBOT0001> ack", "1700000100.000200", thread_ts=ts)
        await bot.event(event, event_id="Ev2")
        await bot.event(event, event_id="Ev2", retry_num=1)
        await bot.event(event, event_id="Ev2", retry_num=2)
        await bot.settle()
        acks = bot.coralogix.calls_of("acknowledge")
        assert len(acks) == 1
        assert len(thread_replies(bot, ts)) == 1


async def test_status_in_thread_and_help_outside() -> None:
    """`@bot status` in an alert thread reports the state; a mention elsewhere gets the help, ephemerally."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        await bot.event(mention("<@UBOT0001> status", "1700000100.000300", thread_ts=ts), event_id="Ev3")
        await wait_for(lambda: thread_replies(bot, ts), what="status")
        assert "Triggered" in thread_replies(bot, ts)[0] and INCIDENT in thread_replies(bot, ts)[0]
        await bot.event(mention("<@UBOT0001> resolve", "1700000200.000100", thread_ts=None), event_id="Ev4")
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="help")
        help_call = bot.slack.called("chat.postEphemeral")[0].params
        assert help_call["user"] == "U0THREAD"
        assert "Resolving Coralogix incidents from Slack" in help_call["text"]
        assert not bot.coralogix.calls_of("resolve")


async def test_message_shortcut_modal_submit_resolves_and_replies_in_thread() -> None:
    """Shortcut on a message naming ids: loading modal, then names and states; submit resolves and replies in thread."""
    second = "44444444-4444-4444-8444-444444444444"
    cx = cx_with_incident()
    cx.add(make_incident(second, "Queue backlog", status="INCIDENT_STATUS_RESOLVED"))
    async with running_bot(cx) as bot:
        message: dict[str, Any] = {
            "type": "message",
            "ts": "1700000300.000100",
            "user": "U0CX",
            "text": f"Coralogix: incident https://team.app.coralogix.us/#/incidents/{INCIDENT}",
            "attachments": [{"fallback": f"also {second}"}],
        }
        status, _ = await bot.interactive(
            {
                "type": "message_action",
                "callback_id": "resolve_incidents_in_message",
                "trigger_id": "1.2.t",
                "user": {"id": "U0SHORT"},
                "team": {"id": "T111"},
                "channel": {"id": "C0OTHER"},
                "message": message,
                "response_url": bot.slack.response_url,
                "message_ts": message["ts"],
                "action_ts": "1700000300.000200",
            }
        )
        assert status == 200
        await wait_for(lambda: bot.slack.called("views.update"), what="filled modal")
        opened = bot.slack.called("views.open")[0].params
        assert "Looking up 2" in json.dumps(opened["view"])
        filled = bot.slack.views[-1]
        assert "Checkout 5xx rate high" in json.dumps(filled) and "Queue backlog" in json.dumps(filled)
        select = next(b for b in filled["blocks"] if b.get("block_id") == "incidents")
        assert [o["value"] for o in select["element"]["options"]] == [INCIDENT]
        submission = {
            "type": "view_submission",
            "user": {"id": "U0SHORT"},
            "team": {"id": "T111"},
            "trigger_id": "1.2.u",
            "view": {
                **filled,
                "id": "V0001",
                "state": {
                    "values": {
                        "incidents": {
                            "selected": {"type": "multi_static_select", "selected_options": [{"value": INCIDENT}]}
                        },
                        "note": {"note_text": {"type": "plain_text_input", "value": "fixed by rollback"}},
                    }
                },
            },
        }
        status, _ = await bot.interactive(submission)
        assert status == 200
        await wait_for(lambda: thread_replies(bot, message["ts"]), what="thread reply")
        reply = next(c for c in bot.slack.called("chat.postMessage") if c.params.get("thread_ts") == message["ts"])
        assert reply.params["channel"] == "C0OTHER"
        assert "Resolved 1 of 1 incident" in reply.params["text"]
        assert "fixed by rollback" in json.dumps(reply.params["blocks"])
        assert cx.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_RESOLVED"


async def test_message_shortcut_without_ids_offers_nothing_to_submit() -> None:
    """A message with no incident ids gets a modal that says so, without a submit button."""
    async with running_bot(cx_with_incident()) as bot:
        await bot.interactive(
            {
                "type": "message_action",
                "callback_id": "resolve_incidents_in_message",
                "trigger_id": "1.2.t",
                "user": {"id": "U0SHORT"},
                "team": {"id": "T111"},
                "channel": {"id": "C0OTHER"},
                "message": {"type": "message", "ts": "1700000400.000100", "text": "lunch?"},
                "response_url": bot.slack.response_url,
                "action_ts": "1",
            }
        )
        await wait_for(lambda: bot.slack.called("views.open"), what="modal")
        view = bot.slack.views[0]
        assert "No Coralogix incident ids" in json.dumps(view)
        assert "submit" not in view


async def test_submit_with_nothing_selected_shows_a_modal_error() -> None:
    """Submitting the modal with no incident picked answers response_action errors and resolves nothing."""
    async with running_bot(cx_with_incident()) as bot:
        status, body = await bot.interactive(
            {
                "type": "view_submission",
                "user": {"id": "U0SHORT"},
                "team": {"id": "T111"},
                "view": {
                    "id": "V1",
                    "type": "modal",
                    "callback_id": "resolve_incidents_in_message_modal",
                    "private_metadata": "{}",
                    "state": {"values": {"incidents": {"selected": {"selected_options": []}}}},
                },
            }
        )
        assert status == 200
        assert json.loads(body)["response_action"] == "errors"
        assert not bot.coralogix.calls_of("resolve")


async def test_click_on_an_untracked_message_says_so() -> None:
    """A click on a message the store does not know gets an ephemeral explanation and no Coralogix call."""
    async with running_bot(cx_with_incident()) as bot:
        await bot.click(ActionId.RESOLVE, ts="1600000000.000001")
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="explanation")
        assert "don't have this alert on record" in bot.slack.called("chat.postEphemeral")[0].params["text"]
        assert not bot.coralogix.calls


async def test_resolve_notification_after_a_button_resolve_posts_nothing_new() -> None:
    """Coralogix's "resolved" notification after our own resolve neither posts a message nor adds a line."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        await bot.click(ActionId.RESOLVE, ts=ts)
        await wait_for(lambda: thread_replies(bot, ts), what="thread reply")
        status, _ = await bot.webhook(notification(alert_action="resolved"))
        assert status == 202
        await settled(bot)
        top_level = [c for c in bot.slack.called("chat.postMessage") if "thread_ts" not in c.params]
        assert len(top_level) == 1
        assert len(thread_replies(bot, ts)) == 1


async def test_late_acknowledge_never_reopens_a_resolved_alert() -> None:
    """An Acknowledge still in flight when Coralogix reports the alert resolved leaves it resolved."""
    cx = cx_with_incident()
    async with running_bot(cx) as bot:
        ts = await post_alert(bot)
        cx.gate, cx.delay = asyncio.Event(), 5.0
        await bot.click(ActionId.ACKNOWLEDGE, ts=ts, user="U0ACK")
        await wait_for(lambda: cx.in_flight == 1, what="acknowledge in flight")
        await bot.webhook(notification(alert_action="resolved"))
        await wait_for(lambda: thread_replies(bot, ts), what="resolved line")
        cx.gate.set()
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="answer to the late click")
        await settled(bot)
        record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, ts)
        assert record is not None and record.status == "resolved" and record.pending_action is None
        assert all("Acknowledged" not in line for line in thread_replies(bot, ts))
        assert "Resolved in Coralogix" in json.dumps(attachment_blocks(bot.slack.called("chat.update")[-1].params))
        assert "Already resolved" in bot.slack.called("chat.postEphemeral")[0].params["text"]


async def test_repeated_trigger_changes_nothing_even_mid_click() -> None:
    """A repeated trigger notification neither adds a line nor brings buttons back while a resolve is in flight."""
    cx = cx_with_incident()
    async with running_bot(cx) as bot:
        ts = await post_alert(bot)
        cx.gate, cx.delay = asyncio.Event(), 5.0
        await bot.click(ActionId.RESOLVE, ts=ts)
        await wait_for(lambda: cx.in_flight == 1, what="resolve in flight")
        updates_before = len(bot.slack.called("chat.update"))
        await bot.webhook(notification())
        held = lambda: len(bot.runtime.worker) == 1 and not len(bot.runtime.tasks)  # noqa: E731 - one condition
        await wait_for(held, what="all but the held click to finish")
        assert len(bot.slack.called("chat.update")) == updates_before  # still "Resolving…", no buttons back
        await bot.click(ActionId.RESOLVE, ts=ts, user="U0SECOND")
        await wait_for(lambda: bot.slack.called("chat.postEphemeral"), what="refusal")
        cx.gate.set()
        await wait_for(lambda: thread_replies(bot, ts), what="resolved line")
        await settled(bot)
        assert len(cx.calls_of("resolve")) == 1
        assert len(thread_replies(bot, ts)) == 1


async def test_new_incident_of_the_same_alert_gets_its_own_message() -> None:
    """A trigger for another incident of an alert whose message shows an open incident posts a new message."""
    second = "88888888-8888-4888-8888-888888888888"
    cx = cx_with_incident()
    cx.add(make_incident(second, "Checkout 5xx rate high"))
    async with running_bot(cx) as bot:
        await post_alert(bot)
        status, _ = await bot.webhook(notification(incident_id=second))
        assert status == 202
        await settled(bot)
        top_level = [c for c in bot.slack.called("chat.postMessage") if "thread_ts" not in c.params]
        assert len(top_level) == 2
        record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, str(top_level[1].answer["ts"]))
        assert record is not None and record.incident_id == second


async def test_webhook_answers_before_any_slow_work_and_reads_chunked_bodies() -> None:
    """The 202 comes while Coralogix still holds the lookup; a body sent in pieces is read whole."""
    cx = cx_with_incident()
    cx.gate, cx.delay = asyncio.Event(), 5.0
    async with running_bot(cx) as bot:
        body = json.dumps(notification(incident_id=None, description="x" * 20_000)).encode()

        async def pieces():  # chunked transfer encoding: several writes
            for start in range(0, len(body), 4096):
                yield body[start : start + 4096]

        url = f"{bot.bot_url}/coralogix/webhook"
        async with bot.http.post(url, data=pieces(), headers={"Authorization": f"Bearer {WEBHOOK_SECRET}"}) as answer:
            assert answer.status == 202
        await wait_for(lambda: cx.in_flight == 1, what="the lookup to reach Coralogix")
        assert cx.completed == 0  # answered while the lookup still waits on Coralogix
        cx.gate.set()
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="alert message")


async def test_failed_modal_submit_reaches_the_user_by_dm() -> None:
    """When resolving after a modal submit fails (key refused) where the bot cannot answer in the channel,
    the user gets the reason and an error id by DM."""
    slack = FakeSlack(channels_without_bot={"C0OTHER"})
    async with running_bot(cx_with_incident(), slack=slack, CORALOGIX_API_KEY="cx-wrong-key") as bot:
        submission = {
            "type": "view_submission",
            "user": {"id": "U0SHORT"},
            "team": {"id": "T111"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "resolve_incidents_in_message_modal",
                "private_metadata": json.dumps({"channel": "C0OTHER", "thread_ts": "1.000001"}),
                "state": {"values": {"incidents": {"selected": {"selected_options": [{"value": INCIDENT}]}}}},
            },
        }
        status, _ = await bot.interactive(submission)
        assert status == 200
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="DM")
        dm = bot.slack.called("chat.postMessage")[0].params
        assert dm["channel"] == "U0SHORT"
        assert "CORALOGIX_API_KEY" in dm["text"] and "Error id: `E" in dm["text"]


async def test_messages_left_resolving_get_their_buttons_back_at_start() -> None:
    """A claim left by a crash (older than the stale limit) is released at start and the message re-rendered."""
    async with running_bot(cx_with_incident()) as bot:
        ts = await post_alert(bot)
        record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, ts)
        assert record is not None
        await bot.runtime.store.alerts.claim(
            record.id, action="resolve", user="U0GONE", allowed_from={AlertStatus.TRIGGERED}
        )
        async with bot.runtime.store.engine.begin() as connection:
            await connection.execute(
                update(AlertMessageRow)
                .where(AlertMessageRow.id == record.id)
                .values(pending_since=datetime.now(UTC) - STALE_CLAIM - timedelta(seconds=1))
            )
        assert await bot.runtime.services.alerts.recover_stale_claims() == 1
        last = bot.slack.called("chat.update")[-1].params
        assert buttons(last) == [ActionId.RESOLVE, ActionId.ACKNOWLEDGE, ActionId.OPEN_IN_CORALOGIX]
