"""CPU time per /resolve-incident: the bot beside a minimal async Bolt app and an ack-only one, in one run.

Starts, one after another on the same loopback fakes (fake Slack; fake Coralogix answering at once):
(a) the bot, `python -m bot`; (b) a minimal Bolt app doing ack + one resolve call + one respond;
(c) a Bolt app that only acks (`benchmarks.minimal_bolt`). Each gets a warm-up, then N signed
commands, each for a fresh open incident, CONCURRENCY at a time; the count stops once every
command's answer reached the fake Slack (for (c): once every ack came back) and the process has
gone quiet. CPU is user + system time of the process from /proc, so the fakes' CPU is not counted.

    .venv/bin/python -m benchmarks.cpu_per_command [--commands 500] [--concurrency 8] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from benchmarks.loopback import Loopback, Outcomes, cpu_seconds, fire, loopback, new_ids
from tests.fakes.server import wait_for

WARM_UP = 20
TARGETS = {"bot": "the bot", "resolve": "minimal Bolt app", "ack": "ack-only Bolt app"}


async def settled_cpu(pid: int, quiet: float = 0.3, within: float = 10.0) -> float:
    """The process's CPU seconds once they stop growing for `quiet` seconds (its trailing work done)."""
    last = cpu_seconds(pid)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = cpu_seconds(pid)
        if now == last:
            return now
        last = now
    return last


async def measure(lab: Loopback, name: str, commands: int, concurrency: int) -> tuple[float, float]:
    """(ms of CPU per command, ms of CPU per second when idle) of one target."""
    process = await lab.start(name)
    pid = process.process.pid
    sender = lab.sender(process)
    outcomes = Outcomes(lab.slack)
    answered = name != "ack"

    async def run(n: int) -> None:
        before = outcomes.count()
        _, missed = await fire(sender, new_ids(lab.cx, n), concurrency)
        if missed:
            print(f"{TARGETS[name]}: {missed} of {n} commands not acked within 3 s")
        if answered:
            await wait_for(lambda: outcomes.count() - before >= n - missed, within=60 + n / 5, what=f"{n} answers")

    await run(WARM_UP)
    idle_start = await settled_cpu(pid)
    await asyncio.sleep(1.0)
    idle_ms = (cpu_seconds(pid) - idle_start) * 1000
    start = await settled_cpu(pid)
    await run(commands)
    spent = await settled_cpu(pid) - start
    await process.stop()
    return spent * 1000 / commands, idle_ms


async def main(commands: int, concurrency: int, runs: int) -> None:
    """Measure and print."""
    print(f"{commands} commands per target, {concurrency} at a time, fake Coralogix answering at once")
    for run in range(1, runs + 1):
        async with loopback() as lab:
            figures = {name: await measure(lab, name, commands, concurrency) for name in TARGETS}
        for name, (per_command, idle) in figures.items():
            print(f"run {run}: {TARGETS[name]:<18} {per_command:6.2f} ms CPU/command (idle: {idle:.0f} ms CPU/s)")
        ratio = figures["bot"][0] / figures["resolve"][0]
        print(f"run {run}: ratio bot / minimal = {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.commands, args.concurrency, args.runs))
