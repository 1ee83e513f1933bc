"""Prometheus metrics of one bot process (prometheus-client), served at `GET /metrics`.

One registry per `Metrics`, built by the composition root and handed to what records: no module
globals, so tests can run several bots in one process and read each one's numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Coralogix answers in tens of milliseconds to seconds; a resolve of 1 000 ids may take longer.
CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Slack's limit is 3 s; what matters is how far below it the bot stays.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)

__all__ = ["CONTENT_TYPE", "Metrics"]


class Metrics:
    """Every metric the bot exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.actions = Counter(
            "bot_actions", "Incident outcomes of user actions", ["surface", "action", "outcome"], registry=r
        )
        self.coralogix_seconds = Histogram(
            "bot_coralogix_request_seconds",
            "Coralogix API calls by operation and HTTP status (or timeout / connection_error)",
            ["operation", "status"],
            buckets=CALL_BUCKETS,
            registry=r,
        )
        self.slack_errors = Counter(
            "bot_slack_api_errors",
            "Slack Web API calls answered ok=false, by method and error",
            ["method", "error"],
            registry=r,
        )
        self.slack_rate_limited = Counter(
            "bot_slack_rate_limited", "Slack Web API calls answered 429, by method", ["method"], registry=r
        )
        self.ack_seconds = Histogram(
            "bot_ack_seconds",
            "Time from a Slack request to its ack, by surface",
            ["surface"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.webhook = Counter("bot_webhook_notifications", "Coralogix notifications by result", ["result"], registry=r)
        self.background = Gauge("bot_background_tasks", "Background work in flight", registry=r)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)

    def observe_coralogix(self, operation: str, status: str, seconds: float) -> None:
        """One Coralogix call (the client calls this for every attempt)."""
        self.coralogix_seconds.labels(operation, status).observe(seconds)

    def track_background(self, count: Callable[[], int]) -> None:
        """Read the number of background tasks at each scrape."""
        self.background.set_function(lambda: float(count()))

    def slack_observer(self) -> AsyncRetryHandler:
        """A slack_sdk retry handler that never retries, only counts errors and 429s per method.

        slack_sdk asks every retry handler about every answer, and Bolt copies them into the
        client each listener gets, so this sees every Web API call the bot makes.
        """
        return _SlackObserver(self)


class _SlackObserver(AsyncRetryHandler):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rsplit("/", 1)[-1]
        if response is not None and response.status_code == 429:
            self.metrics.slack_rate_limited.labels(method).inc()
        elif response is not None and isinstance(response.body, dict) and response.body.get("ok") is False:
            self.metrics.slack_errors.labels(method, str(response.body.get("error", "unknown"))).inc()
        elif error is not None:
            self.metrics.slack_errors.labels(method, type(error).__name__).inc()
        return False

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Observe every answer, whatever the retry count says."""
        return await self._can_retry_async(state=state, request=request, response=response, error=error)


def elapsed(since: float) -> float:
    """Seconds since a `time.perf_counter()` reading."""
    return time.perf_counter() - since
