"""RSS growth of the bot under /resolve-incident: MB per 1 000 commands after a warm-up.

Runs `python -m bot` on loopback between the test fakes (fake Coralogix answering at once), sends
a warm-up of WARM_UP commands, then STEPS times 1 000 more, each for a fresh open incident, and samples
the process's VmRSS after each 1 000 (once every answer reached the fake Slack). Prints the samples
and the least-squares slope after the warm-up.

`--in-process` runs the bot in this process instead (with the fakes) and prints the top tracemalloc
differences between the end of the warm-up and the end, to find where memory goes.

    .venv/bin/python -m benchmarks.memory_slope [--warm-up 1000] [--steps 5] [--in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tracemalloc

from benchmarks.loopback import USER, Outcomes, fire, loopback, new_ids, rss_mb
from tests.e2e.harness import SlackSender, running_bot
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack

STEP = 1000
CONCURRENCY = 8


def slope(samples: list[float]) -> float:
    """Least-squares slope of equally spaced samples, per step."""
    n = len(samples)
    mean_x, mean_y = (n - 1) / 2, sum(samples) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(samples))
    return num / sum((x - mean_x) ** 2 for x in range(n))


async def load(sender: SlackSender, cx: FakeCoralogix, slack: FakeSlack, n: int) -> None:
    """`n` commands, each answered in the fake Slack before this returns."""
    outcomes = Outcomes(slack)
    before = outcomes.count()
    _, missed = await fire(sender, new_ids(cx, n), CONCURRENCY)
    if missed:
        print(f"({missed} of {n} commands not acked within 3 s)")
    await wait_for(lambda: outcomes.count() - before >= n - missed, within=60 + n / 5, what=f"{n} answers")


async def in_process(warm_up: int, steps: int) -> None:
    """The bot in this process: tracemalloc differences between the warm-up and the end."""
    cx, slack = FakeCoralogix(), FakeSlack()
    slack.people[USER] = {"id": USER, "name": "oncall"}
    async with running_bot(cx, slack) as bot:
        await load(bot, cx, slack, warm_up)
        await bot.settle()
        gc.collect()
        tracemalloc.start(12)
        first = tracemalloc.take_snapshot()
        await load(bot, cx, slack, steps * STEP)
        await bot.settle()
        gc.collect()
        last = tracemalloc.take_snapshot()
    ignore = [tracemalloc.Filter(False, "*/tests/fakes/*"), tracemalloc.Filter(False, tracemalloc.__file__)]
    diffs = last.filter_traces(ignore).compare_to(first.filter_traces(ignore), "traceback")
    print(f"top growth over {steps * STEP} commands after a warm-up of {warm_up}:")
    for diff in diffs[:8]:
        print(f"{diff.size_diff / 1024:+.0f} KiB in {diff.count_diff:+d} blocks")
        for line in diff.traceback.format()[-12:]:
            print("   ", line)


async def main(warm_up: int, steps: int) -> None:
    """Measure and print."""
    async with loopback() as lab:
        process = await lab.start("bot")
        sender = lab.sender(process)
        await load(sender, lab.cx, lab.slack, warm_up)
        samples = [rss_mb(process.process.pid)]
        print(f"after {warm_up} warm-up commands: {samples[0]:.1f} MB")
        for step in range(1, steps + 1):
            await load(sender, lab.cx, lab.slack, STEP)
            samples.append(rss_mb(process.process.pid))
            print(f"after {step * STEP} more: {samples[-1]:.1f} MB")
    print(f"RSS slope after the warm-up: {slope(samples):.2f} MB per 1 000 commands")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-up", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--in-process", action="store_true", help="tracemalloc in this process instead")
    args = parser.parse_args()
    asyncio.run(in_process(args.warm_up, args.steps) if args.in_process else main(args.warm_up, args.steps))
