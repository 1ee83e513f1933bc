"""Storm mode under Slack's rate limits: 1 000 alerts into one channel in 60 s.

Runs the real bot on loopback between the test fakes, with the fake Slack enforcing Slack's
limits (429 with Retry-After past about one post a second per channel after a small burst, and
past 50 updates a minute). Delivers ALERTS notifications into one channel evenly over SECONDS
seconds (real time, not compressed), clicks Resolve on an alert message halfway through, then
clicks the storm message's "Resolve all", and prints:

- Slack writes in that minute (posts, updates, ephemerals, views), and 429s: sent by the fake, and
  unhandled (a write that failed because of one);
- alerts recorded (of those delivered: none may be lost);
- Coralogix resolve calls for "Resolve all", and how many incidents it resolved;
- the click's answer latency and the time until its message was updated.

Then checks issue 10's limits and exits 1, naming each one missed: at most 30 Slack writes in the
storm's minute, 0 alerts lost, every alert resolved with "Resolve all" in at most 2 Coralogix
resolve calls, 0 unhandled 429s (a 429 the fake Slack sent for a write that no later successful
write of the same message or post made good), the click answered within 3 s and its message
updated within 5 s.

    .venv/bin/python -m benchmarks.storm [--alerts 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from bot.ids import ActionId
from bot.services.storms import RENDER_EVERY
from bot.store.tables import AlertMessageRow
from tests.e2e.harness import FAST_TIMINGS, Harness, running_bot
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack, RateLimits, SlackCall

WRITES = {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "views.publish"}


MAX_WRITES = 30  # Slack writes in the storm's minute
MAX_RESOLVE_CALLS = 2  # Coralogix resolve calls of "Resolve all"
MAX_ANSWER = 3.0  # seconds until the click is answered
MAX_UPDATED = 5.0  # seconds until the clicked message shows it


def target(call: SlackCall) -> tuple[str, ...]:
    """What a write was for: the message it updates, else where it posts what."""
    params = call.params
    if call.method == "chat.update":
        return (call.method, str(params.get("channel")), str(params.get("ts")))
    if call.method in ("views.update", "views.publish"):
        return (call.method, str(params.get("view_id") or params.get("user_id")))
    return (call.method, str(params.get("channel")), str(params.get("user")), str(params.get("text")))


def unhandled_429s(slack: FakeSlack) -> list[SlackCall]:
    """The 429s the fake sent that no later successful write of the same target made good (an update is
    made good by any later update of that message: updates are coalesced)."""
    done: dict[tuple[str, ...], float] = {}
    for call in slack.calls:
        if call.answer.get("ok"):
            done[target(call)] = max(done.get(target(call), 0.0), call.at)
    return [c for c in slack.rate_limited if done.get(target(c), 0.0) <= c.at]


def incident_id(n: int) -> str:
    """The incident of alert `n`."""
    return f"5707a000-0000-4000-8000-{n:012d}"


def alert(n: int) -> dict[str, Any]:
    """Alert `n`: a fifth critical, the rest warnings, under twenty names."""
    return {
        "alert_id": f"storm-{n}",
        "alert_name": f"Disk full on node {n % 20}",
        "severity": "Critical" if n % 5 == 0 else "Warning",
        "incident_id": incident_id(n),
    }


def storm_calls(slack: FakeSlack) -> list[Any]:
    """Posts and updates of the storm message."""
    return [
        c
        for c in slack.calls
        if c.method in ("chat.postMessage", "chat.update") and "storm_head" in json.dumps(c.params.get("blocks"))
    ]


async def deliver(bot: Harness, alerts: int, seconds: float) -> None:
    """ALERTS notifications, evenly spread over `seconds`."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(n: int) -> None:
        await asyncio.sleep(max(0.0, start + n * seconds / alerts - loop.time()))
        status, _ = await bot.webhook(alert(n))
        assert status == 202, status

    await asyncio.gather(*(one(n) for n in range(alerts)))


async def click_during(bot: Harness, at: float) -> tuple[float, float]:
    """Click Resolve on the first alert message `at` seconds in: (answer s, message updated s)."""
    await asyncio.sleep(at)
    posts = [c for c in bot.slack.called("chat.postMessage") if c.params.get("attachments")]
    ts = str(posts[0].answer["ts"])
    started = time.perf_counter()
    status, _ = await bot.click(ActionId.RESOLVE, ts=ts, user="U0CLICKER")
    answered = time.perf_counter() - started
    assert status == 200
    await wait_for(lambda: any(c.params.get("ts") == ts for c in bot.slack.called("chat.update")), within=30)
    return answered, time.perf_counter() - started


async def main(alerts: int, seconds: float) -> list[str]:
    """Measure and print; the limits missed."""
    cx = FakeCoralogix()
    cx.add(*(make_incident(incident_id(n)) for n in range(alerts)))
    slack = FakeSlack(limits=RateLimits())
    timings = replace(FAST_TIMINGS, storm_render_every=RENDER_EVERY)
    async with running_bot(cx, slack, timings) as bot:
        first = len(slack.calls)
        began = time.perf_counter()
        click = asyncio.ensure_future(click_during(bot, seconds / 2))
        await deliver(bot, alerts, seconds)
        delivered_in = time.perf_counter() - began
        await asyncio.sleep(max(0.0, seconds - delivered_in))
        in_minute = [c for c in slack.calls[first:] if c.method in WRITES]
        answered, updated = await click
        await bot.settle()
        await asyncio.sleep(RENDER_EVERY + 1)  # the storm message's last render
        async with bot.runtime.store.engine.connect() as connection:
            recorded = (await connection.execute(select(func.count(AlertMessageRow.id)))).scalar_one()
        blocks = storm_calls(slack)[-1].params["blocks"]
        button = next(
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ActionId.STORM_RESOLVE_ALL
        )
        resolves_before, calls_before = len(cx.calls_of("resolve")), len(cx.calls)
        storm_ts = str(storm_calls(slack)[0].answer["ts"])
        await bot.click(ActionId.STORM_RESOLVE_ALL, ts=storm_ts, value=button["value"])
        await bot.settle()
        resolve_calls = cx.calls_of("resolve")[resolves_before:]
        other_calls = sorted(c.operation for c in cx.calls[calls_before:] if c.operation != "resolve")
        summaries = [c for c in slack.called("chat.postMessage") if "summary_header" in json.dumps(c.params)]
        resolved = sum(len(c.ids) for c in resolve_calls)
        still_open = sum(1 for i in cx.incidents.values() if i.get("status") != "INCIDENT_STATUS_RESOLVED")
    by_method: dict[str, int] = {}
    for call in in_minute:
        by_method[call.method] = by_method.get(call.method, 0) + 1
    print(f"alerts delivered: {alerts} in {delivered_in:.1f} s (real time, not compressed)")
    print(f"Slack writes in that minute: {len(in_minute)} {by_method}")
    unhandled = unhandled_429s(slack)
    print(f"429s sent by the fake Slack: {len(slack.rate_limited)}; unhandled: {len(unhandled)}")
    print(f"alerts recorded: {recorded} of {alerts} (lost: {alerts - recorded})")
    print(f"Resolve all: {button['text']['text']!r}, {len(resolve_calls)} Coralogix resolve calls, ", end="")
    print(f"{resolved} ids sent, {still_open} incidents still open; summaries posted: {len(summaries)}")
    print(f"other Coralogix calls of Resolve all: {other_calls}")
    print(f"click during the storm: answered in {answered:.2f} s, message updated in {updated:.2f} s")
    checks = {
        f"{len(in_minute)} Slack writes in the storm's minute (at most {MAX_WRITES})": len(in_minute) <= MAX_WRITES,
        f"{alerts - recorded} alerts lost (none may be)": recorded == alerts,
        f"{still_open} incidents still open after Resolve all (none may be)": still_open == 0,
        f"{len(resolve_calls)} Coralogix resolve calls for Resolve all (at most {MAX_RESOLVE_CALLS})": (
            0 < len(resolve_calls) <= MAX_RESOLVE_CALLS
        ),
        f"{len(unhandled)} unhandled 429s (none may be): {[target(c) for c in unhandled[:5]]}": not unhandled,
        f"the click answered in {answered:.2f} s (under {MAX_ANSWER:.0f} s)": answered < MAX_ANSWER,
        f"its message updated in {updated:.2f} s (under {MAX_UPDATED:.0f} s)": updated < MAX_UPDATED,
    }
    return [what for what, held in checks.items() if not held]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    missed = asyncio.run(main(args.alerts, args.seconds))
    for what in missed:
        print(f"FAILED: {what}")
    print("every limit held" if not missed else f"{len(missed)} limit(s) missed")
    raise SystemExit(1 if missed else 0)
