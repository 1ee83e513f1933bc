"""The composition root: the only place that builds clients, services and the Bolt app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot import listeners
from bot.api import CoralogixClient, RetryPolicy
from bot.services import IncidentService, Services
from bot.settings import Settings

logger = logging.getLogger(__name__)


def build_coralogix(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, retry: RetryPolicy | None = None
) -> CoralogixClient:
    """The process-wide Coralogix client for the configured host and path family."""
    return CoralogixClient(
        host=settings.coralogix_host,
        api_key=settings.CORALOGIX_API_KEY,
        version=settings.CORALOGIX_API_VERSION,
        retry=retry,
        transport=transport,
    )


def build_services(api: CoralogixClient) -> Services:
    """The container handed to every listener."""
    return Services(incidents=IncidentService(api))


def build_slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: configurable base URL (GovSlack, tests), and it waits out 429s once."""
    return AsyncWebClient(
        token=settings.SLACK_BOT_TOKEN.get_secret_value(),
        base_url=settings.SLACK_API_URL,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )


def create_app(settings: Settings, *, services: Services, slack_client: AsyncWebClient | None = None) -> AsyncApp:
    """The Bolt app with every listener registered and `services` available to each by name."""
    signing_secret = settings.SLACK_SIGNING_SECRET.get_secret_value() if settings.SLACK_SIGNING_SECRET else None
    app = AsyncApp(
        client=slack_client or build_slack_client(settings),
        signing_secret=signing_secret or "",
        # Socket Mode has no signatures; in HTTP mode every request is verified.
        request_verification_enabled=not settings.socket_mode,
        # ssl_check compares against a verification token we never set (see the Slack notes, §3).
        ssl_check_enabled=True,
        process_before_response=False,
    )

    async def inject_services(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        context["services"] = services
        return await next()

    app.middleware(inject_services)
    listeners.register(app)
    return app
