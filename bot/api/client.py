"""The one Coralogix incidents client: a long-lived `httpx.AsyncClient`, typed errors, bounded retries.

Every method takes keyword-only arguments and returns pydantic models; non-2xx answers become
`ApiStatusError` subclasses and transport failures `ApiConnectionError`, each raised `from` its cause.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bot import __version__
from bot.api._retry import RetryPolicy, retrying
from bot.api.exceptions import ApiConnectionError, ApiResponseError, ApiTimeoutError, status_error
from bot.api.models import (
    BatchGetResponse,
    GetIncidentResponse,
    Incident,
    IncidentFilter,
    IncidentsResponse,
)
from bot.api.routes import ApiVersion, routes_for

logger = logging.getLogger(__name__)

# Connecting should be near-instant on a healthy network; 5 s covers a slow TLS handshake.
# Reads get 10 s: a resolve of 1 000 ids is one write on Coralogix's side, and a hung read must
# still leave room for a retry within the ~30 s a user will wait in Slack. Waiting for a free
# pooled connection is our own queueing under load, not Coralogix being slow: allow 20 s.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, pool=20.0)
# Ids per resolve call. The newest spec allows 10 000, older ones set no limit; 1 000 keeps one
# request body near 40 KB and one failed chunk small.
RESOLVE_CHUNK = 1000
# Ids per batch-get call: they travel in the query string, and 100 UUIDs keep the URL under 5 KB.
BATCH_GET_CHUNK = 100
# Calls in flight at once for one user action.
MAX_CONCURRENCY = 4
LIST_PAGE_SIZE = 100

M = TypeVar("M", bound=BaseModel)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~20 ms of CPU, every client shares it."""
    return ssl.create_default_context()


def build_http_client(
    *, base_url: str, api_key: SecretStr, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The process-wide HTTP client: base URL, Bearer auth, User-Agent, explicit timeouts."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={
            "Authorization": f"Bearer {api_key.get_secret_value()}",
            "User-Agent": f"coralogix-resolve-bot/{__version__}",
            "Accept": "application/json",
        },
        timeout=DEFAULT_TIMEOUT,
        verify=tls_context(),
        transport=transport,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )


class CoralogixClient:
    """Incidents operations on one Coralogix host and path family."""

    def __init__(
        self,
        *,
        host: str,
        api_key: SecretStr,
        version: ApiVersion = ApiVersion.LTS,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observe: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self.version = version
        self._observe = observe
        self.routes = routes_for(version)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._api_key = api_key
        self._http = build_http_client(
            base_url=host.rstrip("/") + self.routes.base, api_key=api_key, transport=transport
        )

    def __repr__(self) -> str:
        return f"CoralogixClient(base_url={str(self._http.base_url)!r}, version={self.version.value!r})"

    @property
    def base_url(self) -> str:
        """Host plus the family's base path."""
        return str(self._http.base_url)

    async def aclose(self) -> None:
        """Close the connection pool (at shutdown)."""
        await self._http.aclose()

    # -- operations ---------------------------------------------------------------------------

    async def resolve_incidents(self, *, ids: Sequence[str]) -> list[Incident]:
        """Resolve up to RESOLVE_CHUNK incidents in one call; the updated incidents come back."""
        body = {"incidentIds": list(ids)}
        answer = await self._call("resolve", "POST", self.routes.resolve, IncidentsResponse, json=body)
        return answer.incidents

    async def acknowledge_incidents(self, *, ids: Sequence[str]) -> list[Incident]:
        """Acknowledge incidents (Coralogix requires a personal API key for this)."""
        body = {"incidentIds": list(ids)}
        answer = await self._call("acknowledge", "POST", self.routes.acknowledge, IncidentsResponse, json=body)
        return answer.incidents

    async def get_incident(self, *, id: str) -> Incident:
        """One incident by id; `NotFoundError` when it does not exist."""
        path = self.routes.get.format(id=quote(id, safe=""))
        return (await self._call("get", "GET", path, GetIncidentResponse)).incident

    async def batch_get_incidents(self, *, ids: Sequence[str]) -> BatchGetResponse:
        """Many incidents by id, in chunks of BATCH_GET_CHUNK; merges found and not-found ids."""
        method, path = self.routes.batch_get
        chunks = [list(ids[i : i + BATCH_GET_CHUNK]) for i in range(0, len(ids), BATCH_GET_CHUNK)]
        answers = await gather_bounded(
            [self._call("batch_get", method, path, BatchGetResponse, params={"ids": c}) for c in chunks]
        )
        found: dict[str, Incident] = {}
        missing: list[str] = []
        for answer in answers:
            found.update(answer.incidents)
            missing.extend(answer.not_found_ids)
        return BatchGetResponse(incidents=found, not_found_ids=missing)

    async def list_incidents(
        self, *, filter: IncidentFilter | None = None, limit: int = 1000, page_size: int = LIST_PAGE_SIZE
    ) -> list[Incident]:
        """Incidents matching `filter`, following pages until there are no more or `limit` is reached."""
        incidents: list[Incident] = []
        token: str | None = None
        while len(incidents) < limit:
            pagination: dict[str, Any] = {"pageSize": min(page_size, limit - len(incidents))}
            if token:
                pagination["pageToken"] = token
            body: dict[str, Any] = {"pagination": pagination}
            if filter is not None:
                body["filter"] = filter.to_wire()
            answer = await self._call("list", "POST", self.routes.list, IncidentsResponse, json=body)
            incidents.extend(answer.incidents)
            token = answer.pagination.next_page_token if answer.pagination else None
            if not token or not answer.incidents:
                break
        return incidents[:limit]

    # -- transport ----------------------------------------------------------------------------

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        model: type[M],
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> M:
        async for attempt in retrying(self.retry, self._sleep):
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


T = TypeVar("T")


async def gather_bounded(coros: Sequence[Awaitable[T]], limit: int = MAX_CONCURRENCY) -> list[T]:
    """Await `coros` with at most `limit` in flight, keeping their order; the first error propagates."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Awaitable[T]) -> T:
        async with semaphore:
            return await coro

    return list(await asyncio.gather(*(run(c) for c in coros)))
