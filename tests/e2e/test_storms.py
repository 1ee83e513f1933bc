"""Storm mode end to end, with the fake Slack enforcing Slack's rate limits: one storm message per channel."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.ids import ActionId
from bot.services.alert_model import Handled
from tests.e2e.cluster import cluster
from tests.e2e.harness import ALERT_CHANNEL, FAST_TIMINGS, Harness, running_bot
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack, RateLimits

STORM_TIMINGS = replace(FAST_TIMINGS, storm_render_every=0.2, storm_look_every=0.2)
# Slack's limits in the fake and the writer's pace in the bot, both this many times faster: the same
# race between them (the writer must stay under the fake's limits, which answers 429 past them),
# sat out in a fifth of the time. The click test keeps Slack's real limits, which its 3 s and 5 s are about.
SPEEDUP = 5
PACE = {"SLACK_POSTS_PER_SECOND": 1.0 * SPEEDUP, "SLACK_UPDATES_PER_MINUTE": 45 * SPEEDUP}


def incident_id(n: int) -> str:
    """The incident of alert `n`."""
    return f"5707a000-0000-4000-8000-{n:012d}"


def alert(n: int, **overrides: Any) -> dict[str, Any]:
    """Alert `n`'s trigger notification (severity: every third one critical, else warning)."""
    severity = "Critical" if n % 3 == 0 else "Warning"
    body = {
        "alert_id": f"storm-alert-{n}",
        "alert_name": f"Disk full on node {n % 4}",
        "severity": severity,
        "incident_id": incident_id(n),
    }
    return {**body, **overrides}


def coralogix(count: int) -> FakeCoralogix:
    """A fake Coralogix holding the open incidents of alerts 0..count-1."""
    cx = FakeCoralogix()
    cx.add(*(make_incident(incident_id(n)) for n in range(count)))
    return cx


def storm_calls(slack: FakeSlack) -> list[Any]:
    """Every post and update of a storm message, in order."""
    return [
        c
        for c in slack.calls
        if c.method in ("chat.postMessage", "chat.update") and "storm_head" in json.dumps(c.params.get("blocks"))
    ]


def alert_posts(slack: FakeSlack) -> list[Any]:
    """Alert messages posted one by one."""
    return [c for c in slack.called("chat.postMessage") if c.params.get("attachments")]


def latest_storm(slack: FakeSlack) -> str:
    """The storm message as last sent, as JSON text."""
    calls = storm_calls(slack)
    assert calls, "no storm message"
    return json.dumps(calls[-1].params["blocks"])


def storm_button(slack: FakeSlack, action_id: str) -> dict[str, Any]:
    """A button of the storm message as last sent."""
    blocks = storm_calls(slack)[-1].params["blocks"]
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


async def deliver(bot: Harness, numbers: range, *, per_second: float | None = None) -> None:
    """The trigger notifications of alerts `numbers`: all at once, or `per_second`."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(i: int, n: int) -> int:
        if per_second:
            await asyncio.sleep(max(0.0, start + i / per_second - loop.time()))
        return (await bot.webhook(alert(n)))[0]

    assert set(await asyncio.gather(*(one(i, n) for i, n in enumerate(numbers)))) == {202}


async def storm_of(bot: Harness, count: int, *, first: int = 3) -> None:
    """`first` alerts posted one by one, then the rest at once (a storm, with threshold `first`)."""
    await deliver(bot, range(first))
    await wait_for(lambda: len(alert_posts(bot.slack)) == first, what="the alerts before the storm")
    await deliver(bot, range(first, count))
    await bot.settle()
    await wait_for(lambda: f"*{count} alerts*" in latest_storm(bot.slack) if storm_calls(bot.slack) else False)


def limited(speedup: float = SPEEDUP) -> FakeSlack:
    """A fake Slack that answers 429 with Retry-After over Slack's limits, `speedup` times faster (see SPEEDUP)."""
    real = RateLimits()
    return FakeSlack(
        limits=RateLimits(posts_per_second=real.posts_per_second * speedup, update_window=real.update_window / speedup)
    )


async def test_crossing_the_threshold_makes_one_storm_message_with_the_earlier_alerts() -> None:
    """Past the threshold, alerts get no message of their own: one storm message counts them all, earlier ones too."""
    async with running_bot(coralogix(12), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 12)
        assert len(alert_posts(bot.slack)) == 3
        posts = [c for c in storm_calls(bot.slack) if c.method == "chat.postMessage"]
        assert len(posts) == 1
        text = latest_storm(bot.slack)
        assert ", 12 open." in text
        assert "Critical *4* (4 open)" in text
        assert "Warning *8* (8 open)" in text
        assert "Disk full on node" in text
        assert storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)["text"]["text"] == "Resolve all 12"
        assert not bot.slack.rate_limited  # posts and updates alike paced by the writer, never refused


async def test_every_storm_alert_is_audited_like_any_other() -> None:
    """Alerts that join a storm (no message of their own) are in the audit trail, each with what was done."""
    async with running_bot(coralogix(12), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 12)
        records = [r for r in await bot.runtime.store.audit.query() if r.kind == "notification"]
        did = {i: (r.detail or {}).get("did") for r in records for i in r.incident_ids}
        assert did == {incident_id(n): Handled.POSTED.value if n < 3 else Handled.IN_STORM.value for n in range(12)}


async def test_a_resolve_notification_updates_the_storm_message() -> None:
    """Coralogix resolving one alert of the storm shows in the storm message's counts."""
    async with running_bot(coralogix(8), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 8)
        status, _ = await bot.webhook(alert(6, alert_action="resolve"))
        assert status == 202
        await bot.settle()
        await wait_for(lambda: ", 7 open." in latest_storm(bot.slack), what="the storm message updated")
        assert storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)["text"]["text"] == "Resolve all 7"


async def test_resolve_all_resolves_every_open_incident_in_one_call_and_reports_each() -> None:
    """Resolve all resolves exactly the count its confirmation states, in one Coralogix call, with a summary."""
    async with running_bot(coralogix(30), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 30)
        button = storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)
        assert "*30 incidents*" in button["confirm"]["text"]["text"]
        assert "10 critical, 20 warning" in button["confirm"]["text"]["text"]
        storm_ts = str(storm_calls(bot.slack)[0].answer["ts"])
        status, _ = await bot.click(ActionId.STORM_RESOLVE_ALL, ts=storm_ts, value=button["value"])
        assert status == 200
        await bot.settle()
        resolved = bot.coralogix.ids_of("resolve")
        assert len(resolved) == 1
        assert sorted(resolved[0]) == sorted(incident_id(n) for n in range(30))
        summaries = [c for c in bot.slack.called("chat.postMessage") if "summary_header" in json.dumps(c.params)]
        assert len(summaries) == 1
        summary = json.dumps(summaries[0].params["blocks"])
        assert "*Resolved 30 of 30 incidents*" in summary
        assert all(f"`{incident_id(n)}`" in summary for n in range(30))  # a line per incident
        await wait_for(lambda: ", 0 open." in latest_storm(bot.slack), what="the storm message shows them resolved")
        assert ActionId.STORM_RESOLVE_ALL not in latest_storm(bot.slack)
        assert not bot.slack.rate_limited  # the writer paced every post and update
        (record,) = [r for r in await bot.runtime.store.audit.query() if r.kind == "action"]
        assert record.surface == "storm"
        assert record.user == "U0ONCALL"
        assert sorted(record.incident_ids) == sorted(incident_id(n) for n in range(30))
        assert set(record.outcomes.values()) == {"resolved"}


async def test_resolve_all_is_pinned_to_what_the_message_showed() -> None:
    """Alerts that joined after the message was rendered are not resolved by its Resolve all."""
    async with running_bot(coralogix(12), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 10)
        button = storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)
        await deliver(bot, range(10, 12))
        await bot.settle()
        storm_ts = str(storm_calls(bot.slack)[0].answer["ts"])
        await bot.click(ActionId.STORM_RESOLVE_ALL, ts=storm_ts, value=button["value"])
        await bot.settle()
        assert sorted(bot.coralogix.ids_of("resolve")[0]) == sorted(incident_id(n) for n in range(10))


async def test_show_all_pages_through_every_alert_with_a_resolve_each() -> None:
    """Show all opens a modal of 20 alerts a page; Next shows the rest; a Resolve there resolves that incident."""
    async with running_bot(coralogix(25), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 25)
        storm_ts = str(storm_calls(bot.slack)[0].answer["ts"])
        show = storm_button(bot.slack, ActionId.STORM_SHOW_ALL)
        status, _ = await bot.click(ActionId.STORM_SHOW_ALL, ts=storm_ts, value=show["value"])
        assert status == 200
        await bot.settle()
        first = bot.slack.called("views.open")[-1].params["view"]
        rows = [b for b in first["blocks"] if b.get("block_id", "").startswith("storm_alert_")]
        assert len(rows) == 20
        assert all(r["accessory"]["action_id"] == ActionId.STORM_RESOLVE_ONE for r in rows)
        await bot.click(ActionId.STORM_PAGE, ts=storm_ts, value="1", view={**first, "id": "V1"})
        await bot.settle()
        second = bot.slack.called("views.update")[-1].params["view"]
        assert len([b for b in second["blocks"] if b.get("block_id", "").startswith("storm_alert_")]) == 5
        assert "page 2 of 2" in json.dumps(second)
        one = rows[4]["accessory"]["value"]
        await bot.click(ActionId.STORM_RESOLVE_ONE, ts=storm_ts, value=one, view={**first, "id": "V1"})
        await bot.settle()
        assert bot.coralogix.ids_of("resolve") == [[one]]
        await wait_for(lambda: ", 24 open." in latest_storm(bot.slack), what="the storm message follows")


async def test_a_quiet_storm_ends_with_a_final_tally() -> None:
    """After STORM_QUIET seconds without a new alert the message says the storm is over, with the tally."""
    async with running_bot(coralogix(6), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3, STORM_QUIET=1) as bot:
        await storm_of(bot, 6)
        await wait_for(lambda: "is over" in latest_storm(bot.slack), within=10, what="the storm over")
        assert "Final tally: 0 resolved, 6 still open" in latest_storm(bot.slack)
        assert len([c for c in storm_calls(bot.slack) if c.method == "chat.postMessage"]) == 1
        assert not bot.slack.rate_limited


async def test_a_click_during_a_storm_answers_and_updates_quickly_within_the_limits() -> None:
    """While a storm pours in, a click on an alert message answers within 3 s and its message updates within 5 s."""
    async with running_bot(coralogix(200), limited(speedup=1), STORM_TIMINGS, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 20)
        pouring = asyncio.ensure_future(deliver(bot, range(20, 200), per_second=30))
        ts = str(alert_posts(bot.slack)[0].answer["ts"])
        started = time.monotonic()
        status, _ = await bot.click(ActionId.RESOLVE, ts=ts)
        answered = time.monotonic() - started
        assert status == 200
        await wait_for(
            lambda: any(c.params.get("ts") == ts for c in bot.slack.called("chat.update")), within=5, what="update"
        )
        updated = time.monotonic() - started
        await pouring
        await bot.settle()
        assert answered < 3
        assert updated < 5
        assert len(alert_posts(bot.slack)) == 3
        assert not bot.slack.rate_limited  # the click's writes and the storm's alike paced, never refused


async def test_two_replicas_on_postgresql_make_one_storm_message(postgres_url: str, tmp_path: Path) -> None:
    """Alerts spread over two replicas make one storm, shown by one message, with every alert in it."""
    async with cluster(postgres_url, tmp_path, STORM_THRESHOLD=3, STORM_UPDATE_SECONDS=0.5) as group:
        group.coralogix.add(*(make_incident(incident_id(n)) for n in range(30)))
        answers = await asyncio.gather(*(group.to(n % 2).webhook(alert(n)) for n in range(30)))
        assert all(status == 202 for status, _ in answers)
        await group.settle()
        await wait_for(
            lambda: bool(storm_calls(group.slack)) and "*30 alerts*" in latest_storm(group.slack),
            within=20,
            what="one storm message with all 30 alerts",
        )
        assert len([c for c in storm_calls(group.slack) if c.method == "chat.postMessage"]) == 1
        assert all(c.params["channel"] == ALERT_CHANNEL for c in storm_calls(group.slack))


async def test_a_damaged_resolve_all_button_gets_a_clear_answer_and_resolves_nothing() -> None:
    """A Resolve all value that is not what the bot wrote: answered with a word why, no 5xx, no Coralogix call."""
    async with running_bot(coralogix(6), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 6)
        storm_ts = str(storm_calls(bot.slack)[0].answer["ts"])
        for value in ("not json", '{"storm": 1, "upto": "x", "at": 1}', '{"storm": 99, "upto": 9, "at": 1}'):
            status, _ = await bot.click(ActionId.STORM_RESOLVE_ALL, ts=storm_ts, value=value)
            assert status == 200
        await bot.settle()
        assert bot.coralogix.ids_of("resolve") == []
        said = json.dumps([c.params for c in bot.slack.called("chat.postEphemeral")] + bot.slack.responses)
        assert "damaged" in said
        assert "no longer on record" in said


async def test_resolve_all_resolves_exactly_what_its_confirmation_counted() -> None:
    """An alert that learns its incident later makes the storm message count it; a click on the button shown
    before (which said one fewer) does nothing and says so; the new button resolves exactly its count."""
    async with running_bot(coralogix(10), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await deliver(bot, range(3))
        await wait_for(lambda: len(alert_posts(bot.slack)) == 3, what="the alerts before the storm")
        await deliver(bot, range(3, 9))
        late = alert(9)
        del late["incident_id"]  # its incident is not found yet: recorded without one
        assert (await bot.webhook(late))[0] == 202
        await bot.settle()
        await wait_for(lambda: bool(storm_calls(bot.slack)) and "*10 alerts*" in latest_storm(bot.slack))
        shown_before = storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)
        assert shown_before["text"]["text"] == "Resolve all 9"
        assert (await bot.webhook(alert(9)))[0] == 202  # now with its incident
        await bot.settle()
        await wait_for(
            lambda: storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)["text"]["text"] == "Resolve all 10",
            what="the storm message counts the alert that learned its incident",
        )
        storm_ts = str(storm_calls(bot.slack)[0].answer["ts"])
        status, _ = await bot.click(ActionId.STORM_RESOLVE_ALL, ts=storm_ts, value=shown_before["value"])
        assert status == 200
        await bot.settle()
        assert bot.coralogix.ids_of("resolve") == []  # not 10 behind a confirmation that said 9
        said = json.dumps([c.params for c in bot.slack.called("chat.postEphemeral")])
        assert "changed since" in said
        button = storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)
        await bot.click(ActionId.STORM_RESOLVE_ALL, ts=storm_ts, value=button["value"])
        await bot.settle()
        assert sorted(bot.coralogix.ids_of("resolve")[0]) == sorted(incident_id(n) for n in range(10))


async def test_open_storms_still_end_after_a_restart_with_storm_mode_off(tmp_path: Path) -> None:
    """STORM_THRESHOLD=0 stops new storms, but a storm open from before still ends and its message says so."""
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
    slack = limited()
    async with running_bot(coralogix(6), slack, STORM_TIMINGS, **PACE, STORM_THRESHOLD=3, DATABASE_URL=url) as bot:
        await storm_of(bot, 6)
    async with running_bot(
        coralogix(6), slack, STORM_TIMINGS, **PACE, STORM_THRESHOLD=0, STORM_QUIET=1, DATABASE_URL=url
    ) as bot:
        await wait_for(lambda: "is over" in latest_storm(bot.slack), within=10, what="the storm over")
        assert "Final tally: 0 resolved, 6 still open" in latest_storm(bot.slack)


async def test_a_storm_alert_resolved_from_the_command_is_followed_by_the_storm_message() -> None:
    """`/resolve-incident <a storm alert's incident>`: resolved, and the storm message's open count drops."""
    async with running_bot(coralogix(8), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 8)
        status, _ = await bot.command(incident_id(6))
        assert status == 200
        await bot.settle()
        assert bot.coralogix.ids_of("resolve") == [[incident_id(6)]]
        await wait_for(lambda: ", 7 open." in latest_storm(bot.slack), what="the storm message follows the command")
        assert storm_button(bot.slack, ActionId.STORM_RESOLVE_ALL)["text"]["text"] == "Resolve all 7"


async def test_a_storm_alert_resolved_from_app_home_is_followed_by_the_storm_message() -> None:
    """Resolve on App Home of a storm alert's incident: resolved, and the storm message's open count drops."""
    async with running_bot(coralogix(8), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 8)
        home = {"id": "VHOME", "type": "home", "blocks": []}
        await bot.click(ActionId.HOME_RESOLVE.value, ts="x", view=home, value=incident_id(7), user="U0HOME")
        await bot.settle()
        assert bot.coralogix.ids_of("resolve") == [[incident_id(7)]]
        await wait_for(lambda: ", 7 open." in latest_storm(bot.slack), what="the storm message follows App Home")


async def test_resolve_in_the_storm_threads_answers_with_the_count_and_points_to_resolve_all() -> None:
    """`@bot resolve` in the storm message's thread resolves nothing by itself: it says how many are open and
    points to Resolve all (which asks for confirmation)."""
    async with running_bot(coralogix(8), limited(), STORM_TIMINGS, **PACE, STORM_THRESHOLD=3) as bot:
        await storm_of(bot, 8)
        storm_ts = str(storm_calls(bot.slack)[0].answer["ts"])
        event = {
            "type": "app_mention",
            "user": "U0THREAD",
            "text": "<@UBOT0001> resolve",
            "ts": "1700000100.000100",
            "channel": ALERT_CHANNEL,
            "event_ts": "1700000100.000100",
            "thread_ts": storm_ts,
        }
        status, _ = await bot.event(event, event_id="EvStorm1")
        assert status == 200
        await bot.settle()
        assert bot.coralogix.ids_of("resolve") == []
        (answer,) = bot.slack.called("chat.postEphemeral")
        assert answer.params["user"] == "U0THREAD"
        assert answer.params["thread_ts"] == storm_ts
        assert "*8 open incidents*" in answer.params["text"]
        assert "Resolve all" in answer.params["text"]
