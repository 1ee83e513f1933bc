"""Every Slack write of the bot goes through `SlackWriter`, which knows Slack's rate limits.

- chat.postMessage: about one message a second per channel, with short bursts. Posts are paced
  per channel (a token bucket), people's answers ahead of alert bookkeeping.
- chat.update: about 50 a minute per workspace. Updates of one message are coalesced (while one
  waits, a newer one replaces it: only the latest state is sent), and background updates get at
  most BACKGROUND_UPDATES a minute, so people's clicks always have headroom.
- A 429 is waited out: its Retry-After pauses the bucket it hit (every later write waits too, not
  only the one that was refused), logged at INFO; only repeated refusals surface as errors.

Pacing is per process; with several replicas Slack's 429s (waited out here) are the backstop.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.background import PERSON_WAITING

logger = logging.getLogger(__name__)

RATE_LIMIT_WAITS = 5  # 429s waited out for one write before it fails
DEFAULT_RETRY_AFTER = 1.0
CHANNELS_KEPT = 1000  # channel buckets kept before idle ones are forgotten


@dataclass(frozen=True, slots=True)
class WriteLimits:
    """How fast the writer writes: a little under Slack's limits."""

    post_burst: int = 3  # posts to one channel at once, then
    posts_per_second: float = 1.0  # per channel
    update_burst: int = 5
    updates_per_minute: float = 45  # per workspace (Slack: about 50)
    background_updates_per_minute: float = 30  # of those, for updates nobody waits for


class Priority(IntEnum):
    """Who is waiting for a write: a person (their own answer or click), or nobody in particular."""

    USER = 0
    BACKGROUND = 1


class Bucket:
    """A token bucket whose waiters are served by priority, then in order of arrival."""

    def __init__(self, capacity: float, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.clock = clock
        self.tokens = capacity
        self.updated = clock()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, priority: Priority = Priority.USER) -> None:
        """Wait for a token."""
        self._refill()
        if not self._waiters and self.tokens >= 1:
            self.tokens -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), waiter))
        self._schedule()
        await waiter  # a cancelled waiter is skipped when its turn comes

    @property
    def idle(self) -> bool:
        """Nobody waits and the bucket is full: it may be forgotten."""
        self._refill()
        return not self._waiters and self.tokens >= self.capacity

    def pause(self, seconds: float) -> None:
        """Slack said to wait: no token for `seconds`."""
        self.tokens = min(self.tokens, 0.0)
        self.updated = max(self.updated, self.clock() + seconds)
        self._schedule()

    def _refill(self) -> None:
        now = self.clock()
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now

    def _dispatch(self) -> None:
        self._timer = None
        self._refill()
        while self._waiters and self.tokens >= 1:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                self.tokens -= 1
                waiter.set_result(None)
        self._schedule()

    def _schedule(self) -> None:
        if not self._waiters or self._timer is not None:
            return
        wait = max(0.0, self.updated - self.clock()) + max(0.0, 1 - self.tokens) / self.per_second
        self._timer = asyncio.get_running_loop().call_later(wait, self._dispatch)


@dataclass
class _Update:
    """An update waiting for its turn; a later one for the same message replaces its content."""

    kwargs: dict[str, Any]
    priority: Priority
    done: asyncio.Future[AsyncSlackResponse | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SlackWriter:
    """The one place that writes to Slack."""

    def __init__(
        self,
        client: AsyncWebClient,
        limits: WriteLimits = WriteLimits(),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.limits = limits
        self.clock = clock
        self._channels: dict[str, Bucket] = {}
        self._updates = Bucket(limits.update_burst, limits.updates_per_minute / 60, clock)
        self._background_updates = Bucket(2, limits.background_updates_per_minute / 60, clock)
        self._others = Bucket(20, 20.0, clock)  # ephemeral messages and views: Slack's Tier 4
        self._waiting: dict[tuple[str, str], _Update] = {}
        self._sending: dict[tuple[str, str], asyncio.Lock] = {}

    async def post(self, channel: str, *, priority: Priority | None = None, **kwargs: Any) -> AsyncSlackResponse:
        """chat.postMessage, paced per channel. `priority`: by default, USER when a person waits for the
        current task (`bot.background.PERSON_WAITING`), else BACKGROUND."""
        args = {"channel": channel, **kwargs}
        return await self._call(self._channel(channel), _priority(priority), self.client.chat_postMessage, args)

    async def update(
        self, channel: str, ts: str, *, priority: Priority | None = None, **kwargs: Any
    ) -> AsyncSlackResponse | None:
        """chat.update. While an update of the same message waits, this one replaces it (and its caller
        hears the outcome of the one sent). Updates of one message are sent one after the other."""
        priority = _priority(priority)
        key = (channel, ts)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.kwargs = kwargs
            waiting.priority = min(waiting.priority, priority)
            return await asyncio.shield(waiting.done)
        waiting = self._waiting[key] = _Update(kwargs, priority)
        lock = self._sending.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if waiting.priority is Priority.BACKGROUND:
                    await self._background_updates.take(Priority.BACKGROUND)
                await self._updates.take(waiting.priority)
                del self._waiting[key]  # from here on, a newer update waits for its own turn
                args = {"channel": channel, "ts": ts, **waiting.kwargs}
                answer = await self._call(self._updates, waiting.priority, self.client.chat_update, args, paced=False)
            waiting.done.set_result(answer)
            return answer
        except BaseException as e:
            if self._waiting.get(key) is waiting:
                del self._waiting[key]
            if not waiting.done.done():
                waiting.done.set_exception(e)
                waiting.done.exception()  # retrieved: a replaced caller may never await it
            raise
        finally:
            if not lock.locked() and key not in self._waiting:
                self._sending.pop(key, None)

    async def ephemeral(self, channel: str, user: str, **kwargs: Any) -> AsyncSlackResponse:
        """chat.postEphemeral: a message only `user` sees."""
        args = {"channel": channel, "user": user, **kwargs}
        return await self._call(self._others, Priority.USER, self.client.chat_postEphemeral, args)

    async def publish_home(self, user: str, view: dict[str, Any]) -> AsyncSlackResponse:
        """views.publish: `user`'s App Home."""
        return await self._call(self._others, Priority.USER, self.client.views_publish, {"user_id": user, "view": view})

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> AsyncSlackResponse:
        """views.open (its trigger id expires within 3 s: never paced, only a 429 waits)."""
        args = {"trigger_id": trigger_id, "view": view}
        return await self._call(self._others, Priority.USER, self.client.views_open, args, paced=False)

    async def update_view(self, view_id: str, view: dict[str, Any], view_hash: str | None = None) -> AsyncSlackResponse:
        """views.update of an open modal (with `view_hash`, only if nobody changed it since)."""
        args = {"view_id": view_id, "view": view, **({"hash": view_hash} if view_hash else {})}
        return await self._call(self._others, Priority.USER, self.client.views_update, args)

    async def respond(self, response_url: str, **payload: Any) -> int:
        """A post to an interaction's response_url (not the Web API: 5 uses in 30 minutes); its status."""
        return (await AsyncRespond(response_url=response_url)(**payload)).status_code

    def _channel(self, channel: str) -> Bucket:
        bucket = self._channels.get(channel)
        if bucket is None:
            if len(self._channels) >= CHANNELS_KEPT:  # forget channels that are idle (their buckets are full)
                self._channels = {c: b for c, b in self._channels.items() if not b.idle}
            bucket = self._channels[channel] = Bucket(self.limits.post_burst, self.limits.posts_per_second, self.clock)
        return bucket

    async def _call(
        self,
        bucket: Bucket,
        priority: Priority,
        send: Callable[..., Awaitable[AsyncSlackResponse]],
        args: dict[str, Any],
        *,
        paced: bool = True,
    ) -> AsyncSlackResponse:
        """Take a turn from `bucket` (unless the caller did, or `paced` is off) and send; a 429 pauses
        the bucket for its Retry-After, and the write takes a new turn."""
        if paced:
            await bucket.take(priority)
        for _ in range(RATE_LIMIT_WAITS):
            try:
                return await send(**args)
            except SlackApiError as e:
                if e.response.status_code != 429:
                    raise
                seconds = _retry_after(e)
            logger.info("Slack rate-limited %s: sending it again in %.0f s", send.__name__, seconds)
            bucket.pause(seconds)
            await bucket.take(priority)
        return await send(**args)  # the last try: its error, 429 or not, is the caller's


def _priority(given: Priority | None) -> Priority:
    if given is not None:
        return given
    return Priority.USER if PERSON_WAITING.get() else Priority.BACKGROUND


def _retry_after(error: SlackApiError) -> float:
    try:
        return max(float(error.response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)), 0.0)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
