"""Loopback helpers: serve an aiohttp application for the length of a test, find a free port, wait for a condition."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Protocol

from aiohttp import web


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 and yield its base URL (no trailing slash)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Servable(Protocol):
    """A fake with an aiohttp application and the base URL it is served at (FakeSlack, FakeCoralogix)."""

    base_url: str

    def app(self) -> web.Application: ...


@asynccontextmanager
async def serving(*fakes: Servable) -> AsyncIterator[None]:
    """Serve each fake on its own loopback port, its `base_url` set, for the length of the block."""
    async with AsyncExitStack() as stack:
        for fake in fakes:
            fake.base_url = await stack.enter_async_context(serve_app(fake.app()))
        yield


async def wait_for(predicate: Callable[[], object], within: float = 10.0, what: str = "condition") -> None:
    """Poll `predicate` until it is truthy; fail the test after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.01)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
