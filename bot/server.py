"""How Slack and operators reach the bot: one aiohttp application with Slack's `/slack/events`
(HTTP mode), the Coralogix webhook, `/healthz`, `/readyz` and `/metrics`; and the Socket Mode
connection, opened with backoff.

A Slack request's signature is checked before its body is even parsed (Bolt parses first, and its
`int(timestamp)` raises on a malformed header), then `bot.payloads` makes sure Bolt can route it;
Bolt checks the signature again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot import __version__, payloads
from bot.errors import BadPayload
from bot.listeners.error_handler import refuse_unrouted
from bot.metrics import CONTENT_TYPE, Metrics
from bot.middleware import surface_of
from bot.slack_writes import SlackWriter
from bot.store import Store
from bot.webhook import WEBHOOK_PATH, Handler

logger = logging.getLogger(__name__)
T = TypeVar("T")

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
# A readiness probe must answer fast: a database that takes longer than this counts as down.
READY_TIMEOUT = 2.0
# Waiting between Socket Mode connection attempts doubles from 1 s up to this.
MAX_RECONNECT_DELAY = 60.0
# Slack sends whole seconds since the epoch; anything else is no timestamp at all.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


@dataclass
class Readiness:
    """What `/readyz` checks: the database answers, and in Socket Mode the socket is connected."""

    store: Store
    socket_mode: bool = False
    socket: AsyncBaseSocketModeClient | None = field(default=None)

    async def problems(self) -> dict[str, str]:
        """What is down, by name, with why; empty when ready."""
        down: dict[str, str] = {}
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await self.store.ping()
        except TimeoutError:
            down["database"] = f"no answer within {READY_TIMEOUT:.0f} s"
        except Exception as e:  # noqa: BLE001 - any failure means not ready; the reason is reported
            down["database"] = type(e).__name__
        if self.socket_mode and (self.socket is None or not await self.socket.is_connected()):
            down["slack_socket"] = "not connected to Slack's Socket Mode"
        return down


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


def _slack_events(app: AsyncApp, verifier: SignatureVerifier, metrics: Metrics, writer: SlackWriter) -> Handler:
    """`POST /slack/events`: signature, then a payload Bolt can route, then Bolt; timed until the ack."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        structlog.contextvars.clear_contextvars()
        started = time.perf_counter()
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
            return await to_aiohttp_response(await refuse_unrouted(refusal, body, writer))
        # The body as parsed above (with Bolt's own parser), not parsed again: Bolt takes a parsed body only
        # in Socket Mode, so the request is built as one, then given the raw text it verifies and its mode.
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers, mode="socket_mode")  # type: ignore[arg-type]  # Bolt: Dict[str, …]
        bolt_request.raw_body, bolt_request.mode = text, "http"
        response = await app.async_dispatch(bolt_request)
        metrics.ack_seconds.labels(surface_of(body)).observe(time.perf_counter() - started)
        return await to_aiohttp_response(response)

    return slack_events


def build_web_app(
    app: AsyncApp,
    *,
    writer: SlackWriter,
    metrics: Metrics,
    readiness: Readiness,
    serve_slack: bool = True,
    signing_secret: str = "",
    webhook: Handler | None = None,
    metrics_token: SecretStr | None = None,
) -> web.Application:
    """The aiohttp application of one bot process (Slack's requests verified with `signing_secret`)."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "version": __version__})

    async def readyz(_: web.Request) -> web.Response:
        down = await readiness.problems()
        return web.json_response({"ok": not down, "down": down}, status=503 if down else 200)

    async def metrics_page(request: web.Request) -> web.Response:
        if metrics_token is None:
            raise web.HTTPNotFound()
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), metrics_token.get_secret_value().encode()
        ):
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    web_app = web.Application(client_max_size=1024 * 1024)
    if serve_slack:
        web_app.router.add_post(
            SLACK_EVENTS_PATH, _slack_events(app, SignatureVerifier(signing_secret), metrics, writer)
        )
    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.router.add_get(READY_PATH, readyz)
    web_app.router.add_get(METRICS_PATH, metrics_page)
    if webhook is not None:
        web_app.router.add_post(WEBHOOK_PATH, webhook)
    return web_app


class OneLine(logging.Filter):
    """Turn a record that carries a traceback into one line naming the error (for slack_sdk's
    Socket Mode client, which logs a full traceback at every failed reconnect)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, without its traceback, at WARNING."""
        if record.exc_info and record.exc_info[1] is not None:
            record.msg, record.args = f"{record.getMessage()} ({type(record.exc_info[1]).__name__})", None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def socket_mode_logger() -> logging.Logger:
    """The logger handed to the Socket Mode client: its reconnect failures become one line each."""
    named = logging.getLogger("bot.socket_mode")
    if not any(isinstance(f, OneLine) for f in named.filters):
        named.addFilter(OneLine())
    return named


class TimedSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode with the same ack-latency metric as HTTP mode, and one-line reconnect failures."""

    def __init__(self, app: AsyncApp, app_token: str, metrics: Metrics) -> None:
        super().__init__(app, app_token, logger=socket_mode_logger())
        self.metrics = metrics

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        """Dispatch one envelope and time it until the ack went back."""
        structlog.contextvars.clear_contextvars()
        started = time.perf_counter()
        await super().handle(client, req)  # type: ignore[arg-type]  # Bolt narrows it to its aiohttp client
        surface = surface_of(req.payload if isinstance(req.payload, dict) else {})
        self.metrics.ack_seconds.labels(surface).observe(time.perf_counter() - started)


class _Stopped(Exception):
    """`stop` was set while waiting."""


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """Await `work`, or cancel it and raise `_Stopped` as soon as `stop` is set."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise _Stopped
    return task.result()


async def connect_socket(handler: AsyncSocketModeHandler, stop: asyncio.Event, *, first_delay: float = 1.0) -> bool:
    """Open the Socket Mode connection: True once connected, False when `stop` was set first.

    Slack is asked for a socket URL until it answers, with backoff (first_delay, doubling up to
    MAX_RECONNECT_DELAY) and one log line per failure; SIGTERM never waits for an attempt.
    """
    delay = first_delay
    client = handler.client
    while not stop.is_set():
        try:
            client.wss_uri = await _unless_stopped(client.issue_new_wss_url(), stop)
            await _unless_stopped(handler.connect_async(), stop)  # type: ignore[no-untyped-call]  # untyped in Bolt
        except _Stopped:
            return False
        except Exception as e:  # noqa: BLE001 - every failure is retried; the reason is logged in one line
            logger.warning("cannot connect to Slack's Socket Mode (%s); retrying in %.1f s", _why(e), delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY)
            continue
        return True
    return False


def _why(error: BaseException) -> str:
    response: Any = getattr(error, "response", None)
    if response is not None and hasattr(response, "get"):
        return f"Slack answered {response.get('error', 'an error')}"
    return f"{type(error).__name__}: {error}"[:200]
