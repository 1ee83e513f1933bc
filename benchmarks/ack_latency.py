"""Ack latency of /resolve-incident while Coralogix is slow: one command, then N concurrent ones.

Runs the real bot on loopback between the test fakes (fake Coralogix answering every call after
DELAY seconds) and measures, per command, the time from sending the signed request to Slack's
HTTP answer (the ack), and the time until the summary reached the fake Slack.

    .venv/bin/python -m benchmarks.ack_latency [--delay 2] [--concurrent 100] [--database-url postgresql://…]

`--process` runs the bot as a real process (`python -m bot`) instead, fires the commands all at once
over unlimited connections, and also counts the acks later than Slack's 3 s:

    .venv/bin/python -m benchmarks.ack_latency --process --concurrent 500 --delay 2
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time
import uuid
from typing import Any

from benchmarks.loopback import CHANNELS, Outcomes, loopback, new_ids
from tests.e2e.harness import running_bot
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for


def describe(samples: list[float]) -> str:
    """p50 / p95 / p99 / max in milliseconds."""
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return ordered[max(0, round(q * len(ordered)) - 1)] * 1000

    return (
        f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {rank(0.95):.1f} ms, "
        f"p99 {rank(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    )


async def main(delay: float, concurrent: int, database_url: str | None) -> None:
    """Measure and print."""
    cx = FakeCoralogix(delay=delay)
    ids = [str(uuid.uuid4()) for _ in range(concurrent + 1)]
    cx.add(*(make_incident(i) for i in ids))
    settings: dict[str, Any] = {"DATABASE_URL": database_url} if database_url else {}
    async with running_bot(cx, **settings) as bot:
        # Warm-up: the first request pays for Bolt's auth.test and connection set-up.
        await bot.command("help")

        async def one(incident_id: str) -> float:
            start = time.perf_counter()
            status, _ = await bot.command(incident_id)
            assert status == 200
            return time.perf_counter() - start

        single = await one(ids[0])
        await wait_for(lambda: len(bot.slack.called("chat.postMessage")) == 1, within=30)
        print(f"fake Coralogix delay on every call: {delay:.1f} s")
        print(f"1 command: ack in {single * 1000:.1f} ms")

        start = time.perf_counter()
        acks = await asyncio.gather(*(one(i) for i in ids[1:]))
        await wait_for(lambda: len(bot.slack.called("chat.postMessage")) == concurrent + 1, within=120)
        all_done = time.perf_counter() - start
        print(f"{concurrent} concurrent commands: ack {describe(list(acks))}")
        print(f"all {concurrent} summaries posted after {all_done:.2f} s")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the whole process (bot + fakes + load): {peak_mib:.0f} MiB")


# Slack shows the person an error when the ack takes longer than this.
SLACK_ACK_DEADLINE = 3.0


async def in_a_process(delay: float, concurrent: int) -> None:
    """The bot as `python -m bot`: `concurrent` commands at once; ack times, and the acks later than 3 s."""
    async with loopback() as lab:
        process = await lab.start("bot")
        sender = lab.sender(process)
        outcomes = Outcomes(lab.slack)
        status, _ = await sender.command(new_ids(lab.cx, 1)[0])  # warm-up: auth.test, connections
        assert status == 200
        await wait_for(lambda: outcomes.count() == 1, within=30)
        lab.cx.delay = delay
        ids = new_ids(lab.cx, concurrent)

        async def one(n: int, incident_id: str) -> tuple[float, int]:
            start = time.perf_counter()
            status, _ = await sender.command(incident_id, channel=CHANNELS[n % len(CHANNELS)])
            return time.perf_counter() - start, status

        start = time.perf_counter()
        answers = await asyncio.gather(*(one(n, i) for n, i in enumerate(ids)))
        acks = [seconds for seconds, _ in answers]
        # Bolt answers 404 itself when the listener has not acked within 3 s: late too.
        late = sum(1 for seconds, status in answers if seconds > SLACK_ACK_DEADLINE or status != 200)
        print(f"fake Coralogix delay on every call: {delay:.1f} s; the bot in its own process")
        print(f"{concurrent} concurrent commands: ack {describe(acks)}; late (over 3 s, or not acked): {late}")
        try:
            await wait_for(lambda: outcomes.count() >= concurrent + 1 - late, within=300, what="every summary")
        finally:
            print(f"{outcomes.count() - 1} summaries posted after {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--process", action="store_true", help="the bot as `python -m bot`, all commands at once")
    args = parser.parse_args()
    if args.process:
        asyncio.run(in_a_process(args.delay, args.concurrent))
    else:
        asyncio.run(main(args.delay, args.concurrent, args.database_url))
