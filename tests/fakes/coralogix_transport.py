"""Fakes for the Coralogix client tests, all plugged in at the transport seam.

`FakeCoralogix` is a small in-memory incidents API served through `httpx.MockTransport`. It speaks
both path families (taken from `bot.api.routes`, so a route change breaks the fake loudly), answers
resolve and batch-get with spec-shaped JSON built from the canned fixtures, records every call,
measures how many calls were in flight at once, and lets a test inject the failures the service
must survive. Any other request fails the test. `Script` answers from a fixed list instead, and
`RecordingSleep` stands in for `asyncio.sleep` in the client's retries.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.api import ApiVersion, CoralogixClient
from bot.api.routes import routes_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RESOLVED_AT = "2026-03-14T12:30:00.125Z"
API_KEY = "cxtp_Zr8KqW3mN5vB7xT1yU4oP6sD9fG2hJ0l"  # distinctive, so a leak is easy to spot


def load_fixture(name: str) -> Any:
    """A canned Coralogix JSON document from tests/fixtures, freshly parsed."""
    return json.loads((FIXTURES / name).read_text())


def make_incident(incident_id: str, *, resolved: bool = False) -> dict[str, Any]:
    """A complete, spec-valid incident on the wire: the triggered fixture, or its resolved form."""
    incident: dict[str, Any] = load_fixture("incident_triggered.json")
    incident["id"] = incident_id
    if resolved:
        _mark_resolved(incident)
    return incident


def _mark_resolved(incident: dict[str, Any]) -> None:
    incident.update(
        state="INCIDENT_STATE_RESOLVED",
        status="INCIDENT_STATUS_RESOLVED",
        closedAt=RESOLVED_AT,
        lastStateUpdateTime=RESOLVED_AT,
    )
    incident["events"].append(
        {
            "id": f"close-{incident['id']}",
            "incidentEventType": "INCIDENT_EVENT_TYPE_CLOSE",
            "originatorType": "ORIGINATOR_TYPE_ADMINISTRATIVE",
            "close": {"closedBy": {"userId": "bot@example.com"}},
            "administrativeEvent": {"userId": "bot@example.com"},
        }
    )


def error_body(status: int, message: str) -> dict[str, Any]:
    """Coralogix's newer error shape: the HTTP status and a message."""
    return {"code": status, "message": message}


def ok(body: Any) -> httpx.Response:
    """A 200 JSON answer."""
    return httpx.Response(200, json=body)


@dataclass
class RecordingSleep:
    """Returns at once and remembers how long it was asked to wait."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


ClientFactory = Callable[..., CoralogixClient]  # the `make_client` fixture of tests/api
Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Script:
    """A MockTransport handler answering from a list, in order, and recording every request.

    The last answer repeats once the list runs out; an Exception is raised as the transport
    would raise it; a callable is called with the request.
    """

    answers: list[Answer]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


@dataclass(frozen=True)
class Exchange:
    """One request the fake answered, with its answer (for contract checks)."""

    operation: str
    ids: list[str]
    request: httpx.Request
    response: httpx.Response


@dataclass
class FakeCoralogix:
    """State, failure knobs and recordings of the fake."""

    version: ApiVersion = ApiVersion.LTS
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Failure knobs.
    resolve_status: int | None = None  # answer every resolve with this status
    batch_get_status: int | None = None  # answer every batch-get with this status
    reject: dict[str, int] = field(default_factory=dict)  # id -> status for any resolve batch holding it
    ignored: set[str] = field(default_factory=set)  # resolve answers 200 but neither resolves nor returns these
    unreported: set[str] = field(default_factory=set)  # resolve resolves these but leaves them out of its answer
    deleted_after_first_read: set[str] = field(default_factory=set)  # gone once a batch-get has seen them
    fail_after_resolving: int | None = None  # resolve applies, then the answer is lost: this status instead
    latency: float = 0.0  # seconds each call takes, so concurrent calls overlap
    # Recordings.
    exchanges: list[Exchange] = field(default_factory=list)
    max_in_flight: Counter[str] = field(default_factory=Counter)  # per operation, and "all"
    _in_flight: Counter[str] = field(default_factory=Counter)

    def add(self, *ids: str, resolved: bool = False) -> None:
        """Store incidents (triggered unless `resolved`)."""
        for incident_id in ids:
            self.incidents[incident_id] = make_incident(incident_id, resolved=resolved)

    def calls(self, operation: str) -> list[list[str]]:
        """The ids of each call of `operation`, in the order the calls arrived."""
        return [e.ids for e in self.exchanges if e.operation == operation]

    def transport(self) -> httpx.MockTransport:
        """The transport to hand to `CoralogixClient(transport=...)`."""
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Route one request; anything not resolve or batch-get fails the test."""
        operation, ids = self._parse(request)
        for key in (operation, "all"):
            self._in_flight[key] += 1
            self.max_in_flight[key] = max(self.max_in_flight[key], self._in_flight[key])
        try:
            await asyncio.sleep(self.latency)
            status, body = self._resolve(ids) if operation == "resolve" else self._batch_get(ids)
        finally:
            self._in_flight[operation] -= 1
            self._in_flight["all"] -= 1
        response = httpx.Response(status, json=body, headers={"x-request-id": f"req-{len(self.exchanges) + 1}"})
        self.exchanges.append(Exchange(operation, ids, request, response))
        return response

    def _parse(self, request: httpx.Request) -> tuple[str, list[str]]:
        routes = routes_for(self.version)
        path = request.url.path.removeprefix(routes.base)
        if (request.method, path) == ("POST", routes.resolve):
            return "resolve", list(json.loads(request.content)["incidentIds"])
        if (request.method, path) == routes.batch_get:
            assert not request.content, "batch-get carries its ids in the query, not a body"
            return "batch_get", request.url.params.get_list("ids")
        raise AssertionError(f"unexpected request to the fake Coralogix: {request.method} {request.url}")

    def _resolve(self, ids: list[str]) -> tuple[int, dict[str, Any]]:
        if self.resolve_status is not None:
            return self.resolve_status, error_body(self.resolve_status, "internal error")
        for incident_id in ids:
            if incident_id in self.reject:
                status = self.reject[incident_id]
                return status, error_body(status, f"incident {incident_id} cannot be resolved")
            if incident_id not in self.incidents:
                return 404, error_body(404, f"incident {incident_id} not found")
        answer = []
        for incident_id in ids:
            if incident_id in self.ignored:
                continue
            incident = self.incidents[incident_id]
            if incident["status"] != "INCIDENT_STATUS_RESOLVED":
                _mark_resolved(incident)
            if incident_id not in self.unreported:
                answer.append(copy.deepcopy(incident))
        if self.fail_after_resolving is not None:
            return self.fail_after_resolving, error_body(self.fail_after_resolving, "upstream connect error")
        return 200, {"incidents": answer}

    def _batch_get(self, ids: list[str]) -> tuple[int, dict[str, Any]]:
        if self.batch_get_status is not None:
            return self.batch_get_status, error_body(self.batch_get_status, "permission denied")
        found = {i: copy.deepcopy(self.incidents[i]) for i in ids if i in self.incidents}
        for incident_id in self.deleted_after_first_read & set(found):
            del self.incidents[incident_id]
        return 200, {"incidents": found, "notFoundIds": [i for i in ids if i not in found]}
