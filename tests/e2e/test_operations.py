"""Operating the bot as processes: migrations, start-up failures, a clean start, Socket Mode without Slack."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.engine import create_engine
from bot.store.migrations import head_revision
from tests.e2e.processes import bot_environment, run_bot, start_bot
from tests.fakes.server import free_port


async def revision_of(url: str) -> str | None:
    """The alembic revision a database holds."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()


async def test_two_migrates_and_a_bot_starting_together_on_an_empty_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two `migrate` processes and a bot started at once on one empty database all succeed, from any folder."""
    env = bot_environment(DATABASE_URL=postgres_url.replace("postgresql+asyncpg://", "postgres://"))
    bot = await start_bot(env, cwd=tmp_path)
    try:
        (first, first_log), (second, second_log) = await asyncio.gather(
            run_bot(env, "migrate", cwd=tmp_path), run_bot(env, "migrate", cwd=tmp_path)
        )
        await bot.wait_serving()
        assert (await bot.get("/readyz"))[0] == 200
    finally:
        assert await bot.stop() == 0, bot.log
    assert (first, second) == (0, 0), first_log + second_log
    assert "Traceback" not in first_log + second_log + bot.log
    assert await revision_of(postgres_url) == head_revision()


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_unreachable_database_is_one_line_naming_host_and_port(tmp_path: Path, log_format: str) -> None:
    """A database nobody answers for stops the bot with exit 1 and one log line: host and port, no password."""
    port = free_port()
    env = bot_environment(DATABASE_URL=f"postgres://bot:hunter2-pw@127.0.0.1:{port}/bot", LOG_FORMAT=log_format)
    code, log = await run_bot(env, cwd=tmp_path)
    assert code == 1
    lines = log.strip().splitlines()
    assert len(lines) == 1, log
    assert f"127.0.0.1:{port}" in log
    assert "hunter2-pw" not in log
    assert "Traceback" not in log
    if log_format == "json":
        entry = json.loads(lines[0])
        assert entry["level"] == "error"
        assert "cannot start" in entry["message"]


async def test_missing_sqlite_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    """An SQLite file in a folder that does not exist stops the bot with one line naming the folder."""
    folder = tmp_path / "no" / "such" / "folder"
    code, log = await run_bot(bot_environment(DATABASE_URL=f"sqlite:///{folder}/bot.sqlite3"), cwd=tmp_path)
    assert code == 1
    assert len(log.strip().splitlines()) == 1, log
    assert str(folder) in log
    assert "Traceback" not in log


async def test_database_the_bot_cannot_write_is_one_line(tmp_path: Path) -> None:
    """A read-only SQLite database stops the bot with one line saying it cannot be written."""
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"")
    code, log = await run_bot(bot_environment(DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true"), cwd=tmp_path)
    assert code == 1
    assert len(log.strip().splitlines()) == 1, log
    assert "readonly" in log
    assert "Traceback" not in log


async def test_a_clean_start_logs_no_warning(tmp_path: Path) -> None:
    """Started with SLACK_BOT_TOKEN in its environment (as on Heroku), the bot logs nothing at WARNING or above."""
    bot = await start_bot(bot_environment(DATABASE_URL=f"sqlite:///{tmp_path}/bot.sqlite3"), cwd=tmp_path)
    try:
        await bot.wait_serving()
        assert (await bot.get("/readyz"))[0] == 200
    finally:
        assert await bot.stop() == 0
    assert "[warning" not in bot.log and "[error" not in bot.log, bot.log
    assert "will be unused" not in bot.log


async def test_socket_mode_without_slack_retries_in_one_line_and_stops_fast(tmp_path: Path) -> None:
    """Slack unreachable: one log line per attempt, /readyz 503 naming the socket, exit 0 within 5 s of SIGTERM."""
    env = bot_environment(
        SLACK_APP_TOKEN="xapp-1-test",
        SLACK_SIGNING_SECRET=None,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        DATABASE_URL=f"sqlite:///{tmp_path}/bot.sqlite3",
    )
    del env["SLACK_SIGNING_SECRET"]
    bot = await start_bot(env, cwd=tmp_path)
    try:
        await bot.wait_serving()
        await bot.wait_logged("cannot connect to Slack's Socket Mode")
        status, body = await bot.get("/readyz")
        assert status == 503
        assert json.loads(body)["down"] == {"slack_socket": "not connected to Slack's Socket Mode"}
    finally:
        started = time.monotonic()
        code = await bot.stop(within=10)
        stopped_in = time.monotonic() - started
    assert code == 0
    assert stopped_in < 5
    assert "Traceback" not in bot.log
    attempts = [line for line in bot.log.splitlines() if "cannot connect to Slack's Socket Mode" in line]
    assert attempts and all("retrying in" in line for line in attempts)
