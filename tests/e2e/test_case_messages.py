"""Case messages end to end on a Cases tenant (fake): webhook in, one message per case, re-rendered in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.ids import ActionId, BlockId, CallbackId
from bot.store import AlertRecord, AlertStatus
from bot.store.tables import MessageKind
from tests.e2e.harness import ALERT_CHANNEL, Harness, running_bot, view_submission
from tests.fakes.cases import ACKNOWLEDGED, ACTIVE, CLOSED, RESOLVED, make_case
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import wait_for

CASE_UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
CASE_REF = "CASE-12"


def case_body(event: str = "caseActivated", **case: Any) -> dict[str, Any]:
    """A case notification as the README's Notification Center template produces it."""
    dumped = {
        "id": CASE_UUID,
        "readableId": CASE_REF,
        "title": "Checkout latency p99 > 2s",
        "status": "CASE_STATUS_ACTIVE",
        "priority": "CASE_PRIORITY_P2",
        "labels": [{"key": "team", "value": "payments"}],
        "createTime": "2026-11-27T03:12:45Z",
        "deepLinks": {"detail": "https://team.app.coralogix.us/#/cases/CASE-12"},
        **case,
    }
    return {"_context": {"entityType": "cases", "entitySubType": event}, "case": dumped}


def attachment(params: dict[str, Any]) -> dict[str, Any]:
    """The one attachment of a case message, as sent to Slack."""
    attachments = params["attachments"]
    return dict((json.loads(attachments) if isinstance(attachments, str) else attachments)[0])


def buttons(params: dict[str, Any]) -> list[str]:
    """The action ids of a case message's buttons."""
    return [e["action_id"] for b in attachment(params)["blocks"] if b["type"] == "actions" for e in b["elements"]]


def posts(bot: Harness) -> list[dict[str, Any]]:
    """The messages the bot posted at the top of the channel (not in threads)."""
    return [c.params for c in bot.slack.called("chat.postMessage") if not c.params.get("thread_ts")]


def replies(bot: Harness, ts: str) -> list[str]:
    """The lines the bot posted in the thread of `ts`."""
    return [c.params["text"] for c in bot.slack.called("chat.postMessage") if c.params.get("thread_ts") == ts]


def last_update(bot: Harness) -> dict[str, Any]:
    """The latest chat.update the bot made."""
    return dict(bot.slack.called("chat.update")[-1].params)


async def notify(bot: Harness, body: dict[str, Any]) -> None:
    """Send a case notification, expect a 202, and wait until the bot has done with it."""
    status, answer = await bot.webhook(body)
    assert (status, answer) == (202, {"ok": True})
    await bot.settle()


async def posted_case(bot: Harness) -> str:
    """Post the case's message (an Activated notification); its ts."""
    await notify(bot, case_body())
    await wait_for(lambda: posts(bot), what="case message")
    return str(bot.slack.called("chat.postMessage")[0].answer["ts"])


async def test_an_activated_case_posts_one_message_with_its_buttons() -> None:
    """Activated → one case message in the alert channel with Resolve, Acknowledge, Close and Open."""
    async with running_bot() as bot:
        ts = await posted_case(bot)
        [message] = posts(bot)
        assert message["channel"] == ALERT_CHANNEL
        assert buttons(message) == [
            ActionId.CASE_RESOLVE,
            ActionId.ACKNOWLEDGE,
            ActionId.CASE_CLOSE,
            ActionId.OPEN_IN_CORALOGIX,
        ]
        assert "Checkout latency p99 &gt; 2s" in json.dumps(attachment(message))
        record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, ts)
        assert record is not None
        assert (record.kind, record.incident_id, record.status) == (MessageKind.CASE, CASE_REF, AlertStatus.TRIGGERED)
        assert not bot.coralogix.calls, "a notification needs no Coralogix call"


async def test_the_same_notification_twice_is_still_one_message() -> None:
    """A repeated Activated (Coralogix retried, or two replicas got it) neither posts again nor updates."""
    async with running_bot() as bot:
        await posted_case(bot)
        await notify(bot, case_body())
        await notify(bot, case_body(id=CASE_UUID, readableId=None))  # by its UUID only: the same case
        assert len(posts(bot)) == 1
        assert not bot.slack.called("chat.update")


@pytest.mark.parametrize(
    ("event", "status", "shown", "line", "left"),
    [
        (
            "caseAcknowledged",
            "CASE_STATUS_ACKNOWLEDGED",
            "Acknowledged in Coralogix",
            ":eyes: Acknowledged in Coralogix",
            [ActionId.CASE_RESOLVE, ActionId.CASE_CLOSE, ActionId.OPEN_IN_CORALOGIX],
        ),
        (
            "caseResolved",
            "CASE_STATUS_RESOLVED",
            "Resolved in Coralogix",
            ":white_check_mark: Resolved in Coralogix",
            [ActionId.OPEN_IN_CORALOGIX],
        ),
        (
            "caseClosed",
            "CASE_STATUS_CLOSED",
            "Closed as a false alarm in Coralogix",
            ":file_folder: Closed as a false alarm in Coralogix",
            [ActionId.OPEN_IN_CORALOGIX],
        ),
    ],
)
async def test_status_notifications_re_render_the_message_with_a_thread_line(
    event: str, status: str, shown: str, line: str, left: list[str]
) -> None:
    """Acknowledged, Resolved and Closed re-render the one message in place and add one thread line."""
    async with running_bot() as bot:
        ts = await posted_case(bot)
        await notify(bot, case_body(event, status=status))
        update = last_update(bot)
        assert (update["channel"], update["ts"]) == (ALERT_CHANNEL, ts)
        assert shown in json.dumps(attachment(update))
        assert buttons(update) == left
        [reply] = replies(bot, ts)
        assert reply.startswith(line)
        await notify(bot, case_body(event, status=status))  # the same again: nothing new
        assert len(replies(bot, ts)) == 1
        assert len(posts(bot)) == 1


async def test_an_assignee_change_re_renders_and_says_who_in_the_thread() -> None:
    """Assignee changed shows the new assignee on the message and one thread line; the status stays."""
    async with running_bot() as bot:
        ts = await posted_case(bot)
        await notify(bot, case_body("caseAssigneeChanged", assignee={"userId": "u-7", "email": "ana@example.com"}))
        update = last_update(bot)
        assert "ana@example.com" in json.dumps(attachment(update))
        assert ActionId.ACKNOWLEDGE in buttons(update)
        assert replies(bot, ts) == [replies(bot, ts)[0]]
        assert "Assigned to ana@example.com in Coralogix" in replies(bot, ts)[0]


async def test_a_late_activation_never_reopens_a_closed_case() -> None:
    """Notifications out of order: an Activated after Closed leaves the message closed."""
    async with running_bot() as bot:
        ts = await posted_case(bot)
        await notify(bot, case_body("caseClosed", status="CASE_STATUS_CLOSED"))
        await notify(bot, case_body())
        record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, ts)
        assert record is not None
        assert record.status is AlertStatus.CLOSED
        assert len(bot.slack.called("chat.update")) == 1


async def test_a_case_notification_may_name_only_an_allowed_channel() -> None:
    """The channel allow-list applies to cases as to alerts: another channel is refused with 403."""
    async with running_bot() as bot:
        status, answer = await bot.webhook({**case_body(), "channel": "C0ELSEWHERE"})
        assert status == 403
        assert "not allowed" in answer["error"]
        await bot.settle()
        assert not posts(bot)


async def test_a_malformed_case_body_is_a_400_that_says_why() -> None:
    """A case body without a usable case id is refused with 400 naming the field, never 5xx."""
    async with running_bot() as bot:
        status, answer = await bot.webhook({"_context": {"entityType": "cases"}, "case": {"title": "x"}})
        assert status == 400
        assert answer["error"] == "case notification: case_id is required"
        status, answer = await bot.webhook({"caseId": "{{ case.id }}"})
        assert status == 400
        assert "unreplaced template placeholder" in answer["error"]


async def test_an_alert_body_is_still_an_alert() -> None:
    """An alert notification is never read as a case: its validation errors are the alert's own."""
    async with running_bot() as bot:
        status, answer = await bot.webhook({"alert_name": "CPU"})
        assert status == 400
        assert answer["error"] == "alert_id is required"


async def test_a_resolve_before_the_activation_waits_for_the_message() -> None:
    """Resolved arriving before Activated posts nothing of its own; once the message exists it shows resolved."""
    async with running_bot(JOB_LEASE_SECONDS=3) as bot:  # jobs waiting are looked at every second
        status, _ = await bot.webhook(case_body("caseResolved", status="CASE_STATUS_RESOLVED"))
        assert status == 202
        await bot.settle()
        assert not posts(bot)
        ts = await posted_case(bot)
        await wait_for(lambda: replies(bot, ts), within=10, what="the waiting resolve")
        assert "Resolved in Coralogix" in json.dumps(attachment(last_update(bot)))
        assert len(posts(bot)) == 1
        assert replies(bot, ts)[0].startswith(":white_check_mark: Resolved in Coralogix")


# -- acting from the message ------------------------------------------------------------------------


def cases_tenant() -> FakeCoralogix:
    """A fake Coralogix on a Cases tenant holding the active case the notifications are about."""
    fake = FakeCoralogix()
    fake.cases.add(make_case(CASE_UUID, readable_id=CASE_REF))
    return fake


def case_status(bot: Harness) -> str:
    """The case's status in the fake Coralogix."""
    stored = bot.coralogix.cases.find(CASE_REF)
    assert stored is not None
    return str(stored["status"])


async def case_record(bot: Harness, ts: str) -> AlertRecord:
    """The stored record of the case message `ts`."""
    record = await bot.runtime.store.alerts.by_message(ALERT_CHANNEL, ts)
    assert record is not None
    return record


async def test_resolve_opens_a_modal_and_its_reason_goes_to_coralogix() -> None:
    """Resolve → a modal; submitted with a reason → the case is resolved with it, the message and thread say so."""
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases") as bot:
        ts = await posted_case(bot)
        assert (await bot.click(ActionId.CASE_RESOLVE, ts=ts, value=CASE_UUID))[0] == 200
        await wait_for(lambda: bot.slack.called("views.open"), what="the Resolve modal")
        view = bot.slack.called("views.open")[0].params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        assert view["callback_id"] == CallbackId.CASE_RESOLVE_MODAL
        assert not bot.coralogix.calls, "opening the modal changes nothing"
        reason = {BlockId.NOTE.value: {ActionId.NOTE.value: {"type": "plain_text_input", "value": "rolled back <v42>"}}}
        submitted = view_submission(CallbackId.CASE_RESOLVE_MODAL, reason, view["private_metadata"])
        assert (await bot.interactive(submitted))[0] == 200
        await bot.settle()
        assert case_status(bot) == RESOLVED
        [resolve] = [c for c in bot.coralogix.calls if c.operation.startswith("case_resolve")]
        assert resolve.body["reason"].startswith("rolled back <v42>")
        assert "Resolved by <@U0ONCALL>" in json.dumps(attachment(last_update(bot)))
        assert buttons(last_update(bot)) == [ActionId.OPEN_IN_CORALOGIX]
        [line] = replies(bot, ts)
        assert "Resolved by <@U0ONCALL>" in line
        assert "Reason: rolled back &lt;v42&gt;" in line
        assert (await case_record(bot, ts)).status is AlertStatus.RESOLVED


async def test_acknowledge_acknowledges_the_one_case_and_re_renders() -> None:
    """Acknowledge → one PUT for this case; the message shows who, without the Acknowledge button."""
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases") as bot:
        ts = await posted_case(bot)
        assert (await bot.click(ActionId.ACKNOWLEDGE, ts=ts, value=CASE_UUID))[0] == 200
        await bot.settle()
        assert case_status(bot) == ACKNOWLEDGED
        assert [c.method for c in bot.coralogix.calls if c.operation == "case_acknowledge"] == ["PUT"]
        update = last_update(bot)
        assert "Acknowledged by <@U0ONCALL>" in json.dumps(attachment(update))
        assert ActionId.ACKNOWLEDGE not in buttons(update)
        assert ActionId.CASE_RESOLVE in buttons(update)
        await notify(bot, case_body("caseAcknowledged", status="CASE_STATUS_ACKNOWLEDGED"))  # Coralogix's echo
        assert len(replies(bot, ts)) == 1


async def test_close_as_false_alarm_closes_the_case() -> None:
    """Close as false alarm (after Slack's confirm) → the case is closed; the message shows it, with no buttons."""
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases") as bot:
        ts = await posted_case(bot)
        confirm = next(
            e["confirm"]
            for b in attachment(posts(bot)[0])["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ActionId.CASE_CLOSE
        )
        assert confirm["confirm"]["text"] == "Close case"
        assert (await bot.click(ActionId.CASE_CLOSE, ts=ts, value=CASE_UUID))[0] == 200
        await bot.settle()
        assert case_status(bot) == CLOSED
        update = last_update(bot)
        assert "Closed as a false alarm by <@U0ONCALL>" in json.dumps(attachment(update))
        assert buttons(update) == [ActionId.OPEN_IN_CORALOGIX]
        assert (await case_record(bot, ts)).status is AlertStatus.CLOSED
        assert replies(bot, ts)[0].startswith(":file_folder: Closed as a false alarm by <@U0ONCALL>")
        assert (await bot.click(ActionId.CASE_CLOSE, ts=ts, value=CASE_UUID))[0] == 200  # a stale second click
        await bot.settle()
        assert len([c for c in bot.coralogix.calls if c.operation.startswith("case_close")]) == 1


async def test_the_open_link_needs_only_an_ack() -> None:
    """Open in Coralogix is a link: the click is acknowledged and nothing is called."""
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases") as bot:
        ts = await posted_case(bot)
        url = next(
            e["url"]
            for b in attachment(posts(bot)[0])["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ActionId.OPEN_IN_CORALOGIX
        )
        assert url == "https://team.app.coralogix.us/#/cases/CASE-12"
        assert (await bot.click(ActionId.OPEN_IN_CORALOGIX, ts=ts))[0] == 200
        await bot.settle()
        assert not bot.coralogix.calls
        assert not bot.slack.called("chat.update")


async def test_resolve_mentioned_in_the_case_thread_resolves_it() -> None:
    """`@bot resolve <reason>` in a case message's thread resolves the case with that reason."""
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases") as bot:
        ts = await posted_case(bot)
        event = {
            "type": "app_mention",
            "user": "U0THREAD",
            "text": "<@UBOT0001> resolve db failover done",
            "ts": "1700000100.000100",
            "channel": ALERT_CHANNEL,
            "event_ts": "1700000100.000100",
            "thread_ts": ts,
        }
        assert (await bot.event(event, event_id="EvCase1"))[0] == 200
        await bot.settle()
        assert case_status(bot) == RESOLVED
        line = next(r for r in replies(bot, ts) if "Resolved by" in r)
        assert "Resolved by <@U0THREAD> from the thread" in line
        assert "Reason: db failover done" in line


async def test_a_person_the_policy_refuses_leaves_the_message_as_it_was(tmp_path: Path) -> None:
    """Refused by the access policy: no Coralogix call, the message unchanged, the person told why."""
    policy = tmp_path / "access-policy.yml"
    policy.write_text(
        'rules:\n  - deny: [resolve, acknowledge, close]\n    users: [U0INTERN]\n    message: "Ask in #sre-help."\n'
    )
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases", ACCESS_POLICY=str(policy)) as bot:
        ts = await posted_case(bot)
        for action_id in (ActionId.ACKNOWLEDGE, ActionId.CASE_CLOSE):
            assert (await bot.click(action_id, ts=ts, user="U0INTERN", value=CASE_UUID))[0] == 200
        await bot.settle()
        assert not bot.coralogix.calls
        assert not bot.slack.called("chat.update")
        assert (await case_record(bot, ts)).status is AlertStatus.TRIGGERED
        assert case_status(bot) == ACTIVE
        said = [json.dumps(c.params) for c in bot.slack.calls] + [json.dumps(r) for r in bot.slack.responses]
        assert sum("#sre-help" in text for text in said) == 2  # each refusal answered, naming whom to ask


async def test_status_in_the_case_thread_reads_the_case() -> None:
    """`@bot status` in a case message's thread answers the message's state and the case's in Coralogix."""
    async with running_bot(cases_tenant(), CORALOGIX_ENTITY="cases") as bot:
        ts = await posted_case(bot)
        event = {
            "type": "app_mention",
            "user": "U0THREAD",
            "text": "<@UBOT0001> status",
            "ts": "1700000100.000200",
            "channel": ALERT_CHANNEL,
            "event_ts": "1700000100.000200",
            "thread_ts": ts,
        }
        assert (await bot.event(event, event_id="EvCase2"))[0] == 200
        await bot.settle()
        [line] = replies(bot, ts)
        assert line.endswith("· case `CASE-12` · in Coralogix: active")
        assert [c.operation for c in bot.coralogix.calls] == ["case_get"]
