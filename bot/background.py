"""Work that outlives an HTTP answer (the webhook answers first, posts to Slack after), and chores that repeat.

The event loop keeps only weak references to tasks, so they are held here until done; failures
are logged with an error id; shutdown waits a little for what is still running, and stops the
repeating chores at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from bot.errors import record_failure

logger = logging.getLogger(__name__)

# Whether a person waits for what the current task does (their request or action) or nobody in
# particular (a notification, a chore): Slack writes of the latter yield to the former. Per task:
# the worker sets it for each job it runs and for its chores.
PERSON_WAITING: ContextVar[bool] = ContextVar("person_waiting", default=True)


class BackgroundTasks:
    """A set of running tasks."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._chores: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `coro` after the caller returns; its failure is logged, never lost."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def track(self) -> None:
        """Count the current task (a Bolt listener running after its ack) as work in flight until it ends."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Until no work is in flight, including work that work in flight started (chores aside)."""
        current = asyncio.current_task()
        while waiting := {t for t in self._tasks if t is not current}:
            await asyncio.wait(waiting)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            record_failure(logger, f"background task {task.get_name()} failed", error)

    def repeat(self, job: Callable[[], Awaitable[object]], *, every: float, name: str) -> asyncio.Task[None]:
        """Run `job` now and then every `every` seconds until `drain`; a failed run is logged, the next one
        still comes."""

        async def loop() -> None:
            while True:
                try:
                    await job()
                except Exception as e:  # noqa: BLE001 - logged with its traceback by record_failure; the chore goes on
                    record_failure(logger, f"{name} failed", e)
                await asyncio.sleep(every)

        task = asyncio.create_task(loop(), name=name)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)
        return task

    async def drain(self, grace: float = 10.0) -> None:
        """Stop the repeating chores at once; wait up to `grace` seconds for running tasks, then cancel the rest."""
        for chore in list(self._chores):
            chore.cancel()
        if self._chores:
            await asyncio.wait(set(self._chores))
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()

    def __len__(self) -> int:
        return len(self._tasks)
