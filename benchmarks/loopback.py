"""What the process benchmarks share: the fakes on loopback, a process under load, its CPU time and RSS.

Each process under test (the bot, or a minimal Bolt app) runs on its own; the fakes and the load run
in the benchmark's process, so their CPU is never counted. CPU time and RSS come from /proc.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import ROOT
from tests.e2e.harness import WEBHOOK_SECRET, SlackSender
from tests.e2e.processes import BotProcess, bot_environment, start_bot
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import free_port, serving
from tests.fakes.slack import FakeSlack

_TICK = os.sysconf("SC_CLK_TCK")
# Commands go to many channels, as in a workspace: the bot paces its posts per channel, as Slack asks.
CHANNELS = [f"C0BENCH{n:03d}" for n in range(100)]
USER = "U0ONCALL"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime: fields 14 and 15 of stat


def rss_mb(pid: int) -> float:
    """Resident set size of process `pid`, in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def new_ids(cx: FakeCoralogix, n: int) -> list[str]:
    """`n` fresh open incidents in the fake Coralogix; their ids."""
    ids = [str(uuid.uuid4()) for _ in range(n)]
    cx.add(*ids)
    return ids


class Outcomes:
    """Counts the answers that reached the fake Slack (channel posts and response_url posts), cheaply."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._seen = 0
        self._posts = 0

    def count(self) -> int:
        """chat.postMessage calls plus response_url posts so far."""
        calls = self.slack.calls
        self._posts += sum(1 for c in calls[self._seen :] if c.method == "chat.postMessage")
        self._seen = len(calls)
        return self._posts + len(self.slack.responses)


@dataclass
class Loopback:
    """Fake Slack and fake Coralogix on loopback, and an HTTP session without a connection limit."""

    slack: FakeSlack
    cx: FakeCoralogix
    http: aiohttp.ClientSession
    folder: Path
    stack: AsyncExitStack

    def sender(self, process: BotProcess) -> SlackSender:
        """Signed requests to `process`, as Slack sends them."""
        return SlackSender(slack=self.slack, bot_url=process.url, http=self.http)

    async def start(self, name: str, **settings: Any) -> BotProcess:
        """Start `python -m bot` (name "bot") or the minimal Bolt app ("resolve", "ack"); wait until it serves."""
        env = bot_environment(SLACK_API_URL=self.slack.api_url, CORALOGIX_API_URL=self.cx.base_url, **settings)
        if name == "bot":
            defaults = {
                "DATABASE_URL": f"sqlite:///{self.folder}/bot-{uuid.uuid4().hex[:8]}.sqlite3",
                "CORALOGIX_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "RECONCILE_INTERVAL": "0",
            }
            process = await start_bot({**defaults, **env}, cwd=self.folder)
        else:
            process = await _start_minimal(name, env, self.folder)
        self.stack.push_async_callback(_stop, process)
        await process.wait_serving(within=60)
        return process


@asynccontextmanager
async def loopback() -> AsyncIterator[Loopback]:
    """The fakes served, a temporary folder for databases, a session; all closed afterwards."""
    slack, cx = FakeSlack(), FakeCoralogix()
    slack.people[USER] = {"id": USER, "name": "oncall", "profile": {"email": "oncall@example.com"}}
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving(slack, cx))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        http = await stack.enter_async_context(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
        yield Loopback(slack=slack, cx=cx, http=http, folder=folder, stack=stack)


async def _stop(process: BotProcess) -> None:
    """SIGTERM, then SIGKILL when it takes longer than a minute (a benchmark may leave it busy)."""
    if process.process.returncode is not None:
        return
    try:
        await process.stop(within=60)
    except TimeoutError:
        process.process.kill()
        await process.process.wait()


async def _start_minimal(mode: str, env: dict[str, str], folder: Path) -> BotProcess:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.minimal_bolt",
        mode,
        env={**env, "PORT": str(port), "PYTHONPATH": str(ROOT)},
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = BotProcess(process, port)
    bot._reader = asyncio.create_task(bot._read())
    return bot


async def fire(sender: SlackSender, ids: list[str], concurrency: int) -> tuple[list[float], int]:
    """/resolve-incident for each id, `concurrency` at a time, spread over CHANNELS: each one's ack time in
    seconds, and how many were not acked (Bolt answers 404 itself when the listener took over 3 s)."""
    queue = list(reversed(ids))
    acks: list[float] = []
    missed = 0

    async def lane() -> None:
        nonlocal missed
        while queue:
            n = len(queue)
            text = queue.pop()
            start = time.perf_counter()
            status, _ = await sender.command(text, channel=CHANNELS[n % len(CHANNELS)])
            acks.append(time.perf_counter() - start)
            missed += status != 200

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return acks, missed
