"""`POST /coralogix/webhook`: alert and case notifications from Coralogix, answered within a second.

Authenticated by CORALOGIX_WEBHOOK_SECRET as `Authorization: Bearer <secret>` or `?token=<secret>`
(for senders that cannot set headers), compared in constant time. The body is validated, the
answer goes out once the notification is journaled (503 when it cannot be, so Coralogix sends it
again), and posting to Slack happens afterwards, as a job any process can finish.

A notification may only post where the operator allowed: SLACK_ALERT_CHANNEL and the channels in
SLACK_ALERT_CHANNELS_ALLOWED. Whoever holds the secret cannot make the bot post into any other
conversation it is in, least of all a DM.

Case notifications (the Notification Center's Cases entity) come to the same URL: the body's shape
tells them apart before any validation (`bot.services.case_notifications.is_case_body`), and they
pass the same secret, size and channel checks and are journaled the same way, as their own job kind.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot import safe_json
from bot.metrics import Metrics
from bot.services.auditing import AuditTrail
from bot.services.case_notifications import CaseNotification, is_case_body
from bot.services.notifications import AlertNotification
from bot.store import JobKind
from bot.worker import Worker

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/coralogix/webhook"
MAX_BODY = 256 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# How each answer is counted in the `bot_webhook_notifications` metric.
_RESULTS = {
    202: "accepted",
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "disabled",
    422: "refused",
    503: "unavailable",
}


def _presented_secret(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query.get("token")


def _problem(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        name = ".".join(str(p) for p in item["loc"]) or "body"
        message = "is required" if item["type"] == "missing" else item["msg"].removeprefix("Value error, ")
        parts.append(f"{name} {message}")
    return "; ".join(parts)


def _channel_refusal(
    notification: AlertNotification | CaseNotification, default: str | None, allowed: frozenset[str]
) -> tuple[int, str] | None:
    """422 when the notification has nowhere to go, 403 when it names a channel the operator did not allow."""
    channel = notification.channel or default
    if channel is None:
        return 422, "no channel: the notification names none and SLACK_ALERT_CHANNEL is not set"
    if channel not in allowed:
        kind = "a direct message" if channel.startswith("D") else f"channel {channel}"
        return 403, f"{kind} is not allowed: alerts go only to SLACK_ALERT_CHANNEL and SLACK_ALERT_CHANNELS_ALLOWED"
    return None


def make_webhook_handler(
    secret: SecretStr | None,
    worker: Worker,
    metrics: Metrics,
    *,
    default_channel: str | None,
    allowed_channels: frozenset[str],
    audit: AuditTrail | None = None,
) -> Handler:
    """The aiohttp handler; with no secret configured it answers 404, as if the route did not exist.

    `allowed_channels`: every channel a notification may post to (SLACK_ALERT_CHANNEL included).
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        response = await _handle(request)
        metrics.webhook.labels(_RESULTS.get(response.status, str(response.status))).inc()
        return response

    async def _handle(request: web.Request) -> web.StreamResponse:
        structlog.contextvars.clear_contextvars()
        if secret is None:
            raise web.HTTPNotFound()
        presented = _presented_secret(request)
        if presented is None or not hmac.compare_digest(presented.encode(), secret.get_secret_value().encode()):
            reason = "no credentials" if presented is None else "wrong secret"
            logger.warning("webhook refused from %s: %s", request.remote, reason)
            return _problem(401, "unauthorized")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _problem(400, f"body larger than {MAX_BODY // 1024} KiB")
        raw = bytearray()
        async for chunk in request.content.iter_chunked(64 * 1024):  # a body may arrive in many pieces
            raw += chunk
            if len(raw) > MAX_BODY:
                return _problem(400, f"body larger than {MAX_BODY // 1024} KiB")
        try:
            body = safe_json.loads(bytes(raw))
        except safe_json.UnsafeJson as e:
            return _problem(400, str(e))
        if not isinstance(body, dict):
            return _problem(400, "body must be a JSON object")
        if is_case_body(body):
            return await _case(body)
        try:
            notification = AlertNotification.model_validate(body)
        except ValidationError as e:
            return _problem(400, _describe(e))
        return await _accept(
            notification,
            JobKind.NOTIFICATION,
            f"alert {notification.alert_id} ({notification.alert_action.value})",
            audit.notification if audit is not None else None,
        )

    async def _case(body: dict[str, object]) -> web.StreamResponse:
        """A case notification: validated as a case only, then the same checks and journal as an alert's."""
        try:
            notification = CaseNotification.from_body(body)
        except ValidationError as e:
            return _problem(400, f"case notification: {_describe(e)}")
        return await _accept(
            notification,
            JobKind.CASE_NOTIFICATION,
            f"case {notification.case_id} ({notification.event.value})",
            audit.case_notification if audit is not None else None,
        )

    async def _accept(
        notification: AlertNotification | CaseNotification,
        kind: JobKind,
        what: str,
        record: Callable[[Any, str], Awaitable[object]] | None,
    ) -> web.StreamResponse:
        """Either kind of notification, validated: the channel check (a refusal is audited), then the
        journal; 202 only once it is journaled."""
        if refusal := _channel_refusal(notification, default_channel, allowed_channels):
            status, reason = refusal
            logger.warning("webhook refused %s: %s", what, reason)
            if record is not None:
                await record(notification, f"refused ({status}): {reason}")
            return _problem(status, reason)
        if unavailable := await _journal(kind, notification.model_dump(mode="json")):
            logger.warning("webhook could not journal %s: %s", what, unavailable)
            return _unavailable()
        logger.info("webhook accepted %s", what)
        return web.json_response({"ok": True}, status=202)

    async def _journal(kind: JobKind, payload: dict[str, object]) -> str | None:
        """202 only once it is journaled: then it is posted even if this process dies right now. The
        error's name when it could not be."""
        try:
            await worker.submit(kind, f"notification:{uuid.uuid4()}", payload)
        except (SQLAlchemyError, OSError) as e:
            return type(e).__name__
        return None

    return handle


def _unavailable() -> web.Response:
    return web.json_response(
        {"ok": False, "error": "the bot's database is unavailable; send it again later"},
        status=503,
        headers={"Retry-After": "30"},
    )
