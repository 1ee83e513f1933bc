"""The bot serving on loopback between a fake Slack and a fake Coralogix, plus Slack-style signing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.api import CoralogixClient, RetryPolicy
from bot.app import build_coralogix, build_services, create_app
from bot.server import SLACK_EVENTS_PATH, build_web_app
from tests.conftest import make_settings
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import serve_app
from tests.fakes.slack import FakeSlack

SIGNING_SECRET = "test-signing-secret"
# Real backoff shape, but short, so the retry tests take milliseconds plus any Retry-After.
FAST_RETRY = RetryPolicy(initial_backoff=0.01, max_backoff=0.05)


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`: timestamp and v0 HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass
class Harness:
    """Running fakes and bot, with helpers to talk to the bot as Slack does."""

    slack: FakeSlack
    coralogix: FakeCoralogix
    bot_url: str
    http: aiohttp.ClientSession
    api: CoralogixClient

    def command_body(self, text: str, *, user: str = "U0ONCALL", channel: str = "C0ALERTS") -> str:
        """A form-encoded /resolve-incident payload with the fields Slack sends."""
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": "T111",
                "team_domain": "test",
                "channel_id": channel,
                "channel_name": "alerts",
                "user_id": user,
                "user_name": "oncall",
                "command": "/resolve-incident",
                "text": text,
                "api_app_id": "A111",
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url,
                "trigger_id": "111.222.xxx",
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


@asynccontextmanager
async def running_bot(
    coralogix: FakeCoralogix | None = None, slack: FakeSlack | None = None, **settings: Any
) -> AsyncIterator[Harness]:
    """Start fake Slack, fake Coralogix and the bot's HTTP server; stop them all afterwards."""
    slack = slack or FakeSlack()
    coralogix = coralogix or FakeCoralogix()
    async with AsyncExitStack() as stack:
        slack.base_url = await stack.enter_async_context(serve_app(slack.app()))
        coralogix.base_url = await stack.enter_async_context(serve_app(coralogix.app()))
        config = make_settings(SLACK_API_URL=slack.api_url, CORALOGIX_API_URL=coralogix.base_url, **settings)
        api = build_coralogix(config, retry=FAST_RETRY)
        stack.push_async_callback(api.aclose)
        app = create_app(config, services=build_services(api))
        bot_url = await stack.enter_async_context(serve_app(build_web_app(app)))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        yield Harness(slack=slack, coralogix=coralogix, bot_url=bot_url, http=http, api=api)
