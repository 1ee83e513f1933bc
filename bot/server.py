"""The HTTP server: Bolt's `/slack/events` plus `/healthz`, on one aiohttp application.

Later routes (the Coralogix webhook) join the same application. In Socket Mode the server still
runs, for `/healthz` and future routes, while Slack traffic arrives over the socket.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot import __version__
from bot.webhook import WEBHOOK_PATH, Handler

if TYPE_CHECKING:
    from bot.app import Runtime

logger = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def build_web_app(app: AsyncApp, *, serve_slack: bool = True, webhook: Handler | None = None) -> web.Application:
    """The aiohttp application: Slack's endpoint (HTTP mode) and a health check."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "version": __version__})

    web_app = web.Application(client_max_size=1024 * 1024)
    if serve_slack:
        web_app.router.add_post(SLACK_EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, healthz)
    if webhook is not None:
        web_app.router.add_post(WEBHOOK_PATH, webhook)
    return web_app


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
        if settings.SLACK_APP_TOKEN is not None:
            socket_handler = AsyncSocketModeHandler(runtime.app, settings.SLACK_APP_TOKEN.get_secret_value())
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
            logger.info("connected to Slack in Socket Mode; HTTP routes on port %d", settings.PORT)
        else:
            logger.info("listening for Slack on port %d at %s", settings.PORT, SLACK_EVENTS_PATH)
        await stop.wait()
    finally:
        logger.info("shutting down")
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
        await runtime.aclose()
