"""Click → message-updated latency of the Resolve button while every Coralogix call takes DELAY s.

Runs the real bot on loopback between the test fakes, posts N alert messages through the webhook,
then clicks Resolve on each (first one at a time, then all at once) and measures, per click, the
time from sending the signed click to (a) the "Resolving…" update and (b) the final "Resolved by"
update reaching the fake Slack.

    .venv/bin/python -m benchmarks.click_latency [--delay 0.5] [--alerts 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

from benchmarks.ack_latency import describe
from bot.ids import ActionId
from tests.e2e.harness import Harness, running_bot
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for


async def post_alerts(bot: Harness, ids: list[str]) -> list[str]:
    """One alert message per incident id; returns their ts, in order."""
    for n, incident_id in enumerate(ids):
        status, _ = await bot.webhook(
            {"alert_id": f"alert-{n}", "alert_name": f"Alert {n}", "incident_id": incident_id}
        )
        assert status == 202
    await wait_for(lambda: len(bot.slack.called("chat.postMessage")) == len(ids), within=60)
    await wait_for(lambda: len(bot.runtime.tasks) == 0, within=60)
    return [str(c.answer["ts"]) for c in bot.slack.called("chat.postMessage")]


def update_seen(bot: Harness, ts: str, words: str) -> bool:
    """Whether a chat.update of message `ts` containing `words` has reached the fake Slack."""
    return any(c.params.get("ts") == ts and words in json.dumps(c.params) for c in bot.slack.called("chat.update"))


async def click_and_time(bot: Harness, ts: str) -> tuple[float, float]:
    """Seconds from the click to the "Resolving…" update and to the "Resolved by" update."""
    start = time.perf_counter()
    status, _ = await bot.click(ActionId.RESOLVE, ts=ts, user=f"U{ts[-4:]}")
    assert status == 200
    await wait_for(lambda: update_seen(bot, ts, "Resolving"), within=30)
    pending = time.perf_counter() - start
    await wait_for(lambda: update_seen(bot, ts, "Resolved by"), within=30)
    return pending, time.perf_counter() - start


async def main(delay: float, alerts: int) -> None:
    """Measure and print."""
    cx = FakeCoralogix()
    ids = [str(uuid.uuid4()) for _ in range(2 * alerts)]
    cx.add(*(make_incident(i) for i in ids))
    async with running_bot(cx) as bot:
        messages = await post_alerts(bot, ids)
        cx.delay = delay
        sequential = [await click_and_time(bot, ts) for ts in messages[:alerts]]
        concurrent = await asyncio.gather(*(click_and_time(bot, ts) for ts in messages[alerts:]))
    print(f"fake Coralogix delay on every call: {delay:.2f} s")
    for label, samples in ((f"{alerts} clicks one at a time", sequential), (f"{alerts} clicks at once", concurrent)):
        print(f"{label}: 'Resolving…' shown {describe([p for p, _ in samples])}")
        print(f"{label}: 'Resolved by' shown {describe([d for _, d in samples])}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--alerts", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.delay, args.alerts))
