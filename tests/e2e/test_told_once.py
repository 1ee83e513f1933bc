"""An action with nothing to follow finishes straight after the answer; when that finish fails, the person
is still told once, and the audit names are read before they are told."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from sqlalchemy import make_url, text

from tests.e2e.harness import Harness, running_bot
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import wait_for

OPEN = "55555555-5555-4555-8555-555555555555"
REFUSE_AUDIT = (
    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
)


async def job_row(bot: Harness) -> tuple[str, str | None]:
    """(state, stage) of the only job."""
    async with bot.runtime.store.engine.connect() as connection:
        row = (await connection.execute(text("SELECT state, stage FROM jobs"))).one()
    return str(row[0]), row[1]


def finished(bot: Harness) -> bool:
    """Whether the job is done, read from the SQLite file on a connection of its own (for `wait_for`)."""
    path = make_url(str(bot.runtime.settings.DATABASE_URL)).database
    with closing(sqlite3.connect(str(path))) as connection:
        return bool(connection.execute("SELECT state = 'done' FROM jobs").fetchone()[0])


def summaries(bot: Harness) -> int:
    """Summaries posted so far."""
    return sum("Resolved 1" in str(c.params.get("text")) for c in bot.slack.called("chat.postMessage"))


async def test_a_finish_that_fails_after_the_answer_does_not_tell_the_person_again() -> None:
    """The audit write fails once after the summary was posted: the job keeps 'told', and its retry
    finishes it (audit record and all) without a second summary."""
    cx = FakeCoralogix()
    cx.add(OPEN)
    async with running_bot(cx) as bot:
        async with bot.runtime.store.engine.begin() as connection:
            await connection.execute(text(REFUSE_AUDIT))
        await bot.command(OPEN)
        await wait_for(lambda: summaries(bot) == 1, what="the summary")
        await bot.settle()
        assert await job_row(bot) == ("running", "told")
        async with bot.runtime.store.engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER refuse_audit"))
            await connection.execute(text("UPDATE jobs SET not_before = NULL"))  # its retry is due now
        bot.runtime.worker.wake()
        await wait_for(lambda: finished(bot), what="the retry")
        await bot.settle()
        assert summaries(bot) == 1
        assert len(await bot.runtime.store.audit.query()) == 1


async def test_the_audit_names_are_read_before_the_person_is_told() -> None:
    """Slack's users.info (the audit record's names) comes before the summary, so nothing between the
    answer and the finish waits on the network."""
    cx = FakeCoralogix()
    cx.add(OPEN)
    async with running_bot(cx) as bot:
        await bot.command(OPEN)
        await wait_for(lambda: summaries(bot) == 1, what="the summary")
        await bot.settle()
        methods = [c.method for c in bot.slack.calls if c.method in {"users.info", "chat.postMessage"}]
        assert methods.index("users.info") < methods.index("chat.postMessage")
