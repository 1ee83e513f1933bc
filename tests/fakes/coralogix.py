"""The one fake Coralogix of the tests: the incidents API in both path families and Cases, in memory, every
call recorded.

One core answers a request (method, path, query, JSON body → status, JSON, headers); two adapters
put it where the code under test looks for Coralogix:

- `transport()`: an `httpx.MockTransport`, for unit tests handing it to `CoralogixClient(transport=...)`;
- `app()`: an aiohttp application, served on loopback (`tests.fakes.server.serving`) for the
  end-to-end tests, which point the bot at it with CORALOGIX_API_URL.

The paths come from `bot.api.routes` (`routes_for`, `CASES`), so a route change breaks the fake loudly.
A request the fake does not know is a test failure: the transport raises `UnexpectedRequest` into the
code under test, and the aiohttp app answers 501 and lists it in `unexpected` (the e2e harness fails
on it). Cases calls (`cases`, a `tests.fakes.cases.FakeCases`: its stored cases, lifecycle and knobs)
are also checked against cases-v5.yaml, request and 200 answer alike: a mismatch is a
`ContractViolation`, an `UnexpectedRequest` listed in `violations` too.

Knobs, all plain attributes a test sets before or during a run:

- who answers: `versions` (path families served), the key `API_KEY` (any other gets 401);
- timing: `delay` (seconds every call takes, so concurrent calls overlap), `gate` (hold every call
  until set, at most `delay` seconds if positive, else 30 s);
- errors: `statuses` (operation → error status of every such call), `path_statuses` (request path →
  error status, e.g. one family's list call), `failures` (statuses resolve answers first, one per
  call, then works; 429 carries Retry-After: 1), `transport_error` (raised by `transport()` instead
  of answering: the fake never sees the call);
- resolve quirks: `reject` (id → status for any resolve batch naming it, though reads still see it),
  `ignored` (answered 200 but neither resolved nor returned, known or not), `unreported` (resolved
  but left out of the answer), `fail_after_resolving` (applied, then this status instead of the
  answer), `deleted_after_first_read` (gone once a batch-get has returned them).

Recordings: `calls` (one `CxCall` per request, in arrival order, with its request and, once answered,
its response), `unexpected`, `in_flight` (calls being answered now), `completed`, `max_in_flight`
(per operation and "all").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal, get_args

import httpx
from aiohttp import web

from bot.api import ApiVersion
from bot.api.routes import routes_for
from tests.fakes.cases import CASE_OPERATIONS, CaseOperation, FakeCases, copied
from tests.fakes.openapi import Contract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
API_KEY = "cxtp_Zr8KqW3mN5vB7xT1yU4oP6sD9fG2hJ0l"  # distinctive, so a leak is easy to spot
RESOLVED_AT = "2026-03-14T12:30:00.125Z"
TRIGGERED = "INCIDENT_STATUS_TRIGGERED"
RESOLVED = "INCIDENT_STATUS_RESOLVED"

IncidentOperation = Literal["resolve", "acknowledge", "get", "batch_get", "list"]
Operation = IncidentOperation | CaseOperation
OPERATIONS: tuple[Operation, ...] = (*get_args(IncidentOperation), *CASE_OPERATIONS)
CASES_SPEC = "cases-v5.yaml"
# The message Coralogix (or the proxy in front of it) sends with each status, in the tests' words.
MESSAGES = {
    400: "invalid argument",
    401: "unauthenticated",
    403: "permission denied",
    404: "not found",
    500: "internal error",
    502: "upstream connect error",
}


def load_fixture(name: str) -> Any:
    """A canned Coralogix JSON document from tests/fixtures, freshly parsed."""
    return json.loads((FIXTURES / name).read_text())


def make_incident(
    incident_id: str,
    name: str = "High error rate",
    *,
    status: str = TRIGGERED,
    severity: str = "INCIDENT_SEVERITY_CRITICAL",
    application: str = "checkout",
    subsystem: str = "payments-api",
) -> dict[str, Any]:
    """A complete, spec-valid incident on the wire: the triggered fixture with these values (resolved in full
    when `status` says so: state, closedAt and a close event)."""
    incident: dict[str, Any] = load_fixture("incident_triggered.json")
    incident.update(id=incident_id, name=name, status=status, severity=severity)
    incident["description"] = f"{name} on {application}"
    incident["contextualLabels"].update(alert_id=f"alert-{incident_id[:8]}", alert_name=name)
    incident["displayLabels"] = {
        "coralogix.metadata.applicationName": application,
        "coralogix.metadata.subsystemName": subsystem,
    }
    if status == RESOLVED:
        _mark_resolved(incident)
    return incident


def _now() -> str:
    """The current time as Coralogix writes it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mark_resolved(incident: dict[str, Any], at: str = RESOLVED_AT) -> None:
    incident.update(state="INCIDENT_STATE_RESOLVED", status=RESOLVED, closedAt=at)
    incident["lastStateUpdateTime"] = at
    incident["events"].append(
        {
            "id": f"close-{incident['id']}",
            "incidentEventType": "INCIDENT_EVENT_TYPE_CLOSE",
            "originatorType": "ORIGINATOR_TYPE_ADMINISTRATIVE",
            "close": {"closedBy": {"userId": "bot@example.com"}},
            "administrativeEvent": {"userId": "bot@example.com"},
        }
    )


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """Coralogix's newer error shape: the HTTP status and a message (by default the usual one for it)."""
    return {"code": status, "message": message or MESSAGES.get(status) or HTTPStatus(status).phrase.lower()}


class UnexpectedRequest(AssertionError):
    """A request the fake Coralogix does not serve: a test failure, never an answer."""


class ContractViolation(UnexpectedRequest):
    """A Cases request, or the fake's answer to it, that breaks cases-v5.yaml."""


@dataclass
class CxCall:
    """One request the fake received and, once answered, its response (what contract tests validate)."""

    operation: Operation
    ids: list[str]  # the incident or case ids the call names, in its order
    request: httpx.Request
    response: httpx.Response | None = None  # None while the call is still being answered

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self.request.method

    @property
    def path(self) -> str:
        """The URL path, base path of the family included."""
        return self.request.url.path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query string, as (name, value) pairs in order."""
        return list(self.request.url.params.multi_items())

    @property
    def headers(self) -> httpx.Headers:
        """The request headers (case-insensitive)."""
        return self.request.headers

    @property
    def body(self) -> Any:
        """The JSON body, or None without one."""
        return json.loads(self.request.content) if self.request.content else None


@dataclass
class FakeCoralogix:
    """State, knobs and recordings of the fake (see the module docstring for what each knob does)."""

    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: FakeCases = field(default_factory=FakeCases)
    versions: tuple[ApiVersion, ...] = tuple(ApiVersion)
    # Timing.
    delay: float = 0.0
    gate: asyncio.Event | None = None
    # Errors.
    statuses: dict[Operation, int] = field(default_factory=dict)
    path_statuses: dict[str, int] = field(default_factory=dict)
    failures: deque[int] = field(default_factory=deque)
    transport_error: Exception | None = None
    # Resolve quirks.
    reject: dict[str, int] = field(default_factory=dict)
    ignored: set[str] = field(default_factory=set)
    unreported: set[str] = field(default_factory=set)
    fail_after_resolving: int | None = None
    deleted_after_first_read: set[str] = field(default_factory=set)
    # Recordings.
    calls: list[CxCall] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    completed: int = 0
    max_in_flight: Counter[str] = field(default_factory=Counter)
    _in_flight: Counter[str] = field(default_factory=Counter)
    base_url: str = ""  # where `app()` is served, once it is

    def add(self, *incidents: dict[str, Any] | str) -> None:
        """Store incidents: each a full incident, or an id for `make_incident(id)` (triggered)."""
        for incident in incidents:
            stored = make_incident(incident) if isinstance(incident, str) else incident
            self.incidents[stored["id"]] = stored

    def calls_of(self, operation: Operation) -> list[CxCall]:
        """The calls of one operation, in arrival order."""
        assert operation in OPERATIONS, f"no operation {operation!r}"
        return [c for c in self.calls if c.operation == operation]

    def ids_of(self, operation: Operation) -> list[list[str]]:
        """The ids each call of `operation` named, in arrival order."""
        return [c.ids for c in self.calls_of(operation)]

    @property
    def in_flight(self) -> int:
        """Calls being answered right now, any operation."""
        return self._in_flight["all"]

    # -- adapters -------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """The transport to hand to `CoralogixClient(transport=...)`."""

        async def handler(request: httpx.Request) -> httpx.Response:
            if self.transport_error is not None:
                raise self.transport_error
            return await self.handle(request)

        return httpx.MockTransport(handler)

    def app(self) -> web.Application:
        """The aiohttp application of the fake, answering every path through the same core."""

        async def handler(request: web.Request) -> web.Response:
            forwarded = httpx.Request(
                request.method, str(request.url), headers=list(request.headers.items()), content=await request.read()
            )
            try:
                answer = await self.handle(forwarded)
            except UnexpectedRequest as error:
                return web.json_response(error_body(501, str(error)), status=501)
            headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
            return web.Response(status=answer.status_code, body=answer.content, headers=headers)

        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", handler)
        return app

    # -- the core -------------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Record the call, hold it as the timing knobs say, answer it."""
        operation, ids = self._parse(request)
        call = CxCall(operation, ids, request)
        self.calls.append(call)
        request_id = f"req-{len(self.calls)}"
        for key in (operation, "all"):
            self._in_flight[key] += 1
            self.max_in_flight[key] = max(self.max_in_flight[key], self._in_flight[key])
        try:
            if self.gate is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.gate.wait(), timeout=self.delay or 30.0)
            else:
                await asyncio.sleep(self.delay)
            status, body, headers = self._answer(operation, call)
        finally:
            self._in_flight[operation] -= 1
            self._in_flight["all"] -= 1
            self.completed += 1
        headers = {"x-request-id": request_id, **headers}
        call.response = httpx.Response(status, json=body, headers=headers, request=request)
        if operation in CASE_OPERATIONS and status == 200:  # error bodies are schema-less in the spec
            self._conform(Contract.of(CASES_SPEC).response_problem(request, status, body, any_host=True))
        return call.response

    def _conform(self, problem: str | None) -> None:
        """Fail the test at once when an exchange breaks the spec."""
        if problem is not None:
            self.violations.append(problem)
            self.unexpected.append(problem)
            raise ContractViolation(problem)

    def _parse(self, request: httpx.Request) -> tuple[Operation, list[str]]:
        """Which operation the request is, and the ids it names; anything else is `UnexpectedRequest`."""
        method, path = request.method, request.url.path
        if (case_call := self.cases.route(request)) is not None:
            return case_call
        for version in self.versions:
            routes = routes_for(version)
            if not path.startswith(f"{routes.base}/"):
                continue
            rest = path.removeprefix(routes.base)
            if (method, rest) == ("POST", routes.resolve):
                return "resolve", list(json.loads(request.content)["incidentIds"])
            if (method, rest) == ("POST", routes.acknowledge):
                return "acknowledge", list(json.loads(request.content)["incidentIds"])
            if (method, rest) == routes.batch_get:
                if request.content:
                    break  # batch-get carries its ids in the query, never in a body
                return "batch_get", request.url.params.get_list("ids")
            if (method, rest) == ("POST", routes.list):
                return "list", []
            before, after = routes.get.split("{id}")
            incident_id = rest.removeprefix(before).removesuffix(after)
            if method == "GET" and rest == f"{before}{incident_id}{after}" and incident_id and "/" not in incident_id:
                return "get", [incident_id]
        self.unexpected.append(f"{method} {request.url}")
        raise UnexpectedRequest(f"unexpected request to the fake Coralogix: {method} {request.url}")

    def _answer(self, operation: Operation, call: CxCall) -> tuple[int, Any, dict[str, str]]:
        """The status, JSON body and headers of the answer."""
        if call.headers.get("Authorization") != f"Bearer {API_KEY}":
            return 401, error_body(401), {}
        if operation in CASE_OPERATIONS:  # after the key check: a wrong key is Coralogix's 401, not ours
            self._conform(Contract.of(CASES_SPEC).request_problem(call.request, any_host=True))
        status = self.path_statuses.get(call.path) or self.statuses.get(operation)
        if status is not None:
            return status, error_body(status), {}
        if operation in CASE_OPERATIONS:
            return self.cases.answer(operation, call.ids, call.body)
        if operation == "resolve":
            return self._resolve(call.ids)
        if operation == "acknowledge":
            return 200, {"incidents": self._acknowledge(call.ids)}, {}
        if operation == "batch_get":
            return 200, self._batch_get(call.ids), {}
        if operation == "get":
            return self._get(call.ids[0])
        return 200, self._list(call.body or {}), {}

    def _resolve(self, ids: list[str]) -> tuple[int, Any, dict[str, str]]:
        if self.failures:
            status = self.failures.popleft()
            return status, error_body(status, f"injected {status}"), {"Retry-After": "1"} if status == 429 else {}
        for incident_id in ids:
            if incident_id in self.reject:
                status = self.reject[incident_id]
                reason = "not found" if status == 404 else "cannot be resolved"
                return status, error_body(status, f"incident {incident_id} {reason}"), {}
            if incident_id not in self.incidents and incident_id not in self.ignored:
                return 404, error_body(404, f"incident {incident_id} not found"), {}
        answer = []
        for incident_id in ids:
            if incident_id in self.ignored:
                continue
            incident = self.incidents[incident_id]
            if incident["status"] != RESOLVED:
                _mark_resolved(incident, _now())
            if incident_id not in self.unreported:
                answer.append(copied(incident))
        if self.fail_after_resolving is not None:
            return self.fail_after_resolving, error_body(self.fail_after_resolving), {}
        return 200, {"incidents": answer}, {}

    def _acknowledge(self, ids: list[str]) -> list[dict[str, Any]]:
        updated = []
        for incident_id in ids:
            if incident_id in self.incidents:
                self.incidents[incident_id]["status"] = "INCIDENT_STATUS_ACKNOWLEDGED"
                updated.append(copied(self.incidents[incident_id]))
        return updated

    def _batch_get(self, ids: list[str]) -> dict[str, Any]:
        found = {i: copied(self.incidents[i]) for i in ids if i in self.incidents}
        for incident_id in self.deleted_after_first_read & set(found):
            del self.incidents[incident_id]
        return {"incidents": found, "notFoundIds": [i for i in ids if i not in found]}

    def _get(self, incident_id: str) -> tuple[int, Any, dict[str, str]]:
        incident = self.incidents.get(incident_id)
        if incident is None:
            return 404, error_body(404, "incident not found"), {}
        return 200, {"incident": copied(incident)}, {}

    def _list(self, body: dict[str, Any]) -> dict[str, Any]:
        """One page of the stored incidents the filter matches (status, severity, name search, labels)."""
        query = body.get("filter") or {}
        statuses = set(query.get("status") or [])
        severities = set(query.get("severity") or [])
        search = ((query.get("searchQuery") or {}).get("query") or "").lower()
        labels = {k: set(v["contextualLabelValues"]) for k, v in (query.get("contextualLabels") or {}).items()}
        matching = [
            i
            for i in self.incidents.values()
            if (not statuses or i.get("status") in statuses)
            and (not severities or i.get("severity") in severities)
            and search in (i.get("name") or "").lower()
            and all(i.get("contextualLabels", {}).get(k) in values for k, values in labels.items())
        ]
        size = int(body.get("pagination", {}).get("pageSize", 100))
        start = int(body.get("pagination", {}).get("pageToken") or 0)
        token = str(start + size) if start + size < len(matching) else ""
        return {
            "incidents": copied(matching[start : start + size]),
            "pagination": {"totalSize": len(matching), "nextPageToken": token},
        }
