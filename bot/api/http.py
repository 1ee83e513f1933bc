"""What every Coralogix client shares: one `httpx.AsyncClient` per base URL, typed errors, bounded retries.

`ApiTransport._call` is the one place a Coralogix request is sent: it retries what is transient
(`bot.api._retry`), turns non-2xx answers into `ApiStatusError` subclasses and transport failures
into `ApiConnectionError` (each raised `from` its cause), and parses the body into a pydantic model.
The incidents client (`bot.api.client`) and the Cases client (`bot.api.cases`) are built on it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bot import __version__
from bot.api._retry import RetryPolicy, retrying
from bot.api.exceptions import ApiConnectionError, ApiResponseError, ApiTimeoutError, status_error
from bot.api.transport import default_transport

logger = logging.getLogger(__name__)

# Connecting should be near-instant on a healthy network; 5 s covers a slow TLS handshake.
# Reads get 10 s: a resolve of 1 000 ids is one write on Coralogix's side, and a hung read must
# still leave room for a retry within the ~30 s a user will wait in Slack. Waiting for a free
# pooled connection is our own queueing under load, not Coralogix being slow: allow 20 s.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, pool=20.0)
# Calls in flight at once for one user action.
MAX_CONCURRENCY = 4

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Observer = Callable[[str, str, float], None]  # operation, HTTP status (or timeout / connection_error), seconds


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~20 ms of CPU, every client shares it."""
    return ssl.create_default_context()


def build_http_client(
    *, base_url: str, api_key: SecretStr, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A long-lived HTTP client: base URL, Bearer auth, User-Agent, explicit timeouts; its requests go out
    through aiohttp (`bot.api.transport`) unless a test gives its own `transport` or a proxy is set."""
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    return httpx.AsyncClient(
        base_url=base_url,
        headers={
            "Authorization": f"Bearer {api_key.get_secret_value()}",
            "User-Agent": f"coralogix-resolve-bot/{__version__}",
            "Accept": "application/json",
        },
        timeout=DEFAULT_TIMEOUT,
        verify=tls_context(),
        transport=transport or default_transport(tls_context(), limits),
        limits=limits,  # for httpx's own transports (through a proxy from the environment)
    )


class ApiTransport:
    """One Coralogix base URL (host plus a path family's base path) and how to call it."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observe: Observer | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._observe = observe
        self._sleep = sleep
        self._api_key = api_key
        self._http = build_http_client(base_url=base_url, api_key=api_key, transport=transport)

    @property
    def base_url(self) -> str:
        """Host plus the family's base path."""
        return str(self._http.base_url)

    async def aclose(self) -> None:
        """Close the connection pool (at shutdown)."""
        await self._http.aclose()

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        model: type[M],
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        once: bool = False,
    ) -> M:
        """Send one request, retrying what is transient (with `once`, only a 429: see `retrying`);
        the parsed answer, or a typed `ApiError`."""
        async for attempt in retrying(self.retry, self._sleep, once=once):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    logger.info("retrying coralogix %s (attempt %d)", operation, attempt.retry_state.attempt_number)
                return await self._send(operation, method, path, model, json=json, params=params)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        model: type[M],
        *,
        json: Any,
        params: dict[str, Any] | None,
    ) -> M:
        started = time.perf_counter()
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except httpx.TimeoutException as e:
            self._timed(operation, "timeout", started)
            raise ApiTimeoutError(_timeout_message(e, operation), operation=operation) from e
        except httpx.RequestError as e:  # transport failures, and bodies that cannot be decoded
            self._timed(operation, "connection_error", started)
            raise ApiConnectionError(
                f"Could not reach Coralogix at {self._http.base_url.host} ({type(e).__name__}); "
                "check CORALOGIX_REGION / CORALOGIX_API_URL and the network.",
                operation=operation,
            ) from e
        self._timed(operation, str(response.status_code), started)
        if not response.is_success:
            logger.warning("coralogix %s answered %d", operation, response.status_code)
            raise status_error(response, operation=operation, secrets=(self._api_key.get_secret_value(),))
        try:
            return model.model_validate_json(response.content or b"{}")
        except ValidationError as e:
            raise ApiResponseError(
                f"Coralogix answered {operation} with a body the bot cannot read.", operation=operation
            ) from e

    def _timed(self, operation: str, status: str, started: float) -> None:
        if self._observe is not None:
            self._observe(operation, status, time.perf_counter() - started)


def _timeout_message(error: httpx.TimeoutException, operation: str) -> str:
    """Say which wait ran out: connecting, Coralogix answering, or the bot's own connection pool."""
    if isinstance(error, httpx.ConnectTimeout):
        return f"Could not connect to Coralogix within {DEFAULT_TIMEOUT.connect:.0f} s ({operation})."
    if isinstance(error, httpx.PoolTimeout):
        return f"The bot had too many Coralogix calls in flight to start this one ({operation}); try again."
    return f"Coralogix did not answer within {DEFAULT_TIMEOUT.read:.0f} s ({operation})."


async def gather_bounded(coros: Sequence[Awaitable[T]], limit: int = MAX_CONCURRENCY) -> list[T]:
    """Await `coros` with at most `limit` in flight, keeping their order; the first error propagates.
    Cancelled (a shutdown), the coroutines that never started are closed: none is left "never awaited"."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Awaitable[T]) -> T:
        async with semaphore:
            return await coro

    try:
        return list(await asyncio.gather(*(run(c) for c in coros)))
    except asyncio.CancelledError:
        for coro in coros:
            if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                coro.close()
        raise
