"""The one global Bolt middleware: who/where/what into the log context, services into `context`, and
the workspace gate (Slack Connect guests and other apps' requests stop here, on every surface)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.formatters.common import escape, modal, safe_url, section
from bot.gate import Gate, origin
from bot.slack_directory import SlackDirectory
from bot.slack_writes import SlackWriter

logger = logging.getLogger(__name__)

Next = Callable[[], Awaitable[BoltResponse]]
# Told of each refusal: who (user, their team), where (surface, channel), and why.
Refused = Callable[[dict[str, str | None], str], Awaitable[None]]


def surface_of(body: dict[str, Any]) -> str:
    """Which Slack surface a request comes from: command, block_actions, view_submission, app_mention, …"""
    if "command" in body:
        return "command"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        event = body.get("event")
        return str(event.get("type") or "event") if isinstance(event, dict) else "event"
    return kind


class RequestMiddleware(AsyncMiddleware):
    """The one global middleware: binds the request's fields to the log context, puts `values` into every
    context, and answers requests from outside the bot's workspace (or for another app) itself.

    Bolt runs the listener after the middleware chain, in the request's task, so the fields are
    bound for the rest of the request (and the listener's task) rather than inside a `with`. A class,
    not a function: Bolt hands a class its request as is, where a function costs a kwargs build.
    """

    def __init__(
        self,
        values: dict[str, Any],
        directory: SlackDirectory,
        *,
        allowed_teams: frozenset[str],
        on_refusal: Refused | None = None,
    ) -> None:
        self.values = values
        self.directory = directory
        self.allowed_teams = allowed_teams
        self.on_refusal = on_refusal

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        """Bind, gate, then hand over to the rest of the chain."""
        context = req.context
        fields = {
            "surface": surface_of(req.body),
            "user": context.user_id,
            "team": context.team_id,
            "channel": context.channel_id,
        }
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**{k: v for k, v in fields.items() if v})
        home_team, _ = await self.directory.home()
        gate = Gate(home_team=home_team, app_id=await self.directory.app_id(), allowed_teams=self.allowed_teams)
        came_from = origin(req.body)
        refusal = gate.refusal(came_from)
        if refusal is not None:
            logger.warning("refused a request from outside the workspace: %s", refusal)
            services = self.values["services"]
            if self.on_refusal is not None and not req.headers.get("x-slack-retry-num"):  # a retry: recorded once
                where = {**fields, "team": came_from.team or context.team_id}
                services.tasks.spawn(self.on_refusal(where, refusal), name="record a refusal")  # after the answer
            return await _refuse(req.body, refusal, context, services.writer)
        context.update(self.values)
        return await next()


async def _refuse(body: dict[str, Any], text: str, context: AsyncBoltContext, writer: SlackWriter) -> BoltResponse:
    """Answer a refused request in the shape its surface takes, telling the person where there is one."""
    shown = f":no_entry: {escape(text)}"
    if "command" in body:
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": shown})
    kind = body.get("type")
    if kind == "view_submission":
        view = modal("refused", "{}", [section(shown)], submit=False)
        return BoltResponse(status=200, body={"response_action": "update", "view": view})
    if kind == "block_suggestion":
        return BoltResponse(status=200, body={"options": []})
    if kind in {"block_actions", "message_action", "shortcut"}:
        if url := safe_url(body.get("response_url")):
            await writer.respond(url, text=shown, response_type="ephemeral", replace_original=False)
        elif context.channel_id and context.user_id:
            try:
                await writer.ephemeral(context.channel_id, context.user_id, text=shown)
            except SlackApiError as e:
                logger.info("could not tell the refused person: %s", e.response.get("error"))
    return BoltResponse(status=200, body="" if kind != "view_submission" else json.dumps({}))
