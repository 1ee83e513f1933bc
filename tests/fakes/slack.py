"""A fake Slack Web API (and response_url endpoint) on loopback, recording every call.

Answers like Slack: `{"ok": true, ...}`, `{"ok": false, "error": ...}`, Bearer token checked,
`auth.test` with an `x-oauth-scopes` header, `apps.connections.open` with this fake's Socket Mode URL,
`conversations.info` only when `scopes` grants channels:read (else `missing_scope`, as for the bot's
own manifest); with `limits`, Slack's rate limits (429 and Retry-After).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER_ID = "UBOT0001"
VALID_TOKEN = "xoxb-test-token"


@dataclass
class SlackCall:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived (orders 429s and later retries)


@dataclass
class RateLimits:
    """Slack's limits as the fake enforces them: chat.postMessage about one a second per channel after
    a small burst; chat.update 50 a minute per workspace. A write over them gets 429 with Retry-After."""

    post_burst: int = 4
    posts_per_second: float = 1.0
    updates_per_minute: int = 50  # per `update_window` seconds (Slack's: 60)
    update_window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _posts: dict[str, tuple[float, float]] = field(default_factory=dict)  # channel -> (tokens, at)
    _updates: collections.deque[float] = field(default_factory=collections.deque)

    def refusal(self, method: str, params: dict[str, Any]) -> int | None:
        """Seconds to wait when this call is over the limit (it is then not counted), else None."""
        now = self.clock()
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            tokens, at = self._posts.get(channel, (float(self.post_burst), now))
            tokens = min(float(self.post_burst), tokens + (now - at) * self.posts_per_second)
            if tokens < 1:
                self._posts[channel] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / self.posts_per_second))
            self._posts[channel] = (tokens - 1, now)
        elif method == "chat.update":
            while self._updates and now - self._updates[0] >= self.update_window:
                self._updates.popleft()
            if len(self._updates) >= self.updates_per_minute:
                return max(1, math.ceil(self.update_window - (now - self._updates[0])))
            self._updates.append(now)
        return None


@dataclass
class FakeSlack:
    """State and recordings of the fake Slack."""

    calls: list[SlackCall] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies posted to response_url
    channels_without_bot: set[str] = field(default_factory=set)
    views: list[dict[str, Any]] = field(default_factory=list)
    views_open_error: str | None = None  # e.g. "expired_trigger_id"  # every view opened, updated or published
    post_errors: dict[str, str] = field(default_factory=dict)  # channel -> error chat.postMessage answers
    scopes: str | None = "commands,chat:write"  # what auth.test reports granted; None sends no scopes header
    scopes_header: str = "x-oauth-scopes"  # the header's name, as sent (Slack's lower case unless changed)
    app_token: str | None = None  # apps.connections.open accepts only this token; None: any xapp- token
    delay: float = 0.0  # seconds every Web API call takes to answer (cut short when the server stops)
    team_id: str = "T111"  # the bot's workspace, as auth.test says
    app_id: str | None = "A111"  # the bot's app, as bots.info says (None: bots.info gives no app id)
    usergroups: list[dict[str, Any]] = field(default_factory=list)  # {"id", "handle", "users"}: usergroups.list
    usergroups_error: str | None = None  # usergroups.list answers this error instead (e.g. "missing_scope")
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> users.info `user` object
    ephemeral_errors: dict[str, str] = field(default_factory=dict)  # channel -> error chat.postEphemeral answers
    response_url_status: int = 200  # what posts to the response_url get (404: expired or used up)
    # Slack's rate limits, enforced when set (see `RateLimits`); `rate_limited` lists each 429 sent.
    limits: RateLimits | None = None
    rate_limited: list[SlackCall] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel id -> conversations.info `channel`
    in_flight: int = 0  # Web API calls being answered now
    most_in_flight: int = 0  # the most answered at once
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    base_url: str = ""
    socket_received: list[dict[str, Any]] = field(default_factory=list)  # what the app sent over the socket
    socket: web.WebSocketResponse | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def called(self, method: str) -> list[SlackCall]:
        """The calls of one Web API method, in order."""
        return [c for c in self.calls if c.method == method]

    @property
    def api_url(self) -> str:
        """Base URL to pass as SLACK_API_URL."""
        return f"{self.base_url}/api/"

    @property
    def response_url(self) -> str:
        """A response_url that lands in `responses`."""
        return f"{self.base_url}/response-url/1"

    def app(self) -> web.Application:
        """The aiohttp application of the fake."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk GETs a few methods (bots.info, users.info)
        app.router.add_post("/response-url/{n}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._stopping = asyncio.Event()  # one per server: a stopped one releases only its own calls
        app.on_shutdown.append(self._stop)
        return app

    async def _stop(self, _: web.Application) -> None:
        """Release calls still being delayed, so the server stops at once rather than after `delay`."""
        self._stopping.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text() if request.method == "POST" else ""
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query)
        elif request.content_type == "application/json":
            params = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw))
            if "blocks" in params and isinstance(params["blocks"], str):
                params["blocks"] = json.loads(params["blocks"])
        call = SlackCall(method, params, dict(request.headers))
        if self.limits is not None and (wait := self.limits.refusal(method, params)) is not None:
            self.rate_limited.append(call)
            headers = {"Retry-After": str(wait)}
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        self.calls.append(call)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.delay)
            answer = await self._answer(request, method, params)
        finally:
            self.in_flight -= 1
        call.answer = json.loads(answer.text or "{}")
        return answer

    async def _answer(self, request: web.Request, method: str, params: dict[str, Any]) -> web.Response:
        if method != "apps.connections.open" and request.headers.get("Authorization") != f"Bearer {VALID_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            body = {
                "ok": True,
                "user_id": BOT_USER_ID,
                "user": "coralogix-incidents",
                "team": "Test Team",
                "team_id": self.team_id,
                "bot_id": "B111",
                "url": "https://test.slack.com/",
            }
            return web.json_response(body, headers={self.scopes_header: self.scopes} if self.scopes is not None else {})
        if method == "bots.info":
            return web.json_response({"ok": True, "bot": {"id": params.get("bot"), "app_id": self.app_id}})
        if method == "usergroups.list":
            if self.usergroups_error:
                return web.json_response({"ok": False, "error": self.usergroups_error})
            return web.json_response({"ok": True, "usergroups": self.usergroups})
        if method == "users.info":
            person = self.people.get(str(params.get("user")))
            if person is None:
                return web.json_response({"ok": False, "error": "user_not_found"})
            return web.json_response({"ok": True, "user": person})
        if method == "conversations.info":
            if "channels:read" not in {scope.strip() for scope in (self.scopes or "").split(",")}:
                return web.json_response({"ok": False, "error": "missing_scope", "needed": "channels:read"})
            channel = self.channels.get(str(params.get("channel")))
            if channel is None:
                return web.json_response({"ok": False, "error": "channel_not_found"})
            return web.json_response({"ok": True, "channel": channel})
        if method == "apps.connections.open":
            token = request.headers.get("Authorization", "")
            if not token.startswith("Bearer xapp-"):
                return web.json_response({"ok": False, "error": "not_allowed_token_type"})
            if self.app_token is not None and token != f"Bearer {self.app_token}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": self.base_url.replace("http", "ws", 1) + "/socket"})
        if method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            channel = params.get("channel", "")
            if channel in self.channels_without_bot:
                return web.json_response({"ok": False, "error": "not_in_channel"})
            if method == "chat.postMessage" and channel in self.post_errors:
                return web.json_response({"ok": False, "error": self.post_errors[channel]})
            if method == "chat.postEphemeral" and channel in self.ephemeral_errors:
                return web.json_response({"ok": False, "error": self.ephemeral_errors[channel]})
            ts = f"1700000000.{next(self._ts):06d}"
            return web.json_response(
                {
                    "ok": True,
                    "channel": channel,
                    "ts": params.get("ts", ts),
                    "message": {"text": params.get("text", ""), "ts": ts},
                }
            )
        if method == "views.open" and self.views_open_error:
            return web.json_response({"ok": False, "error": self.views_open_error})
        if method in {"views.open", "views.update", "views.publish"}:
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            self.views.append(view or {})
            view_id = params.get("view_id") or f"V{len(self.views):04d}"
            return web.json_response({"ok": True, "view": {**(view or {}), "id": view_id}})
        return web.json_response({"ok": True})

    async def _response_url(self, request: web.Request) -> web.Response:
        if self.response_url_status != 200:
            return web.Response(status=self.response_url_status, text="expired_url")
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every frame the app sends back."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        async for frame in ws:
            if frame.type == web.WSMsgType.TEXT:
                self.socket_received.append(json.loads(frame.data))
        return ws

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Deliver a Socket Mode envelope to the connected app."""
        assert self.socket is not None, "the app has not connected"
        await self.socket.send_json(envelope)
