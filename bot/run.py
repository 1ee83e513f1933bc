"""One bot process from start to stop: serve, connect, and leave in order on SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta
from functools import partial

from aiohttp import web

from bot.app import Runtime
from bot.server import TimedSocketModeHandler, connect_socket
from bot.store.retention import PRUNE_EVERY, prune

logger = logging.getLogger(__name__)


async def serve(runtime: Runtime, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set): the HTTP server, plus Socket Mode when configured."""
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
        if recovered := await runtime.services.alerts.recover_stale_claims():
            logger.info("gave %d alert messages left on 'Resolving…' their buttons back", recovered)
        retention = timedelta(days=settings.RETENTION_DAYS)
        runtime.tasks.repeat(
            partial(prune, runtime.store.engine, retention=retention),
            every=PRUNE_EVERY.total_seconds(),
            name="prune old records",
        )
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
        logger.info("shutting down")
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]  # untyped in Bolt
        await runner.cleanup()
        await runtime.aclose()
