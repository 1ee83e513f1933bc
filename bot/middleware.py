"""The one global Bolt middleware: services into `context`, and who/where/what into the log context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

Next = Callable[[], Awaitable[BoltResponse]]


def surface_of(body: dict[str, Any]) -> str:
    """Which Slack surface a request comes from: command, block_actions, view_submission, app_mention, …"""
    if "command" in body:
        return "command"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        event = body.get("event")
        return str(event.get("type") or "event") if isinstance(event, dict) else "event"
    return kind


def make_middleware(
    values: dict[str, Any],
) -> Callable[[AsyncBoltContext, AsyncBoltRequest, Next], Awaitable[BoltResponse]]:
    """A middleware that puts `values` into every context and binds the request's fields to the log context.

    Bolt runs the listener after the middleware chain, in the request's task, so the fields are
    bound for the rest of the request (and the listener's task) rather than inside a `with`.
    """

    async def middleware(context: AsyncBoltContext, req: AsyncBoltRequest, next: Next) -> BoltResponse:
        context.update(values)
        fields = {
            "surface": surface_of(req.body),
            "user": context.user_id,
            "team": context.team_id,
            "channel": context.channel_id,
        }
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**{k: v for k, v in fields.items() if v})
        return await next()

    return middleware
