"""Nothing lost, nothing done twice: real bot processes on one PostgreSQL, raced, killed and stopped.

Each test counts what the fake Slack and the fake Coralogix received. Coralogix's `gate` holds
every call until the test releases it, so a process can be killed or stopped in the middle of an
action; a held call is still answered (and its resolve applied) once released, as Coralogix would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import URL, make_url

from bot.ids import ActionId
from tests.conftest import fresh_postgres_schema
from tests.e2e.cluster import Cluster, cluster
from tests.e2e.harness import view_submission
from tests.factories import uuid
from tests.fakes.coralogix import make_incident
from tests.fakes.server import wait_for
from tests.fakes.tcp_proxy import tcp_proxy

INCIDENT = "33333333-3333-4333-8333-333333333333"
ALERT_ID = "alert-7f3a"
RESOLVED = "INCIDENT_STATUS_RESOLVED"


# The tests that need two replicas with no setting of their own share them: starting two processes
# costs more CPU than most of these tests; `group` makes the pair look new to each test (see Cluster.reset).
SHARED = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(postgres_database: URL, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    """Two replicas on a schema of their own, storm mode off (twenty alerts at once are no storm here)."""
    async with (
        fresh_postgres_schema(postgres_database) as url,
        cluster(url, tmp_path_factory.mktemp("cluster"), STORM_THRESHOLD=0) as group,
    ):
        yield group


@pytest_asyncio.fixture(loop_scope="module")
async def group(shared: Cluster) -> Cluster:
    """The shared replicas, as if new: no job, message, record or call left from an earlier test; two serving."""
    await shared.reset()
    return shared


def notification(**overrides: Any) -> dict[str, Any]:
    """An alert notification for INCIDENT, as the README's template produces it."""
    return {"alert_id": ALERT_ID, "alert_name": "Checkout 5xx rate high", "incident_id": INCIDENT, **overrides}


def add_incident(group: Cluster, incident_id: str = INCIDENT, alert_id: str = ALERT_ID) -> None:
    """A triggered incident in the fake Coralogix, labelled with its alert."""
    incident = make_incident(incident_id, "Checkout 5xx rate high")
    incident["contextualLabels"]["alert_id"] = alert_id
    group.coralogix.add(incident)


def hold_coralogix(group: Cluster) -> asyncio.Event:
    """From now on every Coralogix call waits until the returned event is set."""
    group.coralogix.gate, group.coralogix.delay = asyncio.Event(), 60.0
    return group.coralogix.gate


def last_render(group: Cluster) -> str:
    """The text of the newest alert message update."""
    return str(group.slack.called("chat.update")[-1].params["text"])


@SHARED
async def test_twenty_alerts_delivered_to_two_replicas_make_twenty_messages(group: Cluster) -> None:
    """Every notification sent to both replicas at once: one message per alert, not one per delivery."""
    bodies = []
    for n in range(1, 21):
        add_incident(group, uuid(n), f"alert-{n}")
        bodies.append(notification(alert_id=f"alert-{n}", incident_id=uuid(n)))
    answers = await asyncio.gather(*(group.to(i).webhook(body) for body in bodies for i in (0, 1)))
    assert {status for status, _ in answers} == {202}
    await group.settle()
    assert len(group.posts()) == 20


@SHARED
async def test_command_and_click_on_one_incident_make_one_resolve_call(group: Cluster) -> None:
    """A command on one replica and a click on the other: one resolve call, and the second person told who,
    at the first attempt (no job failed and waited out its retry)."""
    logged = [len(bot.log) for bot in group.bots]
    add_incident(group)
    assert (await group.to(0).webhook(notification()))[0] == 202
    ts = await group.alert_posted()
    await group.settle()
    gate = hold_coralogix(group)
    await asyncio.gather(
        group.to(0).command(INCIDENT, user="U0CMD"), group.to(1).click(ActionId.RESOLVE, ts=ts, user="U0CLICK")
    )
    await wait_for(lambda: group.coralogix.in_flight >= 1, what="the winner's Coralogix call")
    gate.set()
    await group.settle()
    assert len(group.coralogix.calls_of("resolve")) == 1
    told = [c.params["text"] for c in group.slack.called("chat.postEphemeral")]
    told += [str(p.get("text")) for p in group.posts()[1:]]
    assert any("<@U0CMD>" in t or "<@U0CLICK>" in t for t in told if "being resolved" in t or "Already" in t)
    assert not [bot.log[n:] for bot, n in zip(group.bots, logged, strict=True) if "failed on attempt" in bot.log[n:]]


@SHARED
async def test_kill_during_a_click_resumes_on_the_other_replica(group: Cluster) -> None:
    """kill -9 while a click's resolve is in flight: the other replica finishes it; one outcome, no stuck message."""
    add_incident(group)
    await group.to(0).webhook(notification())
    ts = await group.alert_posted()
    await group.settle()
    gate = hold_coralogix(group)
    await group.to(0).click(ActionId.RESOLVE, ts=ts, user="U0CLICK")
    await wait_for(lambda: len(group.coralogix.calls_of("resolve")) == 1, what="the resolve call")
    await group.kill(0)
    gate.set()  # Coralogix finishes the resolve the dead process asked for
    await wait_for(lambda: group.coralogix.incidents[INCIDENT]["status"] == RESOLVED, what="Coralogix resolved")
    await group.settle()
    assert last_render(group).endswith("(resolved)")  # not "(resolving)", not "(triggered)"
    assert len(group.coralogix.calls_of("resolve")) == 1  # the resumed run read Coralogix: nothing to redo
    lines = group.thread(ts)
    assert len(lines) == 1 and "Resolved by <@U0CLICK>" in lines[0]
    assert not group.slack.called("chat.postEphemeral")


@SHARED
async def test_kill_during_a_50_id_command_posts_one_summary(group: Cluster) -> None:
    """kill -9 while a 50-id command is in flight: the other replica resolves them and posts exactly one summary."""
    ids = [uuid(n) for n in range(1, 51)]
    for incident_id in ids:
        add_incident(group, incident_id)
    gate = hold_coralogix(group)
    status, body = await group.to(0).command(" ".join(ids), user="U0CMD")
    assert status == 200 and "Resolving 50 incidents" in body
    await wait_for(lambda: group.coralogix.in_flight >= 1, what="the command's first Coralogix call")
    await group.kill(0)
    gate.set()
    await group.settle()
    summaries = [p for p in group.posts() if "of 50 incidents" in str(p.get("text"))]
    assert len(summaries) == 1
    assert "Resolved 50 of 50 incidents" in summaries[0]["text"]
    assert all(i["status"] == RESOLVED for i in group.coralogix.incidents.values())


@SHARED
async def test_sigterm_hands_work_in_flight_to_the_other_replica(group: Cluster) -> None:
    """SIGTERM with a click and a command in flight: the process leaves within its grace period, and the
    other replica finishes both, each with one outcome."""
    add_incident(group)
    other = uuid(99)
    add_incident(group, other, "alert-other")
    await group.to(1).webhook(notification())
    ts = await group.alert_posted()
    await group.settle()
    gate = hold_coralogix(group)
    await group.to(0).click(ActionId.RESOLVE, ts=ts, user="U0CLICK")
    await group.to(0).command(other, user="U0CMD")
    await wait_for(lambda: group.coralogix.in_flight >= 2, what="both in flight")
    started = time.monotonic()
    assert await group.bots[0].stop() == 0
    assert time.monotonic() - started < 5
    gate.set()
    await group.settle()
    assert last_render(group).endswith("(resolved)")
    assert len(group.thread(ts)) == 1
    assert len([p for p in group.posts() if "Resolved 1 of 1 incident" in str(p.get("text"))]) == 1


@SHARED
async def test_a_notification_accepted_before_a_crash_is_posted_once(group: Cluster) -> None:
    """202, then kill -9 before the message was posted: the other replica posts it, once."""
    add_incident(group)
    gate = hold_coralogix(group)  # the trigger looks its incident up first: held there
    assert (await group.to(0).webhook(notification(incident_id=None)))[0] == 202
    await wait_for(lambda: group.coralogix.in_flight >= 1, what="the incident lookup")
    await group.kill(0)
    gate.set()
    await group.settle()
    assert len(group.posts()) == 1


@SHARED
async def test_a_resolve_on_another_replica_before_the_message_exists_is_applied(group: Cluster) -> None:
    """A trigger still looking up its incident on one replica, its resolve already on the other: the resolve
    waits for the message and applies; the message ends resolved."""
    add_incident(group)
    gate = hold_coralogix(group)
    await group.to(0).webhook(notification(incident_id=None))
    await wait_for(lambda: group.coralogix.in_flight >= 1, what="the trigger's lookup")
    assert (await group.to(1).webhook(notification(alert_action="resolved", incident_id=None)))[0] == 202
    gate.set()
    await group.settle()
    assert len(group.posts()) == 1
    assert "Resolved in Coralogix" in str(group.slack.called("chat.update")[-1].params)


async def test_a_resolve_done_in_coralogix_without_notification_shows_within_the_interval(
    postgres_url: str, tmp_path: Path
) -> None:
    """Drift repair: an incident resolved by hand in Coralogix (no notification) is shown resolved within
    one RECONCILE_INTERVAL, by one replica only."""
    async with cluster(postgres_url, tmp_path, RECONCILE_INTERVAL=1) as group:
        add_incident(group)
        await group.to(0).webhook(notification())
        ts = await group.alert_posted()
        await group.settle()
        group.coralogix.incidents[INCIDENT].update(status=RESOLVED, state="INCIDENT_STATE_RESOLVED")
        await wait_for(lambda: group.thread(ts), within=5, what="the drift to be noticed")
        assert group.thread(ts) == [line for line in group.thread(ts) if "Resolved in Coralogix" in line]
        assert len(group.thread(ts)) == 1


@SHARED
async def test_kill_during_a_thread_mention_and_a_shortcut_submit(group: Cluster) -> None:
    """kill -9 with a thread mention and a shortcut submission in flight: each ends with one outcome."""
    other = uuid(77)
    add_incident(group)
    add_incident(group, other, "alert-other")
    await group.to(1).webhook(notification())
    ts = await group.alert_posted()
    await group.settle()
    gate = hold_coralogix(group)
    mention = {
        "type": "app_mention",
        "user": "U0THREAD",
        "text": "<@UBOT0001> resolve rolled back",
        "ts": "1700000100.000100",
        "thread_ts": ts,
        "channel": "C0ALERTS",
        "event_ts": "1700000100.000100",
    }
    assert (await group.to(0).event(mention, event_id="EvKill"))[0] == 200
    chosen = {"incidents": {"selected": {"selected_options": [{"value": other}]}}}
    metadata = '{"channel": "C0OTHER", "thread_ts": "1.000001"}'
    submission = view_submission("resolve_incidents_in_message_modal", chosen, metadata, user="U0SHORT")
    assert (await group.to(0).interactive(submission))[0] == 200
    await wait_for(lambda: group.coralogix.in_flight >= 2, what="both in flight")
    await group.kill(0)
    gate.set()
    await group.settle()
    lines = group.thread(ts)
    assert len(lines) == 1 and "Resolved by <@U0THREAD>" in lines[0] and "rolled back" in lines[0]
    summaries = group.thread("1.000001")
    assert len(summaries) == 1 and "Resolved 1 of 1 incident" in summaries[0]


async def test_with_the_database_away_webhooks_get_503_and_clicks_an_error_id(
    postgres_url: str, tmp_path: Path
) -> None:
    """Database unreachable: the webhook answers 503 (so Coralogix sends again), a click is told to try again
    with an error id; once it is back, nothing accepted is lost and the re-sent notification is posted."""
    target = make_url(postgres_url)
    async with tcp_proxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        via_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with cluster(via_proxy, tmp_path, replicas=1) as group:
            add_incident(group)
            add_incident(group, uuid(5), "alert-5")
            await group.to(0).webhook(notification())
            ts = await group.alert_posted()
            await group.settle()
            proxy.cut()
            status, body = await group.to(0).webhook(notification(alert_id="alert-5", incident_id=uuid(5)))
            assert status == 503 and "database" in body["error"]
            await group.to(0).click(ActionId.RESOLVE, ts=ts, user="U0CLICK")
            await wait_for(lambda: group.slack.called("chat.postEphemeral"), what="the clicker told")
            told = group.slack.called("chat.postEphemeral")[0].params["text"]
            assert "cannot reach my database" in told and "Error id: `E" in told
            proxy.restore()
            status, _ = await group.to(0).webhook(notification(alert_id="alert-5", incident_id=uuid(5)))
            assert status == 202
            await group.settle()
            assert len(group.posts()) == 2
