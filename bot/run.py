"""One bot process from start to stop: serve, connect, run jobs, and leave in order on SIGTERM or SIGINT.

At SIGTERM (every deploy) the process stops taking work: the HTTP port and the Socket Mode
connection close first, then listeners and jobs in flight get the grace period to finish, and
unfinished jobs are handed back to the journal for another process (or the next start) to resume.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import Runtime
from bot.server import TimedSocketModeHandler, connect_socket

logger = logging.getLogger(__name__)


async def serve(runtime: Runtime, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set): the HTTP server, the worker, and Socket Mode when configured."""
    settings = runtime.settings
    runner = web.AppRunner(runtime.web_app(), access_log=None)  # no access log: `?token=` must not be logged
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=settings.PORT)  # noqa: S104 - a server binds all interfaces
    await site.start()
    socket_handler = None
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    try:
        runtime.worker.start()
        runtime.worker.wake()  # jobs a crashed or stopped process left behind, at once
        if settings.SLACK_APP_TOKEN is not None:
            socket_handler = TimedSocketModeHandler(
                runtime.app, settings.SLACK_APP_TOKEN.get_secret_value(), runtime.metrics
            )
            runtime.readiness.socket = socket_handler.client
            if await connect_socket(socket_handler, stop):
                logger.info("connected to Slack in Socket Mode; HTTP routes on port %d", settings.PORT)
        else:
            logger.info("listening for Slack on port %d at /slack/events", settings.PORT)
        await stop.wait()
    finally:
        grace = runtime.settings.SHUTDOWN_GRACE_SECONDS
        logger.info("shutting down: no new work; up to %d s for what is in flight", grace)
        await site.stop()
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]  # untyped in Bolt
        await runtime.aclose()
        await runner.cleanup()
