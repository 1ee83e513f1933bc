"""The one Coralogix incidents client, on the transport every Coralogix client shares (`bot.api.http`).

Every method takes keyword-only arguments and returns pydantic models; non-2xx answers become
`ApiStatusError` subclasses and transport failures `ApiConnectionError`, each raised `from` its cause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.api._retry import RetryPolicy
from bot.api.http import MAX_CONCURRENCY, ApiTransport, Observer, gather_bounded
from bot.api.models import (
    BatchGetResponse,
    GetIncidentResponse,
    Incident,
    IncidentFilter,
    IncidentsResponse,
)
from bot.api.routes import ApiVersion, routes_for

# Ids per resolve call. The newest spec allows 10 000, older ones set no limit; 1 000 keeps one
# request body near 40 KB and one failed chunk small.
RESOLVE_CHUNK = 1000
# Ids per batch-get call: they travel in the query string, and 100 UUIDs keep the URL under 5 KB.
BATCH_GET_CHUNK = 100
LIST_PAGE_SIZE = 100


class CoralogixClient(ApiTransport):
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
        observe: Observer | None = None,
    ) -> None:
        self.version = version
        self.routes = routes_for(version)
        super().__init__(
            base_url=host.rstrip("/") + self.routes.base,
            api_key=api_key,
            retry=retry,
            transport=transport,
            sleep=sleep,
            observe=observe,
        )

    def __repr__(self) -> str:
        return f"CoralogixClient(base_url={self.base_url!r}, version={self.version.value!r})"

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


__all__ = ["BATCH_GET_CHUNK", "LIST_PAGE_SIZE", "MAX_CONCURRENCY", "RESOLVE_CHUNK", "CoralogixClient", "gather_bounded"]
