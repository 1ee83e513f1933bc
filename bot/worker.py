"""Runs the journal's jobs: at once in the process that wrote them, and any job whose lease ran out.

No polling for new work: a job journaled here runs at once; the claim query runs only every
`scan_every` seconds (a third of the lease) for jobs another process left behind, and a lease
heartbeat is one UPDATE for all of this process's jobs. On SIGTERM the worker takes no more work,
lets what runs finish for up to a grace period, and hands the rest back to the journal at once,
so another process resumes it without waiting out the lease.

Leader chores (drift repair, pruning) run in exactly one process: the one holding the `leader`
lease row, renewed with the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.background import PERSON_WAITING
from bot.errors import record_failure
from bot.store import Job, JobKind, Journal, LeaseLost
from bot.store.leases import Leases

logger = logging.getLogger(__name__)

Runner = Callable[[Job], Awaitable[None]]
# A job that keeps failing (not Coralogix or Slack saying no: those are outcomes) is retried this
# many times, waiting longer each time, and then given up with its error logged.
MAX_ATTEMPTS = 5
RETRY_BACKOFF = 5.0
LOOK_AFTER_JOBS_EVERY = 1.0  # seconds: at most one look for due jobs a second, prompted by jobs ending


@dataclass(frozen=True, slots=True)
class Chore:
    """Leader-only work: `run` every `every` seconds."""

    name: str
    every: float
    run: Callable[[], Awaitable[Any]]


class Worker:
    """The job runner of one process."""

    def __init__(
        self,
        journal: Journal,
        leases: Leases,
        runners: dict[JobKind, Runner],
        *,
        chores: list[Chore] | None = None,
        concurrency: int = 32,
        give_up: Callable[[Job, str], Awaitable[None]] | None = None,
        retry_backoff: float = RETRY_BACKOFF,
        look_after_jobs_every: float = LOOK_AFTER_JOBS_EVERY,
    ) -> None:
        self.journal = journal
        self.leases = leases
        self.runners = runners
        self.chores = chores or []
        self.concurrency = concurrency
        self.give_up = give_up
        self.retry_backoff = retry_backoff
        self.look_after_jobs_every = look_after_jobs_every
        lease = journal.lease.total_seconds()
        self.scan_every = lease / 3
        self.heartbeat_every = lease / 3
        self._running: dict[int, asyncio.Task[None]] = {}
        # At most `concurrency` jobs work at once; the rest wait their turn, journaled and leased. A burst
        # of hundreds of commands then shares the event loop with a few dozen jobs, so every ack is quick.
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._leading = asyncio.Event()
        self._stopping = False
        self._more_due = False  # whether the last look for due jobs may have left some for want of room
        self._looked_at = time.monotonic()
        # A job deferred here (a retry, a notification waiting for its message) is looked for when it is due
        # (any process may take it; this one looks then), not at the next periodic look.
        if journal.on_defer is not None:
            raise ValueError("a journal serves one worker: its deferrals wake that worker")
        journal.on_defer = self._look_in  # a wake per deferral, outside the once-a-second limit: each is due then
        self._loops: list[asyncio.Task[None]] = []
        self._last_chore: dict[str, float] = {}
        self.is_leader = False

    async def submit(self, kind: JobKind, key: str, payload: dict[str, Any]) -> Job | None:
        """Journal a job and run it here at once; None when its key was journaled before (a replay).
        Raises when the journal cannot be written (the caller tells the person to try again)."""
        job = await self.journal.submit(kind, key, payload)
        if job is not None:
            self._start(job)
        return job

    def start(self) -> None:
        """Start claiming left-behind jobs, the heartbeat and the leader chores."""
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="claim due jobs"),
            asyncio.create_task(self._heartbeat_loop(), name="lease heartbeat"),
            asyncio.create_task(self._chore_loop(), name="leader chores"),
        ]

    def wake(self) -> None:
        """Look for due jobs now (after a restart, or when the database is back)."""
        self._wake.set()

    async def idle(self) -> None:
        """Until no job runs here (tests, and a drain)."""
        while self._running:
            await asyncio.wait(set(self._running.values()))

    async def stop(self, grace: float) -> None:
        """Take no more work; let running jobs finish for `grace` seconds; hand the rest back at once."""
        self._stopping = True
        self._stop.set()
        # The loops end at their next wait; one busy in the database may finish its statement first.
        _, busy = await asyncio.wait(self._loops, timeout=grace) if self._loops else (set(), set())
        for loop in busy:
            loop.cancel()
        await asyncio.gather(*busy, return_exceptions=True)
        if self._running:
            _, pending = await asyncio.wait(set(self._running.values()), timeout=grace)
            unfinished = [job_id for job_id, task in self._running.items() if task in pending]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if unfinished:
                logger.info("handing %d unfinished jobs back to the journal", len(unfinished))
                with contextlib.suppress(Exception):
                    await self.journal.release(unfinished)
        if self.is_leader:
            with contextlib.suppress(Exception):
                await self.leases.release("leader", self.journal.owner)

    def __len__(self) -> int:
        return len(self._running)

    def _start(self, job: Job) -> None:
        if job.id in self._running:
            return
        task = asyncio.create_task(self._run(job), name=f"job {job.id} ({job.kind.value})")
        self._running[job.id] = task
        task.add_done_callback(lambda _: self._finished(job.id))

    def _look_in(self, seconds: float) -> None:
        asyncio.get_running_loop().call_later(seconds, self._wake.set)

    def _finished(self, job_id: int) -> None:
        self._running.pop(job_id, None)
        # A slot is free. Look for due jobs at once when the last look had no room for all of them; else at
        # most once every `look_after_jobs_every` (for jobs another process handed back): a look after
        # every job would cost more than the job's own statements.
        if self._more_due or time.monotonic() - self._looked_at >= self.look_after_jobs_every:
            self._wake.set()

    async def _run(self, job: Job) -> None:
        PERSON_WAITING.set(job.kind is JobKind.ACTION)  # this task's own context: notifications yield
        try:
            async with self._slots:
                await self.runners[job.kind](job)
        except LeaseLost:
            logger.info("job %d was taken over by another process; leaving it to that one", job.id)
        except Exception as error:  # noqa: BLE001 - any failure is retried later, then given up, never lost
            await self._failed(job, error)

    async def _failed(self, job: Job, error: Exception) -> None:
        if job.attempts < MAX_ATTEMPTS:
            logger.warning(
                "job %d (%s) failed on attempt %d (%s); retrying later", job.id, job.kind.value, job.attempts, error
            )
            with contextlib.suppress(Exception):  # if even this fails, the lease runs out and it is retried
                await self.journal.defer(job, seconds=self.retry_backoff * job.attempts)
            return
        error_id = record_failure(
            logger, f"job {job.id} ({job.kind.value}) failed {job.attempts} times; giving up", error
        )
        with contextlib.suppress(Exception):
            await self.journal.finish(job, result={"gave_up": type(error).__name__, "error_id": error_id})
            if self.give_up is not None:
                await self.give_up(job, error_id)

    async def _pause(self, event: asyncio.Event, seconds: float) -> None:
        """Until `event` is set, `seconds` pass, or the worker stops."""
        waits = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stop.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _claim_loop(self) -> None:
        while not self._stopping:
            await self._pause(self._wake, self.scan_every)
            self._wake.clear()
            if self._stopping:
                return
            free = self.concurrency - len(self._running)
            self._looked_at = time.monotonic()
            try:
                claimed = await self.journal.claim_due(free)
            except Exception as e:  # noqa: BLE001 - the database is away: the next round tries again
                logger.warning("cannot look for due jobs: %s: %.200s", type(e).__name__, e)
                continue
            # Full (or no room to look): more may be due, so look again as soon as a job ends. Otherwise the
            # next look is the periodic one: a statement after every job would cost more than the job's own.
            self._more_due = len(claimed) >= free
            for job in claimed:
                if job.resumed:
                    logger.info("resuming job %d (%s), attempt %d", job.id, job.kind.value, job.attempts)
                self._start(job)

    async def _heartbeat_loop(self) -> None:
        while not self._stopping:
            try:
                if self._running:
                    await self.journal.heartbeat()
                self.is_leader = await self.leases.hold("leader", self.journal.owner, self.journal.lease)
                if self.is_leader:
                    self._leading.set()  # the chores run at once when leadership is new
            except Exception as e:  # noqa: BLE001 - the database is away: leases run out, work resumes later
                self.is_leader = False
                logger.warning("lease heartbeat failed: %s: %.200s", type(e).__name__, e)
            await self._pause(self._stop, self.heartbeat_every)

    async def _chore_loop(self) -> None:
        """Each chore in turn when due, only while this process is the leader (in a loop of its own, so a
        long chore never delays the heartbeat)."""
        if not self.chores:
            return
        PERSON_WAITING.set(False)
        loop = asyncio.get_running_loop()
        tick = min(self.heartbeat_every, *(c.every for c in self.chores))
        while not self._stopping:
            await self._pause(self._leading, tick)
            self._leading.clear()
            if self._stopping or not self.is_leader:
                continue
            for chore in self.chores:
                if self._stopping:
                    return
                last = self._last_chore.get(chore.name)
                if last is not None and loop.time() - last < chore.every:
                    continue
                self._last_chore[chore.name] = loop.time()
                try:
                    await chore.run()
                except Exception as e:  # noqa: BLE001 - logged with its traceback; the chore comes round again
                    record_failure(logger, f"{chore.name} failed", e)
