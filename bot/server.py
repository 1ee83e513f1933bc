"""The HTTP server: Bolt's `/slack/events` plus `/healthz`, on one aiohttp application.

Later routes (the Coralogix webhook) join the same application. In Socket Mode the server still
runs, for `/healthz` and future routes, while Slack traffic arrives over the socket.

A Slack request's signature is checked before its body is even parsed (Bolt parses first, and its
`int(timestamp)` raises on a malformed header), then `bot.payloads` makes sure Bolt can route it;
Bolt checks the signature again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot import __version__, payloads
from bot.errors import BadPayload
from bot.listeners.errors import refuse_unrouted
from bot.store.retention import PRUNE_EVERY, prune
from bot.webhook import WEBHOOK_PATH, Handler

if TYPE_CHECKING:
    from bot.app import Runtime

logger = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack sends whole seconds since the epoch; anything else is no timestamp at all.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def _signed(verifier: SignatureVerifier, text: str, headers: Mapping[str, str]) -> bool:
    """Whether Slack signed `text` within the last five minutes (a missing or malformed timestamp: no)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    return _TIMESTAMP.fullmatch(timestamp) is not None and verifier.is_valid(text, timestamp, signature)


def _is_ssl_check(text: str, headers: dict[str, str]) -> bool:
    """Slack's unsigned TLS check (`ssl_check=1&token=…`), which Bolt answers before routing anything."""
    try:
        return payloads.parse(text, headers).get("ssl_check") == "1"
    except BadPayload:
        return False


def _slack_events(app: AsyncApp, verifier: SignatureVerifier) -> Handler:
    """`POST /slack/events`: signature, then a payload Bolt can route, then Bolt."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        headers = dict(request.headers)  # one mapping for our checks and for Bolt, so both read the same
        try:
            text = (await request.read()).decode()
        except UnicodeDecodeError:
            text = None  # Slack signs UTF-8 text; these bytes cannot be verified
        if text is None or not (_signed(verifier, text, request.headers) or _is_ssl_check(text, headers)):
            logger.info("refused a Slack request from %s: missing, stale or invalid signature", request.remote)
            return web.json_response({"error": "invalid request"}, status=401)
        body: dict[str, Any] = {}
        try:
            body = payloads.parse(text, headers)
            payloads.check(body)
        except BadPayload as refusal:
            return await to_aiohttp_response(await refuse_unrouted(refusal, body, app.client))
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=headers)  # type: ignore[arg-type]
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return slack_events


def build_web_app(
    app: AsyncApp, *, serve_slack: bool = True, signing_secret: str = "", webhook: Handler | None = None
) -> web.Application:
    """The aiohttp application: Slack's endpoint (HTTP mode, verified with `signing_secret`) and a health check."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "version": __version__})

    web_app = web.Application(client_max_size=1024 * 1024)
    if serve_slack:
        web_app.router.add_post(SLACK_EVENTS_PATH, _slack_events(app, SignatureVerifier(signing_secret)))
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
        retention = timedelta(days=settings.RETENTION_DAYS)
        runtime.tasks.repeat(
            partial(prune, runtime.store.engine, retention=retention),
            every=PRUNE_EVERY.total_seconds(),
            name="prune old records",
        )
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
