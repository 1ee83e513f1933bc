"""CPU time per /resolve-incident: the bot beside a minimal async Bolt app and an ack-only one, in one run.

Starts, one after another on the same loopback fakes (fake Slack; fake Coralogix answering at once):
(a) the bot, `python -m bot`; (b) a minimal Bolt app doing ack + one resolve call + one respond;
(c) a Bolt app that only acks (`benchmarks.minimal_bolt`). All three run at once (idle, they spend
no CPU); each gets a warm-up, then, round after round, each in turn gets N signed commands, each for
a fresh open incident, CONCURRENCY at a time: a command is sent only while fewer than CONCURRENCY
are unanswered, so every target has the same work in flight; the count stops once every command's answer reached
the fake Slack (for (c): once every ack came back) and the process has gone quiet. CPU is user +
system time of the process from /proc, so the fakes' CPU is not counted. Taking the targets in turn,
several rounds, and the medians keeps a change in the machine's load from landing on one target only.

    .venv/bin/python -m benchmarks.cpu_per_command [--commands 300] [--concurrency 8] [--rounds 5]
        [--before ../an-earlier-checkout]   # its bot measured alongside, in the same rounds
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from benchmarks.loopback import CHANNELS, Loopback, Outcomes, cpu_seconds, loopback, new_ids
from tests.e2e.processes import BotProcess
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


async def in_turn(lab: Loopback, process: BotProcess, ids: list[str], window: int, answered: Outcomes | None) -> int:
    """/resolve-incident for each id, `window` lanes; with `answered`, a lane sends only while fewer than `window`
    commands are unanswered, so each target has the same work in flight (a target that falls behind would
    otherwise pile up work, and connections, and pay more per command for it). How many were not acked."""
    sender, queue, sent, missed = lab.sender(process), list(reversed(ids)), 0, 0
    start = answered.count() if answered else 0

    def room() -> bool:
        """Fewer than `window` unanswered: sent, less those answered, less those not acked (never answered)."""
        return answered is None or sent - missed - (answered.count() - start) < window

    async def lane() -> None:
        nonlocal sent, missed
        while queue:
            await wait_for(room, within=60, what="room for one more command")
            if not queue:
                return
            text, sent = queue.pop(), sent + 1
            status, _ = await sender.command(text, channel=CHANNELS[len(queue) % len(CHANNELS)])
            missed += status != 200

    await asyncio.gather(*(lane() for _ in range(window)))
    return missed


async def measure(lab: Loopback, process: BotProcess, name: str, commands: int, concurrency: int) -> float:
    """ms of CPU per command of one running target, over `commands` commands."""
    pid = process.process.pid
    outcomes = Outcomes(lab.slack) if name != "ack" else None
    before = outcomes.count() if outcomes else 0
    start = await settled_cpu(pid)
    missed = await in_turn(lab, process, new_ids(lab.cx, commands), concurrency, outcomes)
    if missed:
        print(f"{name}: {missed} of {commands} commands not acked within 3 s")
    if outcomes is not None:
        wanted = commands - missed
        await wait_for(lambda: outcomes.count() - before >= wanted, within=60 + commands / 5, what="answers")
    return (await settled_cpu(pid) - start) * 1000 / commands


async def main(commands: int, concurrency: int, rounds: int, before: Path | None) -> None:
    """Start the targets, then measure them in turn, round after round; print each round and the medians."""
    print(f"{commands} commands per target and round, {concurrency} at a time, fake Coralogix answering at once")
    targets = dict(TARGETS)
    if before is not None:
        targets = {"bot": TARGETS["bot"], "before": f"the bot at {before.name}", **TARGETS}
    async with loopback() as lab:
        processes = {
            name: await (lab.start("bot", PYTHONPATH=str(before)) if name == "before" else lab.start(name))
            for name in targets
        }
        for name, process in processes.items():  # warm-up: imports, connections, caches
            await measure(lab, process, name, WARM_UP, concurrency)
        figures: dict[str, list[float]] = {name: [] for name in targets}
        ratios: dict[str, list[float]] = {name: [] for name in targets if name in {"bot", "before"}}
        for round_ in range(1, rounds + 1):
            for name, process in processes.items():
                figures[name].append(await measure(lab, process, name, commands, concurrency))
            for name, kept in ratios.items():  # within a round: the machine's load changes less than across rounds
                kept.append(figures[name][-1] / figures["resolve"][-1])
            shown = ", ".join(f"{name} {figures[name][-1]:.2f}" for name in targets)
            print(f"round {round_}: ms CPU/command: {shown}; ratio bot / minimal {ratios['bot'][-1]:.2f}")
    for name, label in targets.items():
        print(f"median: {label:<24} {statistics.median(figures[name]):6.2f} ms CPU/command")
    for name, kept in ratios.items():
        print(
            f"median: ratio {targets[name]} / minimal = {statistics.median(kept):.2f} (per round: "
            f"{', '.join(f'{r:.2f}' for r in kept)})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--before", type=Path, default=None, help="a checkout of an earlier commit: its bot measured alongside"
    )
    args = parser.parse_args()
    asyncio.run(main(args.commands, args.concurrency, args.rounds, args.before))
