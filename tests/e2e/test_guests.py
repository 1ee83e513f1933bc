"""Slack Connect guests and other apps: refused on every surface, with no Coralogix call."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import ActionId
from tests.e2e.harness import Harness, running_bot, view_submission
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for

INCIDENT = "33333333-3333-4333-8333-333333333333"
GUEST_TEAM = "T0GUEST"
SHORTCUT_METADATA = '{"channel": "C0ALERTS", "thread_ts": "1.1"}'


def cx() -> FakeCoralogix:
    """A fake Coralogix with one open incident of alert `a1`."""
    fake = FakeCoralogix()
    incident = make_incident(INCIDENT)
    incident["contextualLabels"]["alert_id"] = "a1"
    fake.add(incident)
    return fake


async def alert(bot: Harness) -> str:
    """Post the incident's alert message (as the bot's own workspace would see it); its ts."""
    assert (await bot.webhook({"alert_id": "a1", "alert_name": "Disk full", "incident_id": INCIDENT}))[0] == 202
    await bot.settle()
    return str(bot.slack.called("chat.postMessage")[0].answer["ts"])


def submission(callback_id: str, values: dict[str, Any], metadata: str, team: str) -> dict[str, Any]:
    """A modal submission by the guest, a person of `team`."""
    return view_submission(callback_id, values, metadata, user="U0GUEST", team=team)


async def every_surface(bot: Harness, ts: str, team: str, app: str = "A111") -> list[tuple[int, str]]:
    """The six surfaces, each used once by a person of `team` (through `app`)."""
    picked = {"picker_incidents": {"picker_picked": {"selected_options": [{"value": INCIDENT}]}}}
    shortcut = {"incidents": {"selected": {"selected_options": [{"value": INCIDENT}]}}}
    mention = {
        "type": "app_mention",
        "user": "U0GUEST",
        "user_team": team,
        "text": "<@UBOT0001> resolve",
        "ts": "1700000100.000100",
        "thread_ts": ts,
        "channel": "C0ALERTS",
        "event_ts": "1700000100.000100",
    }
    home = {"id": "VHOME", "type": "home", "blocks": []}
    answers = [
        await bot.command(INCIDENT, user="U0GUEST", team=team, app=app),
        await bot.click(ActionId.RESOLVE, ts=ts, user="U0GUEST", team=team, app=app),
        await bot.interactive(submission("resolve_incident_picker", picked, '{"channel": "C0ALERTS"}', team)),
        await bot.interactive(
            submission(
                "resolve_incidents_in_message_modal", shortcut, '{"channel": "C0ALERTS", "thread_ts": "1.1"}', team
            )
        ),
        await bot.event({**mention, "user_team": team}, event_id=f"Ev{team}"),
        await bot.click(ActionId.HOME_RESOLVE, ts="x", view=home, value=INCIDENT, user="U0GUEST", team=team, app=app),
    ]
    await bot.settle()
    return answers


async def test_a_guest_from_another_workspace_is_refused_everywhere_with_no_coralogix_call() -> None:
    """Command, click, picker, shortcut, thread mention, Home: no resolve, no read, and the guest told why."""
    async with running_bot(cx()) as bot:
        ts = await alert(bot)
        before = len(bot.coralogix.calls)
        answers = await every_surface(bot, ts, GUEST_TEAM)
        assert all(status == 200 for status, _ in answers)
        assert len(bot.coralogix.calls) == before
        assert "SLACK_ALLOWED_TEAMS" in answers[0][1]  # the command's ack says it
        assert "SLACK_ALLOWED_TEAMS" in json.dumps(json.loads(answers[2][1]))  # the modal is updated to say it
        assert all(r["response_type"] == "ephemeral" for r in bot.slack.responses)
        assert bot.coralogix.incidents[INCIDENT]["status"] != "INCIDENT_STATUS_RESOLVED"
        assert len(bot.slack.called("chat.update")) == 0  # the message's buttons stay as they were


async def test_an_allowed_team_may_act() -> None:
    """A team listed in SLACK_ALLOWED_TEAMS passes the gate (its command resolves)."""
    async with running_bot(cx(), SLACK_ALLOWED_TEAMS=GUEST_TEAM) as bot:
        await bot.command(INCIDENT, user="U0GUEST", team=GUEST_TEAM)
        await bot.settle()
        assert bot.coralogix.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_RESOLVED"


async def test_a_request_for_another_app_is_refused() -> None:
    """A signed request naming another api_app_id does nothing (the bot's own is known from Slack)."""
    async with running_bot(cx()) as bot:
        status, body = await bot.command(INCIDENT, app="A0OTHER")
        await bot.settle()
        assert status == 200 and "another Slack app" in body
        assert bot.coralogix.calls == []


async def test_home_team_unknown_refuses_nobody() -> None:
    """When auth.test fails the gate has no home team and lets the person through (it never refuses on doubt)."""
    fake = cx()
    async with running_bot(fake) as bot:
        bot.slack.team_id = ""
        await bot.command(INCIDENT, team=GUEST_TEAM)
        await wait_for(
            lambda: bot.coralogix.incidents[INCIDENT]["status"] == "INCIDENT_STATUS_RESOLVED", what="resolve"
        )
