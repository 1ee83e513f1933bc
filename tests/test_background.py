"""`BackgroundTasks.repeat`: chores run at once and then periodically, survive a failed run, and stop at once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.background import BackgroundTasks
from tests.fakes.server import wait_for


async def test_a_chore_runs_at_once_and_again_after_its_interval() -> None:
    """The first run starts without waiting; later runs follow every interval."""
    tasks, runs = BackgroundTasks(), []

    async def job() -> None:
        runs.append(asyncio.get_running_loop().time())

    tasks.repeat(job, every=0.05, name="chore")
    await wait_for(lambda: len(runs) >= 3, what="three runs")
    await tasks.drain()
    assert runs[1] - runs[0] >= 0.04 and runs[2] - runs[1] >= 0.04


async def test_a_failed_run_is_logged_and_the_next_one_still_comes(caplog: pytest.LogCaptureFixture) -> None:
    """One failure is logged once with an error id; the chore carries on."""
    tasks, runs = BackgroundTasks(), []

    async def job() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("database away")

    tasks.repeat(job, every=0.01, name="prune old records")
    await wait_for(lambda: len(runs) >= 2, what="the run after the failure")
    await tasks.drain()
    (failure,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.getMessage() == "prune old records failed"
    assert str(getattr(failure, "error_id", "")).startswith("E")
    assert failure.exc_info is not None


async def test_drain_stops_a_sleeping_chore_at_once() -> None:
    """A chore waiting hours for its next run does not hold up shutdown: drain cancels it immediately."""
    tasks, runs = BackgroundTasks(), []

    async def job() -> None:
        runs.append(1)

    chore = tasks.repeat(job, every=6 * 3600, name="chore")
    await wait_for(lambda: runs, what="the first run")
    started = asyncio.get_running_loop().time()
    await tasks.drain(grace=30)
    assert chore.cancelled()
    assert asyncio.get_running_loop().time() - started < 1
