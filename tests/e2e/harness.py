"""The bot serving on loopback between a fake Slack and a fake Coralogix, plus Slack-style signing."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.api import CoralogixClient, RetryPolicy
from bot.app import Runtime, Timings, build_runtime
from bot.server import SLACK_EVENTS_PATH
from bot.store import Store
from bot.webhook import WEBHOOK_PATH
from tests.conftest import SIGNING_SECRET, make_settings
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import serve_app, serving
from tests.fakes.slack import FakeSlack

WEBHOOK_SECRET = "test-webhook-secret-0123456789"
# The bot's workspace and app, as the fake Slack's auth.test and bots.info describe them.
HOME_TEAM = "T111"
APP = "A111"
ALERT_CHANNEL = "C0ALERTS"
# Real backoff shape, but short, so the retry tests take milliseconds plus any Retry-After.
FAST_RETRY = RetryPolicy(initial_backoff=0.01, max_backoff=0.05)
# The bot's waits, shortened: a view's load deadline a test sits out costs half a second, not ten.
FAST_TIMINGS = Timings(lookup_interval=0.05, load_deadline=0.5, search_deadline=0.3)
# The Slack writer's pace raised far past Slack's, for the tests whose fake Slack enforces no rate limits
# (they are not about pacing): a test's fourth post to one channel then goes at once, not a second later.
# The tests about pacing run against a fake Slack with `RateLimits`, at the writer's real pace.
UNPACED = {"SLACK_POSTS_PER_SECOND": 1000, "SLACK_POST_BURST": 1000, "SLACK_UPDATES_PER_MINUTE": 60000}


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`: timestamp and v0 HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def view_submission(
    callback_id: str, values: dict[str, Any], metadata: str, *, user: str = "U0ONCALL", team: str = HOME_TEAM
) -> dict[str, Any]:
    """A modal submission, as Slack sends it, by `user` of `team`."""
    return {
        "type": "view_submission",
        "user": {"id": user, "team_id": team},
        "team": {"id": HOME_TEAM},
        "api_app_id": APP,
        "view": {
            "id": "V1",
            "hash": "h",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }


@dataclass
class SlackSender:
    """Talks to one bot (in this process or another) as Slack and Coralogix do: signed requests, webhooks."""

    slack: FakeSlack
    bot_url: str
    http: aiohttp.ClientSession

    def command_body(
        self, text: str, *, user: str = "U0ONCALL", channel: str = "C0ALERTS", team: str = HOME_TEAM, app: str = APP
    ) -> str:
        """A form-encoded /resolve-incident payload with the fields Slack sends (`team`: the person's)."""
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": team,
                "team_domain": "test",
                "channel_id": channel,
                "channel_name": "alerts",
                "user_id": user,
                "user_name": "oncall",
                "command": "/resolve-incident",
                "text": text,
                "api_app_id": app,
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url,
                "trigger_id": f"111.{uuid.uuid4().hex}",
            }
        )

    async def post(
        self, body: str, headers: dict[str, str], content_type: str = "application/x-www-form-urlencoded"
    ) -> tuple[int, str]:
        """POST a raw body to /slack/events; returns status and text."""
        async with self.http.post(
            f"{self.bot_url}{SLACK_EVENTS_PATH}", data=body.encode(), headers={**headers, "Content-Type": content_type}
        ) as response:
            return response.status, await response.text()

    async def command(self, text: str, **kwargs: Any) -> tuple[int, str]:
        """Send a correctly signed slash command."""
        body = self.command_body(text, **kwargs)
        return await self.post(body, sign(body))

    async def interactive(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Send a signed interactivity payload (block_actions, message_action, view_submission)."""
        body = "payload=" + quote(json.dumps(payload))
        return await self.post(body, sign(body))

    async def click(
        self,
        action_id: str,
        *,
        ts: str,
        channel: str = ALERT_CHANNEL,
        user: str = "U0ONCALL",
        value: str = "alert",
        view: dict[str, Any] | None = None,
        selected: str | None = None,
        team: str = HOME_TEAM,
        app: str = APP,
    ) -> tuple[int, str]:
        """Click a button on the bot message (channel, ts), as Slack sends it; with `view`, inside that modal
        (or Home), and `selected` for a select menu's choice; `team`: the clicker's workspace."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b",
            "type": "button",
            "value": value,
            "action_ts": str(time.time()),
        }
        if selected is not None:
            action = {**action, "type": "static_select", "selected_option": {"value": selected}}
        if view is not None:
            return await self.interactive(
                {
                    "type": "block_actions",
                    "user": {"id": user, "team_id": team},
                    "api_app_id": app,
                    "team": {"id": HOME_TEAM},
                    "container": {"type": "view", "view_id": view.get("id", "V1")},
                    "view": view,
                    "trigger_id": "111.222.trigger",
                    "actions": [action],
                }
            )
        return await self.interactive(
            {
                "type": "block_actions",
                "user": {"id": user, "username": "oncall", "team_id": team},
                "api_app_id": app,
                "team": {"id": HOME_TEAM},
                "channel": {"id": channel, "name": "alerts"},
                "container": {
                    "type": "message_attachment",
                    "message_ts": ts,
                    "channel_id": channel,
                    "attachment_id": 1,
                    "is_ephemeral": False,
                },
                "message": {"type": "message", "ts": ts, "bot_id": "B111", "text": "alert"},
                "trigger_id": "111.222.trigger",
                "response_url": self.slack.response_url,
                "actions": [{**action, "block_id": "alert_actions_0"}],
            }
        )

    async def event(self, event: dict[str, Any], *, event_id: str, retry_num: int | None = None) -> tuple[int, str]:
        """Deliver an Events API callback, signed; `retry_num` adds Slack's retry headers."""
        body = json.dumps(
            {
                "token": "x",
                "team_id": "T111",
                "api_app_id": "A111",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = sign(body)
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, headers, content_type="application/json")

    async def webhook(
        self, body: Any, *, secret: str | None = WEBHOOK_SECRET, in_query: bool = False, raw: bytes | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST a Coralogix notification to the webhook route."""
        url = f"{self.bot_url}{WEBHOOK_PATH}"
        headers = {"Content-Type": "application/json"}
        if secret is not None and in_query:
            url += f"?token={quote(secret)}"
        elif secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(url, data=data, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.startswith("{") else {"text": text})


@dataclass
class Harness(SlackSender):
    """Running fakes and a bot in this process, with helpers to talk to it as Slack does."""

    coralogix: FakeCoralogix
    runtime: Runtime

    async def settle(self) -> None:
        """Until the bot has nothing in flight: every listener after its ack, and every job."""
        while len(self.runtime.tasks) or len(self.runtime.worker):
            await self.runtime.tasks.idle()
            await self.runtime.worker.idle()

    @property
    def api(self) -> CoralogixClient:
        """The bot's Coralogix client."""
        return self.runtime.api


# This process's migrated SQLite file, made at the first start that needs one (its folder goes at exit).
_MIGRATED: list[tuple[tempfile.TemporaryDirectory[str], Path]] = []


async def migrated_sqlite(folder: str) -> str:
    """A database URL for `folder`/bot.sqlite3, a copy of a database the bot already set up (migrated at the
    first use in this process): a start then finds its tables in place, as every start but a deployment's
    first does (~25 ms less CPU than creating them, per test)."""
    if not _MIGRATED:
        kept = tempfile.TemporaryDirectory(prefix="bot-template-")
        template = Path(kept.name) / "bot.sqlite3"
        await Store.migrate(f"sqlite+aiosqlite:///{template}")
        _MIGRATED.append((kept, template))
    shutil.copyfile(_MIGRATED[0][1], Path(folder) / "bot.sqlite3")
    return f"sqlite+aiosqlite:///{folder}/bot.sqlite3"


@asynccontextmanager
async def running_bot(
    coralogix: FakeCoralogix | None = None,
    slack: FakeSlack | None = None,
    timings: Timings = FAST_TIMINGS,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """Start fake Slack, fake Coralogix and the bot's HTTP server; stop them all afterwards.

    The store is a fresh SQLite file, its tables created, unless DATABASE_URL is given (the caller then owns
    its state).
    """
    slack = slack or FakeSlack()
    coralogix = coralogix or FakeCoralogix()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving(slack, coralogix))
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        defaults = {
            "CORALOGIX_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SLACK_ALERT_CHANNEL": ALERT_CHANNEL,
            # Off unless a test is about it: reading Coralogix at start would interleave with what tests hold.
            "RECONCILE_INTERVAL": 0,
            **({} if slack.limits else UNPACED),
        }
        if "DATABASE_URL" not in settings:
            defaults["DATABASE_URL"] = await migrated_sqlite(folder)
        config = make_settings(
            SLACK_API_URL=slack.api_url, CORALOGIX_API_URL=coralogix.base_url, **{**defaults, **settings}
        )
        runtime = await build_runtime(config, retry=FAST_RETRY, timings=timings)
        stack.push_async_callback(runtime.aclose)
        runtime.worker.start()
        bot_url = await stack.enter_async_context(serve_app(runtime.web_app()))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        yield Harness(slack=slack, coralogix=coralogix, bot_url=bot_url, http=http, runtime=runtime)
        assert not coralogix.unexpected, (
            f"the bot made requests the fake Coralogix does not serve: {coralogix.unexpected}"
        )
