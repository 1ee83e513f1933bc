"""Several real `python -m bot` processes on one PostgreSQL, between one fake Slack and one fake Coralogix.

For the tests of what happens when replicas race, crash (kill -9), are stopped (SIGTERM) or lose
their database: they count what Slack and Coralogix received, and read the journal to know when
every job is done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.store import Store
from bot.store.engine import create_engine
from bot.store.tables import Base
from tests.e2e.harness import ALERT_CHANNEL, UNPACED, WEBHOOK_SECRET, SlackSender
from tests.e2e.processes import BotProcess, bot_environment, start_bot
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import serving, wait_for
from tests.fakes.slack import FakeSlack

# Short enough for a test to sit out, as a deployment would its 30 s.
LEASE = 2


@dataclass
class Cluster:
    """The running processes (`bots[i]`), the fakes, and the database they share."""

    slack: FakeSlack
    coralogix: FakeCoralogix
    database: str
    env: dict[str, str]
    http: aiohttp.ClientSession
    folder: Path
    bots: list[BotProcess] = field(default_factory=list)

    def to(self, n: int) -> SlackSender:
        """Talk to bot `n` as Slack and Coralogix do."""
        return SlackSender(self.slack, self.bots[n].url, self.http)

    async def start(self) -> BotProcess:
        """Start one more replica and wait until it serves."""
        bot = await start_bot(self.env, cwd=self.folder)
        self.bots.append(bot)
        await bot.wait_serving()
        return bot

    async def kill(self, n: int) -> None:
        """kill -9: no cleanup, no goodbye; its leases simply stop being renewed."""
        await self.bots[n].stop(signal.SIGKILL)

    async def jobs_running(self) -> int:
        """Jobs journaled and not finished, from the shared database."""
        engine = create_engine(self.database)
        try:
            async with engine.connect() as connection:
                found = await connection.execute(text("SELECT count(*) FROM jobs WHERE state = 'running'"))
                return int(found.scalar() or 0)
        finally:
            await engine.dispose()

    async def settle(self, within: float = 20.0) -> None:
        """Until every journaled job is done (resumed ones included)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while await self.jobs_running():
            assert loop.time() < deadline, f"jobs still running after {within} s"
            await asyncio.sleep(0.05)

    async def reset(self) -> None:
        """Make this cluster look new to the next test that shares it: Coralogix released, every job
        finished, the fakes as new, the tables emptied, and a replica started in the place of each one
        the last test killed or stopped. Kept: `leases` (who leads) and the fake Slack's ts counter (no
        two messages of the run share a ts); what the processes hold in memory is no test's concern."""
        if self.coralogix.gate is not None:
            self.coralogix.gate.set()
        await self.settle()
        assert set(EMPTIED_BETWEEN_TESTS) | {"leases"} == set(Base.metadata.tables), "a table to empty or keep?"
        renew(self.slack, keep={"base_url", "_ts"})
        renew(self.coralogix, keep={"base_url"})
        engine = create_engine(self.database)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {', '.join(EMPTIED_BETWEEN_TESTS)}"))
        finally:
            await engine.dispose()
        dead = [n for n, bot in enumerate(self.bots) if bot.process.returncode is not None]
        started = await asyncio.gather(*(start_bot(self.env, cwd=self.folder) for _ in dead))
        for n, bot in zip(dead, started, strict=True):
            self.bots[n] = bot
        await asyncio.gather(*(bot.wait_serving() for bot in started))

    def posts(self) -> list[dict[str, Any]]:
        """Top-level messages the bots posted (alert messages and summaries; not thread lines)."""
        return [c.params for c in self.slack.called("chat.postMessage") if not c.params.get("thread_ts")]

    def thread(self, ts: str) -> list[str]:
        """The lines the bots wrote in the thread of `ts`."""
        return [c.params["text"] for c in self.slack.called("chat.postMessage") if c.params.get("thread_ts") == ts]

    async def alert_posted(self, count: int = 1) -> str:
        """Until `count` alert messages are out; the ts of the first."""
        await wait_for(lambda: len(self.posts()) >= count, within=15, what=f"{count} alert messages")
        return str(self.slack.called("chat.postMessage")[0].answer["ts"])


# The bot's tables but `leases` (and Alembic's): what a test sharing a cluster must not see of the last one.
EMPTIED_BETWEEN_TESTS = ("alert_messages", "audit_records", "incident_claims", "jobs", "processed_events", "storms")


def renew(fake: Any, keep: set[str]) -> None:
    """Every field of dataclass `fake` as a new one has it, but those in `keep` (its server keeps serving it)."""
    new = type(fake)()
    for f in dataclasses.fields(fake):
        if f.name not in keep:
            setattr(fake, f.name, getattr(new, f.name))


@asynccontextmanager
async def cluster(database: str, folder: Path, replicas: int = 2, **settings: Any) -> AsyncIterator[Cluster]:
    """Fakes, then `replicas` bot processes on `database`; everything stopped afterwards.

    The database is migrated first, as a deployment's release phase (`python -m bot migrate`) leaves
    it: each replica then starts without migrating (starts racing on an empty database are
    test_operations' concern).
    """
    await Store.migrate(database)
    slack, coralogix = FakeSlack(), FakeCoralogix()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving(slack, coralogix))
        # The fake Slack here enforces no rate limits: the writer's pace raised (see UNPACED).
        defaults = {"JOB_LEASE_SECONDS": LEASE, "RECONCILE_INTERVAL": 0, "SHUTDOWN_GRACE_SECONDS": 1, **UNPACED}
        env = bot_environment(
            DATABASE_URL=database,
            SLACK_API_URL=slack.api_url,
            CORALOGIX_API_URL=coralogix.base_url,
            CORALOGIX_WEBHOOK_SECRET=WEBHOOK_SECRET,
            SLACK_ALERT_CHANNEL=ALERT_CHANNEL,
            **{**defaults, **settings},
        )
        http = await stack.enter_async_context(aiohttp.ClientSession())
        group = Cluster(slack, coralogix, database, env, http, folder)
        try:
            await asyncio.gather(*(group.start() for _ in range(replicas)))
            yield group
        finally:
            if coralogix.gate is not None:
                coralogix.gate.set()  # nothing may stay held while the processes stop
            for bot in group.bots:
                if bot.process.returncode is None:
                    await bot.stop()
