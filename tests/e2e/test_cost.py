"""What one /resolve-incident costs in the common case, counted (timings live in benchmarks/): Coralogix
calls and database statements, so a regression of the gain shows up as a failing count."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from tests.e2e.harness import Harness, running_bot
from tests.fakes.coralogix import RESOLVED, FakeCoralogix, make_incident
from tests.fakes.server import wait_for

OPEN = "11111111-1111-4111-8111-111111111111"
CLOSED = "22222222-2222-4222-8222-222222222222"
WARM = "33333333-3333-4333-8333-333333333333"
# Statements for one action: journal (insert, the decided stage), claims (read and take in one
# transaction), the alert messages showing it (none: no "told" stage, the finish says it), then one
# transaction: the job finished, the audit record, the claims released (twice). Raise it only with a reason.
STATEMENT_BUDGET = 9
PERIODIC = (
    "UPDATE jobs SET lease_until",
    "UPDATE jobs SET owner=?, lease_until=?, not_before=?",
    "SELECT storms.id",  # the storm render chore
)


def counted(bot: Harness) -> list[str]:
    """Every SQL statement the bot's engine runs from now on, but the worker's heartbeats, polls for due
    jobs and the storm render chore (they run on a timer, per process, whatever the load)."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(PERIODIC):
            statements.append(statement)

    event.listen(bot.runtime.store.engine.sync_engine, "before_cursor_execute", seen)
    return statements


async def summary(bot: Harness, n: int) -> str:
    """The text of the n-th summary (from 1) once it is posted."""
    await wait_for(lambda: len(bot.slack.called("chat.postMessage")) >= n, what="summary")
    await bot.settle()
    return str(bot.slack.called("chat.postMessage")[n - 1].params["text"])


async def test_one_open_incident_costs_one_coralogix_call_and_a_bounded_number_of_statements() -> None:
    """One open incident: one Coralogix call (resolve, no read first) and at most the budget of SQL statements."""
    cx = FakeCoralogix()
    cx.add(OPEN, WARM)
    async with running_bot(cx) as bot:
        await bot.command(WARM)  # the first command pays for start-up lookups
        await summary(bot, 1)
        before = len(cx.calls)
        statements = counted(bot)
        await bot.command(OPEN)
        assert "Resolved 1" in await summary(bot, 2)
        assert [c.operation for c in cx.calls[before:]] == ["resolve"]
        assert len(statements) <= STATEMENT_BUDGET, statements


async def test_an_incident_resolved_before_the_command_is_already_resolved_with_one_call() -> None:
    """The resolve answer's closedAt, long before the call, tells "already resolved" apart without a read first."""
    cx = FakeCoralogix()
    cx.add(make_incident(CLOSED, status=RESOLVED))
    async with running_bot(cx) as bot:
        await bot.command(CLOSED)
        text = await summary(bot, 1)
        assert "already resolved" in text.lower() and "Resolved 1" not in text
        assert [c.operation for c in cx.calls] == ["resolve"]


async def test_a_burst_of_commands_is_acked_at_once_and_worked_a_few_dozen_at_a_time() -> None:
    """40 commands at once with Coralogix held: every one acked, at most 32 jobs calling Coralogix at once."""
    ids = [f"44444444-4444-4444-8444-{n:012d}" for n in range(40)]
    cx = FakeCoralogix(gate=asyncio.Event())
    cx.add(*ids)
    async with running_bot(cx) as bot:
        # One channel each: the bot paces its posts per channel, as Slack asks.
        answers = await asyncio.gather(*(bot.command(i, channel=f"C0BURST{n:02d}") for n, i in enumerate(ids)))
        assert all(status == 200 for status, _ in answers)
        await wait_for(lambda: cx.in_flight >= 32, what="32 jobs at Coralogix")
        assert cx.gate is not None
        cx.gate.set()
        await wait_for(lambda: len(bot.slack.called("chat.postMessage")) == 40, within=30, what="40 summaries")
        assert cx.max_in_flight["all"] == 32
