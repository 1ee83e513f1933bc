"""The access policy on every surface: allowed people act, refused ones are told the rule and cost no
Coralogix call; bulk commands split per incident; group changes apply without a restart; all audited."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.ids import ActionId
from bot.store.audit import AuditRecord
from tests.e2e.harness import Harness, running_bot, view_submission
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.slack import FakeSlack

POLICY = """\
rules:
  - name: interns
    deny: [resolve, acknowledge]
    users: [U0INTERN]
    message: "Interns ask in #sre-help."
  - name: payments on-call
    allow: [resolve, acknowledge]
    usergroups: ["@oncall-payments"]
    incidents: {applications: [payments]}
  - name: critical
    deny: [resolve]
    incidents: {severities: [critical]}
    message: "Critical incidents are resolved by the incident commander: ask in #inc-room."
  - allow: [resolve]
    users: [U0SRE]
default: deny
"""
INCIDENT = "44444444-4444-4444-8444-444444444444"
PAYMENTS = "55555555-5555-4555-8555-555555555555"  # application payments, error
OTHER = "66666666-6666-4666-8666-666666666666"  # application checkout, error
CRITICAL = "77777777-7777-4777-8777-777777777777"  # application checkout, critical
PAY_CRITICAL = "88888888-8888-4888-8888-888888888888"  # application payments, critical
GROUP = {"id": "S0PAY", "handle": "oncall-payments", "users": ["U0PAY"]}
RESOLVED = "INCIDENT_STATUS_RESOLVED"


def cx() -> FakeCoralogix:
    """A fake Coralogix with the incidents the tests act on."""
    fake = FakeCoralogix()
    alerted = make_incident(INCIDENT, severity="INCIDENT_SEVERITY_ERROR")
    alerted["contextualLabels"]["alert_id"] = "a1"
    fake.add(alerted)
    fake.add(make_incident(PAYMENTS, severity="INCIDENT_SEVERITY_ERROR", application="payments"))
    fake.add(make_incident(OTHER, severity="INCIDENT_SEVERITY_ERROR"))
    fake.add(make_incident(CRITICAL))
    fake.add(make_incident(PAY_CRITICAL, application="payments"))
    return fake


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The access policy of these tests, as a file."""
    path = tmp_path / "access-policy.yml"
    path.write_text(POLICY)
    return path


def slack() -> FakeSlack:
    """Fake Slack with the on-call group and names for the audit."""
    fake = FakeSlack()
    fake.usergroups = [dict(GROUP)]
    fake.people = {"U0SRE": {"id": "U0SRE", "real_name": "Sam Sre", "profile": {"email": "sam@example.com"}}}
    return fake


async def alert(bot: Harness) -> str:
    """Post the alert message of INCIDENT; its ts."""
    assert (await bot.webhook({"alert_id": "a1", "alert_name": "Disk full", "incident_id": INCIDENT}))[0] == 202
    await bot.settle()
    return str(bot.slack.called("chat.postMessage")[0].answer["ts"])


def submission(user: str, callback_id: str, values: dict[str, Any], metadata: str) -> dict[str, Any]:
    """A modal submission by `user` of the bot's own workspace."""
    return view_submission(callback_id, values, metadata, user=user)


Surface = Callable[[Harness, str, str], Awaitable[Any]]


async def command(bot: Harness, user: str, ts: str) -> Any:
    return await bot.command(INCIDENT, user=user)


async def button(bot: Harness, user: str, ts: str) -> Any:
    return await bot.click(ActionId.RESOLVE, ts=ts, user=user)


async def picker(bot: Harness, user: str, ts: str) -> Any:
    picked = {"picker_incidents": {"picker_picked": {"selected_options": [{"value": INCIDENT}]}}}
    return await bot.interactive(submission(user, "resolve_incident_picker", picked, '{"channel": "C0ALERTS"}'))


async def shortcut(bot: Harness, user: str, ts: str) -> Any:
    chosen = {"incidents": {"selected": {"selected_options": [{"value": INCIDENT}]}}}
    metadata = json.dumps({"channel": "C0ALERTS", "thread_ts": ts})
    return await bot.interactive(submission(user, "resolve_incidents_in_message_modal", chosen, metadata))


async def thread(bot: Harness, user: str, ts: str) -> Any:
    mention = {
        "type": "app_mention",
        "user": user,
        "text": "<@UBOT0001> resolve",
        "ts": "1700000100.000100",
        "thread_ts": ts,
        "channel": "C0ALERTS",
        "event_ts": "1700000100.000100",
    }
    return await bot.event(mention, event_id=f"Ev{user}")


async def home(bot: Harness, user: str, ts: str) -> Any:
    view = {"id": "VHOME", "type": "home", "blocks": []}
    return await bot.click(ActionId.HOME_RESOLVE, ts="x", view=view, value=INCIDENT, user=user)


async def open_home(bot: Harness, user: str) -> None:
    """`user` opens the bot's App Home tab."""
    await bot.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id=f"EvHome{user}")
    await bot.settle()


SURFACES: dict[str, Surface] = {
    "command": command,
    "button": button,
    "picker": picker,
    "shortcut": shortcut,
    "thread": thread,
    "home": home,
}


def told(bot: Harness, since: int) -> str:
    """Everything the bot said to Slack since call number `since`, and every response_url post."""
    said = [json.dumps(call.params) for call in bot.slack.calls[since:]]
    return "\n".join([*said, *(json.dumps(r) for r in bot.slack.responses)])


async def audit(bot: Harness) -> list[AuditRecord]:
    """The audit records of this run, oldest first."""
    return await bot.runtime.store.audit.query()


@pytest.mark.parametrize("surface", sorted(SURFACES))
async def test_a_refused_person_is_told_the_rule_and_nothing_is_called(policy_file: Path, surface: str) -> None:
    """The intern is refused by rule 1 on every surface: 0 Coralogix calls, the rule and whom to ask named."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        ts = await alert(bot)
        if surface == "home":  # the tab they click in was opened a moment ago: shown again, not read again
            await open_home(bot, "U0INTERN")
        before, said = len(bot.coralogix.calls), len(bot.slack.calls)
        await SURFACES[surface](bot, "U0INTERN", ts)
        await bot.settle()
        assert bot.coralogix.calls[before:] == []
        answer = told(bot, said)
        assert "rule 1 (interns)" in answer and "#sre-help" in answer
        assert bot.slack.called("chat.update") == []  # the alert message stays as it was for everyone
        assert bot.coralogix.incidents[INCIDENT]["status"] != RESOLVED
        assert "chat.postMessage" not in {c.method for c in bot.slack.calls[said:]} or surface == "thread"
        (record,) = [r for r in await audit(bot) if r.user == "U0INTERN"]
        assert (record.surface, record.decision, record.rule) == (surface, "refused", "rule 1 (interns)")
        assert record.outcomes == {INCIDENT: "refused"}


@pytest.mark.parametrize("surface", sorted(SURFACES))
async def test_an_allowed_person_resolves(policy_file: Path, surface: str) -> None:
    """U0SRE is allowed by rule 4 on every surface: the incident is resolved and the audit says by which rule."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        ts = await alert(bot)
        await SURFACES[surface](bot, "U0SRE", ts)
        await bot.settle()
        assert bot.coralogix.incidents[INCIDENT]["status"] == RESOLVED
        (record,) = [r for r in await audit(bot) if r.user == "U0SRE"]
        assert (record.surface, record.decision, record.rule) == (surface, "allowed", "rule 4")
        assert record.outcomes == {INCIDENT: "resolved"}
        assert (record.user_name, record.user_email) == ("Sam Sre", "sam@example.com")
        assert record.coralogix_ms is not None and record.coralogix_ms >= 0


async def test_a_refusal_by_the_incident_names_the_rule_and_never_resolves(policy_file: Path) -> None:
    """A rule about the incident's severity reads it (one read) and refuses with the rule's message."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        await bot.command(CRITICAL, user="U0SRE")
        await bot.settle()
        assert [c.operation for c in bot.coralogix.calls] == ["batch_get"]  # the read the rule needs, no resolve
        answer = told(bot, 0)
        assert "rule 3 (critical)" in answer and "#inc-room" in answer
        assert bot.slack.called("chat.postMessage") == []  # refused in full: only the person hears it


async def test_a_bulk_command_resolves_exactly_the_allowed_ids(policy_file: Path) -> None:
    """Four ids, mixed: the payments on-call resolves the two payments ones; each refused id has its reason."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        await bot.command(f"{PAYMENTS} {OTHER} {PAY_CRITICAL} {CRITICAL}", user="U0PAY")
        await bot.settle()
        resolved = {i for i, incident in bot.coralogix.incidents.items() if incident["status"] == RESOLVED}
        assert resolved == {PAYMENTS, PAY_CRITICAL}
        asked = {i for call in bot.coralogix.calls if call.operation == "resolve" for i in call.body["incidentIds"]}
        assert asked == {PAYMENTS, PAY_CRITICAL}
        assert [c.operation for c in bot.coralogix.calls] == [
            "batch_get",
            "resolve",
        ]  # the policy's read is the pre-check
        (summary,) = bot.slack.called("chat.postMessage")
        text = json.dumps(summary.params)
        assert "Resolved 2 of 4 incidents (2 not allowed)" in text
        assert "rule 3 (critical)" in text and "default: deny" in text
        (record,) = await audit(bot)
        assert record.decision == "partly"
        assert record.outcomes == {
            PAYMENTS: "resolved",
            OTHER: "refused",
            PAY_CRITICAL: "resolved",
            CRITICAL: "refused",
        }
        assert record.rule == "rule 2 (payments on-call); default; rule 3 (critical)"


async def test_a_group_change_applies_at_the_next_action_without_restart(policy_file: Path) -> None:
    """U0NEW is refused; Slack says they joined @oncall-payments; their next command resolves."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        await bot.command(PAYMENTS, user="U0NEW")
        await bot.settle()
        assert bot.coralogix.incidents[PAYMENTS]["status"] != RESOLVED
        event = {"type": "subteam_members_changed", "subteam_id": "S0PAY", "added_users": ["U0NEW"]}
        assert (await bot.event({**event, "event_ts": "1.1"}, event_id="EvJoin"))[0] == 200
        await bot.settle()
        await bot.command(PAYMENTS, user="U0NEW")
        await bot.settle()
        assert bot.coralogix.incidents[PAYMENTS]["status"] == RESOLVED
        assert [r.decision for r in await audit(bot)] == ["refused", "allowed"]
        assert len(bot.slack.called("usergroups.list")) == 1  # the event applied; no reload needed


async def test_a_group_left_refuses_at_the_next_action(policy_file: Path) -> None:
    """Removed from the group by an event, the payments on-call may no longer resolve."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        event = {"type": "subteam_members_changed", "subteam_id": "S0PAY", "removed_users": ["U0PAY"]}
        await bot.command(OTHER, user="U0PAY")  # loads the groups (and is refused: not payments)
        await bot.settle()
        await bot.event({**event, "event_ts": "1.1"}, event_id="EvLeave")
        await bot.settle()
        await bot.command(PAYMENTS, user="U0PAY")
        await bot.settle()
        assert bot.coralogix.incidents[PAYMENTS]["status"] != RESOLVED


async def test_app_home_says_what_the_person_may_do_and_hides_buttons(policy_file: Path) -> None:
    """On Home, the payments on-call sees the sentence and Resolve only on payments incidents."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        await open_home(bot, "U0PAY")
        (published,) = bot.slack.called("views.publish")
        view = published.params["view"]
        if isinstance(view, str):
            view = json.loads(view)
        text = json.dumps(view)
        assert "You may resolve" in text and "application payments" in text
        resolvable = {
            element["value"]
            for block in view["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element.get("action_id") == ActionId.HOME_RESOLVE
        }
        assert resolvable == {PAYMENTS, PAY_CRITICAL}


async def test_a_guest_refusal_is_audited(policy_file: Path) -> None:
    """A Slack Connect guest's command is refused at the gate and recorded as a refusal."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        await bot.command(INCIDENT, user="U0GUEST", team="T0GUEST")
        await bot.settle()
        (record,) = await audit(bot)
        assert (record.kind, record.user, record.team, record.decision) == ("refusal", "U0GUEST", "T0GUEST", "refused")
        assert bot.coralogix.calls == []


async def test_slack_retrying_a_refused_event_records_it_once(policy_file: Path) -> None:
    """A guest's mention that Slack delivers again (X-Slack-Retry-Num) is one refusal on record."""
    async with running_bot(cx(), slack(), ACCESS_POLICY=str(policy_file)) as bot:
        mention = {
            "type": "app_mention",
            "user": "U0GUEST",
            "user_team": "T0GUEST",
            "text": "<@UBOT0001> resolve",
            "ts": "1700000100.000100",
            "channel": "C0ALERTS",
            "event_ts": "1700000100.000100",
        }
        await bot.event(mention, event_id="EvGuest")
        await bot.event(mention, event_id="EvGuest", retry_num=1)
        await bot.settle()
        assert [(r.kind, r.user) for r in await audit(bot)] == [("refusal", "U0GUEST")]
