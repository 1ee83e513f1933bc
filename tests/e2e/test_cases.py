"""Coralogix Cases on every surface, end to end: signed requests into the running bot, fake Slack and a
fake Coralogix whose Cases half checks every call against cases-v5.yaml.

A tenant set to `cases` makes no incidents call for an action, a picker or App Home; one set to
`incidents` makes no Cases call unless someone names a readable case id.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from bot.app import Timings
from bot.ids import ActionId, BlockId, EventType
from tests.e2e.harness import FAST_TIMINGS, Harness, running_bot
from tests.factories import uuid
from tests.fakes.cases import ACTIVE, CLOSED, RESOLVED, lean_case, make_case
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack

P1_CASE = "a1a1a1a1-0000-4000-8000-000000000001"  # CASE-101, P1, team payments
P2_CASE = "a2a2a2a2-0000-4000-8000-000000000002"  # CASE-102, P2
UUID_CASE = "a3a3a3a3-0000-4000-8000-000000000003"  # CASE-103, named by its UUID
INCIDENT = "11111111-1111-4111-8111-111111111111"
# The fake checks each Cases call against the spec; the first check of a worker loads it (seconds).
VIEW_TIMINGS = Timings(lookup_interval=FAST_TIMINGS.lookup_interval, load_deadline=20.0)
JANE = {"id": "U0ONCALL", "real_name": "Jane Doe", "profile": {"real_name": "Jane Doe", "display_name": "jane"}}


def cases_fake() -> FakeCoralogix:
    """A fake Coralogix holding three active cases (and one incident no Cases tenant may touch)."""
    cx = FakeCoralogix()
    cx.cases.add(
        make_case(
            P1_CASE, "Payments down", readable_id="CASE-101", priority="CASE_PRIORITY_P1", labels={"team": "pay"}
        ),
        make_case(P2_CASE, "Checkout slow", readable_id="CASE-102", priority="CASE_PRIORITY_P2"),
        make_case(UUID_CASE, "Queue backlog", readable_id="CASE-103", priority="CASE_PRIORITY_P3"),
    )
    cx.add(make_incident(INCIDENT, "An incident"))
    return cx


def named_slack() -> FakeSlack:
    """Fake Slack that knows Jane's name and the channel's (channels:read granted)."""
    slack = FakeSlack(scopes="commands,chat:write,channels:read,users:read")
    slack.people = {"U0ONCALL": JANE, "U0PICK": {**JANE, "id": "U0PICK"}, "U0HOME": {**JANE, "id": "U0HOME"}}
    slack.channels = {"C0ALERTS": {"id": "C0ALERTS", "name": "payments"}, "C0WAR": {"id": "C0WAR", "name": "war"}}
    return slack


def only_cases_calls(cx: FakeCoralogix) -> bool:
    """No request of the bot went to an incidents path."""
    return bool(cx.calls) and all(str(c.operation).startswith("case_") for c in cx.calls)


async def summary(bot: Harness, within: float = 30.0) -> dict[str, Any]:
    """The summary the command or picker posted (after every job is done)."""
    await wait_for(lambda: bot.slack.called("chat.postMessage"), within=within, what="summary")
    await bot.settle()
    return dict(bot.slack.called("chat.postMessage")[0].params)


async def test_command_resolves_readable_ids_and_a_uuid_on_a_cases_tenant() -> None:
    """`CASE-101 CASE-102 <uuid>`: one bulk resolve with the ids as typed, a comment per case naming Jane and the
    channel, the audit record, and not one incidents call."""
    cx = cases_fake()
    async with running_bot(cx, named_slack(), CORALOGIX_ENTITY="cases") as bot:
        status, body = await bot.command(f"CASE-101 CASE-102 {UUID_CASE.upper()}")
        assert status == 200 and "Resolving 3" in body
        post = await summary(bot)
        assert "Resolved 3 of 3" in post["text"]
        assert "Payments down" in json.dumps(post["blocks"]) and "CASE-101" in json.dumps(post["blocks"])
        (resolve,) = cx.calls_of("case_resolve")
        assert resolve.body["ids"] == ["CASE-101", "CASE-102", UUID_CASE]
        assert {cx.cases.status_of(i) for i in (P1_CASE, P2_CASE, UUID_CASE)} == {RESOLVED}
        assert cx.cases.comments == {
            case: ["Resolved from Slack by Jane Doe (@jane) in #payments"] for case in (P1_CASE, P2_CASE, UUID_CASE)
        }
        assert only_cases_calls(cx)
        (record,) = await bot.runtime.store.audit.query()
        assert record.user == "U0ONCALL" and record.verb == "resolve"
        assert record.outcomes == {"CASE-101": "resolved", "CASE-102": "resolved", UUID_CASE: "resolved"}


async def test_1500_case_ids_take_two_resolve_calls() -> None:
    """1 500 readable case ids in one command: exactly two bulk resolves (1 000 and 500), every case resolved."""
    cx = FakeCoralogix()
    cx.cases.add(*(lean_case(uuid(n)) for n in range(1, 1501)))
    # The 1 500 comments come after the summary, one call each; the fake checks each against the spec
    # (~30 ms apiece), so the test stops at the summary and hands the rest back at once.
    async with running_bot(cx, SHUTDOWN_GRACE_SECONDS=0, CORALOGIX_ENTITY="cases") as bot:
        status, body = await bot.command(" ".join(f"CASE-{n}" for n in range(1, 1501)))
        assert status == 200 and "Resolving 1500" in body
        await wait_for(lambda: bot.slack.called("chat.postMessage"), within=60.0, what="summary")
        assert "Resolved 1500 of 1500" in bot.slack.called("chat.postMessage")[0].params["text"]
        assert [len(ids) for ids in cx.ids_of("case_resolve")] == [1000, 500]
        assert all(case["status"] == RESOLVED for case in cx.cases.cases.values())
        assert only_cases_calls(cx)


async def test_close_as_false_alarm_from_the_command() -> None:
    """`close CASE-102`: the case is closed (no resolve), the summary says so, the comment says who closed it."""
    cx = cases_fake()
    async with running_bot(cx, named_slack()) as bot:  # an incidents tenant: a readable id is a case all the same
        status, body = await bot.command("close CASE-102")
        assert status == 200 and "Closing 1 case as false alarm" in body
        post = await summary(bot)
        assert "1 closed" in post["text"]
        assert cx.cases.status_of(P2_CASE) == CLOSED
        assert not cx.calls_of("case_resolve") and not cx.calls_of("case_resolve_one")
        assert cx.cases.comments[P2_CASE] == ["Closed as a false alarm from Slack by Jane Doe (@jane) in #payments"]
        assert only_cases_calls(cx)


async def test_close_of_an_incident_id_is_answered_without_a_call() -> None:
    """`close <incident uuid>` on an incidents tenant: the summary says close is for Cases; nothing is called."""
    cx = cases_fake()
    async with running_bot(cx) as bot:
        await bot.command(f"close {INCIDENT}")
        post = await summary(bot)
        assert "close is for Coralogix Cases" in json.dumps(post["blocks"])
        assert cx.calls == []


def picker_submission(view: dict[str, Any], picked: list[str], note: str) -> dict[str, Any]:
    """The picker's view_submission with `picked` and a note."""
    values = {
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


async def test_picker_lists_open_cases_and_a_long_note_is_the_bulk_reason() -> None:
    """The picker shows open cases (priority, title, age); an 800-character note goes as the reason of the bulk
    resolve (the single-case call takes 500), and into the comment."""
    cx = cases_fake()
    cx.cases.add(make_case("a4a4a4a4-0000-4000-8000-000000000004", "Old one", status=RESOLVED))
    note = "Rolled back the deploy. " * 33  # 792 characters
    async with running_bot(cx, named_slack(), VIEW_TIMINGS, CORALOGIX_ENTITY="cases") as bot:
        await bot.command("", channel="C0WAR")
        await wait_for(lambda: bot.slack.called("views.update"), within=30.0, what="filled picker")
        view = bot.slack.views[-1]
        select = next(b for b in view["blocks"] if b.get("block_id") == BlockId.PICKER_INCIDENTS)
        options = select["element"]["options"]
        assert [o["value"] for o in options] == ["CASE-101", "CASE-102", "CASE-103"]  # most urgent first, no resolved
        assert options[0]["text"]["text"].startswith("P1 · Payments down · ")
        assert "CASE-101" in options[0]["text"]["text"]
        status, _ = await bot.interactive(picker_submission(view, ["CASE-102"], note))
        assert status == 200
        await summary(bot)
        (resolve,) = cx.calls_of("case_resolve")
        assert resolve.body == {"ids": ["CASE-102"], "reason": note.strip()}
        assert not cx.calls_of("case_resolve_one")
        stored = cx.cases.find(P2_CASE)
        assert stored is not None and stored["resolutionDetails"]["reason"] == note.strip()
        assert cx.cases.comments[P2_CASE] == [f"Resolved from Slack by Jane Doe (@jane) in #war: {note.strip()}"]
        assert only_cases_calls(cx)


async def test_policy_refuses_a_case_by_its_priority(tmp_path: Path) -> None:
    """A rule on `priorities: [P1]` refuses the P1 case and lets the P2 one through (the cases read once, for the
    policy and the resolve alike); the audit names the rule."""
    policy = tmp_path / "policy.yml"
    policy.write_text(
        "rules:\n"
        "  - name: p1 cases\n"
        "    deny: [resolve, close]\n"
        "    incidents: {priorities: [P1]}\n"
        '    message: "P1 cases are resolved by the incident commander."\n'
        "default: allow\n"
    )
    cx = cases_fake()
    async with running_bot(cx, ACCESS_POLICY=str(policy), CORALOGIX_ENTITY="cases") as bot:
        await bot.command("CASE-101 CASE-102")
        post = await summary(bot)
        text = json.dumps(post["blocks"])
        assert "incident commander" in text
        assert cx.cases.status_of(P1_CASE) == ACTIVE and cx.cases.status_of(P2_CASE) == RESOLVED
        assert [c.ids for c in cx.calls if "resolve" in c.operation] == [["CASE-102"]]
        assert [c.ids for c in cx.calls_of("case_get")] == [["CASE-101"], ["CASE-102"]]  # the policy's read, reused
        (record,) = await bot.runtime.store.audit.query()
        assert record.outcomes == {"CASE-101": "refused", "CASE-102": "resolved"}
        assert record.rule is not None and "p1 cases" in record.rule
        assert only_cases_calls(cx)


async def home_opened(bot: Harness, user: str = "U0HOME") -> None:
    """Deliver app_home_opened for the Home tab."""
    event = {"type": EventType.APP_HOME_OPENED.value, "user": user, "channel": "D0HOME", "tab": "home"}
    status, _ = await bot.event({**event, "event_ts": "1700000500.000100"}, event_id=f"Ev{secrets.token_hex(4)}")
    assert status == 200


async def test_app_home_lists_open_cases_and_resolves_one() -> None:
    """App Home on a Cases tenant: the open cases with priority and age, Resolve on each; a click resolves it."""
    cx = cases_fake()
    async with running_bot(cx, named_slack(), VIEW_TIMINGS, CORALOGIX_ENTITY="cases") as bot:
        await home_opened(bot)
        await wait_for(lambda: bot.slack.called("views.publish"), within=30.0, what="home")
        view = bot.slack.views[-1]
        text = json.dumps(view)
        assert "Open Coralogix cases" in text and "Payments down" in text and "P1 \\u00b7 open" in text
        buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
        resolves = [b["value"] for b in buttons if b["action_id"] == ActionId.HOME_RESOLVE]
        assert resolves == ["CASE-101", "CASE-102", "CASE-103"]
        home = {"id": "VHOME", "type": "home", "blocks": []}
        await bot.click(ActionId.HOME_RESOLVE.value, ts="x", view=home, value="CASE-101", user="U0HOME")
        await wait_for(lambda: cx.cases.status_of(P1_CASE) == RESOLVED, what="resolved")
        await bot.settle()
        assert cx.cases.comments[P1_CASE] == ["Resolved from Slack by Jane Doe (@jane)"]  # Home is in no channel
        assert only_cases_calls(cx)


async def test_shortcut_finds_case_ids_and_case_links_in_a_message() -> None:
    """The message shortcut lists the cases a message names (a CASE- id, a case link), and resolves the picked."""
    cx = cases_fake()
    message = {
        "type": "message",
        "ts": "1700000300.000100",
        "text": "CASE-101 is bad, see <https://acme.app.coralogix.test/#/cases/CASE-102|the case>; SHA-256 is not one",
    }
    async with running_bot(cx, named_slack()) as bot:
        await bot.interactive(
            {
                "type": "message_action",
                "callback_id": "resolve_incidents_in_message",
                "trigger_id": "1.2.t",
                "user": {"id": "U0ONCALL"},
                "team": {"id": "T111"},
                "channel": {"id": "C0ALERTS"},
                "message": message,
                "response_url": bot.slack.response_url,
                "message_ts": message["ts"],
                "action_ts": "1700000300.000200",
            }
        )
        await wait_for(lambda: bot.slack.called("views.update"), within=30.0, what="filled modal")
        filled = bot.slack.views[-1]
        assert "Looking up 2" in json.dumps(bot.slack.called("views.open")[0].params["view"])
        assert "Payments down" in json.dumps(filled) and "Checkout slow" in json.dumps(filled)
        select = next(b for b in filled["blocks"] if b.get("block_id") == BlockId.SHORTCUT_INCIDENTS)
        assert [o["value"] for o in select["element"]["options"]] == ["CASE-101", "CASE-102"]
        values = {
            BlockId.SHORTCUT_INCIDENTS.value: {
                ActionId.SHORTCUT_PICKED.value: {
                    "type": "multi_static_select",
                    "selected_options": [{"value": "CASE-102"}],
                }
            },
            BlockId.NOTE.value: {ActionId.NOTE.value: {"type": "plain_text_input", "value": None}},
        }
        submission = {
            "type": "view_submission",
            "user": {"id": "U0ONCALL"},
            "team": {"id": "T111"},
            "view": {**filled, "id": "V0001", "state": {"values": values}},
        }
        status, _ = await bot.interactive(submission)
        assert status == 200
        await wait_for(lambda: cx.cases.status_of(P2_CASE) == RESOLVED, what="resolved")
        await bot.settle()
        assert cx.cases.status_of(P1_CASE) == ACTIVE
        assert cx.cases.comments[P2_CASE] == ["Resolved from Slack by Jane Doe (@jane) in #payments"]
        assert only_cases_calls(cx)


async def test_an_incidents_tenant_makes_no_cases_call() -> None:
    """With CORALOGIX_ENTITY=incidents (the default), a UUID is an incident: command, picker and Home call only
    incidents paths."""
    cx = cases_fake()
    async with running_bot(cx, timings=VIEW_TIMINGS) as bot:
        await bot.command(INCIDENT)
        await summary(bot)
        await bot.command("", channel="C0WAR")
        await wait_for(lambda: bot.slack.called("views.update"), what="filled picker")
        await home_opened(bot)
        await wait_for(lambda: bot.slack.called("views.publish"), what="home")
        await bot.settle()
        assert cx.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_RESOLVED"
        assert cx.calls and not any(str(c.operation).startswith("case_") for c in cx.calls)
        assert cx.cases.comments == {}


async def test_a_failed_comment_changes_no_outcome() -> None:
    """Coralogix refuses the comment (500): the case is resolved all the same and the summary says so."""
    cx = cases_fake()
    cx.statuses = {"case_comment": 500}
    async with running_bot(cx, named_slack(), CORALOGIX_ENTITY="cases") as bot:
        await bot.command("CASE-102")
        post = await summary(bot)
        assert "Resolved 1 of 1" in post["text"]
        assert cx.cases.status_of(P2_CASE) == RESOLVED
        assert cx.calls_of("case_comment") and cx.cases.comments == {}
        (record,) = await bot.runtime.store.audit.query()
        assert record.outcomes == {"CASE-102": "resolved"}


async def test_the_comment_falls_back_to_ids_when_slack_gives_no_names() -> None:
    """Without users.info answers and channels:read, the comment names the user id and the channel id, and
    the channel is asked once for two actions."""
    cx = cases_fake()
    async with running_bot(cx, CORALOGIX_ENTITY="cases") as bot:
        await bot.command("CASE-101")
        await summary(bot)
        await bot.command("CASE-102")
        await wait_for(lambda: len(bot.slack.called("chat.postMessage")) == 2, what="second summary")
        await bot.settle()
        assert cx.cases.comments[P1_CASE] == ["Resolved from Slack by Slack user U0ONCALL in #C0ALERTS"]
        assert cx.cases.comments[P2_CASE] == ["Resolved from Slack by Slack user U0ONCALL in #C0ALERTS"]
        assert len(bot.slack.called("conversations.info")) == 1


async def test_an_alert_notification_on_a_cases_tenant_asks_no_incidents_path() -> None:
    """On a Cases tenant an alert notification is posted as usual, but the incidents API is never asked about it
    (no label lookup, no reconcile): its alerts open cases, which case notifications bring."""
    cx = cases_fake()
    async with running_bot(cx, CORALOGIX_ENTITY="cases") as bot:
        body = {
            "alert_id": "alert-7f3a",
            "alert_name": "Checkout 5xx",
            "alert_action": "trigger",
            "severity": "Critical",
        }
        status, _ = await bot.webhook(body)
        assert status == 202
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="alert message")
        await bot.settle()
        assert await bot.runtime.services.alerts.reconcile() == 0
        assert cx.calls == []
