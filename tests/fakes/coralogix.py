"""A fake Coralogix incidents API on loopback, speaking both path families, recording every call.

Incidents live in memory. Knobs: a delay (or a gate to hold every call), a script of failure
statuses to answer before succeeding, and rejection of a whole resolve batch naming an unknown id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_KEY = "cx-test-key"


def make_incident(
    incident_id: str,
    name: str = "High error rate",
    *,
    status: str = "INCIDENT_STATUS_TRIGGERED",
    severity: str = "INCIDENT_SEVERITY_CRITICAL",
    application: str = "checkout",
    subsystem: str = "payments-api",
) -> dict[str, Any]:
    """An incident as Coralogix serialises it, with every field the spec marks required."""
    resolved = status == "INCIDENT_STATUS_RESOLVED"
    incident: dict[str, Any] = {
        "id": incident_id,
        "name": name,
        "state": "INCIDENT_STATE_RESOLVED" if resolved else "INCIDENT_STATE_TRIGGERED",
        "status": status,
        "assignments": [],
        "description": f"{name} on {application}",
        "severity": severity,
        "contextualLabels": {"alert_id": f"alert-{incident_id[:8]}", "alert_name": name},
        "displayLabels": {
            "coralogix.metadata.applicationName": application,
            "coralogix.metadata.subsystemName": subsystem,
        },
        "events": [],
        "createdAt": "2026-11-27T03:12:45.123Z",
        "lastStateUpdateTime": "2026-11-27T03:12:45.123Z",
        "lastStateUpdateKey": "key-1",
        "isMuted": False,
        "metaLabels": [{"key": "team", "value": "sre"}],
        "duration": "0s",
    }
    return incident


@dataclass
class CxCall:
    """One request the fake received."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    headers: dict[str, str]


@dataclass
class FakeCoralogix:
    """State and recordings of the fake Coralogix."""

    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[CxCall] = field(default_factory=list)
    failures: deque[int] = field(default_factory=deque)  # statuses to answer resolve with first
    delay: float = 0.0  # seconds before answering any call (every route: reads are slow too)
    gate: asyncio.Event | None = None  # when set, every call waits for it (at most `delay` if positive)
    reject_unknown: bool = True  # a resolve batch naming an unknown id fails whole, with 404
    list_status: int | None = None  # answer list calls with this error status
    ack_status: int | None = None  # answer acknowledge with this error status (e.g. 403 for a team key)
    vanished: set[str] = field(default_factory=set)  # ids reads still see but resolve calls unknown
    in_flight: int = 0  # calls being answered right now, any route
    completed: int = 0  # calls answered
    base_url: str = ""

    def add(self, *incidents: dict[str, Any]) -> None:
        """Store incidents by id."""
        for incident in incidents:
            self.incidents[incident["id"]] = incident

    def resolve_calls(self) -> list[CxCall]:
        """The resolve requests received, in order."""
        return [c for c in self.calls if c.path.endswith(("incidents:resolve", "/all/resolve"))]

    def app(self) -> web.Application:
        """The aiohttp application of the fake, serving both families."""
        app = web.Application(client_max_size=8 * 1024 * 1024)
        for base in ("/mgmt/openapi", "/mgmt/openapi/5", "/mgmt/openapi/4"):
            legacy = base == "/mgmt/openapi"
            if legacy:
                app.router.add_post(f"{base}/v1/incidents:resolve", self._resolve)
                app.router.add_post(f"{base}/v1/incidents:acknowledge", self._acknowledge)
                app.router.add_post(f"{base}/v1/incidents:batchGet", self._batch_get)
                app.router.add_post(f"{base}/v1/incidents", self._list)
                app.router.add_get(f"{base}/v1/incidents/{{id}}", self._get)
            else:
                app.router.add_post(f"{base}/incidents/incidents/v1/all/resolve", self._resolve)
                app.router.add_post(f"{base}/incidents/incidents/v1/all/acknowledge", self._acknowledge)
                app.router.add_get(f"{base}/incidents/incidents/v1", self._batch_get)
                app.router.add_post(f"{base}/incidents/incidents/v1", self._list)
                app.router.add_get(f"{base}/incidents/incidents/v1/{{id}}", self._get)
        return self._with_recording(app)

    def _with_recording(self, app: web.Application) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            raw = await request.read()
            self.calls.append(
                CxCall(
                    request.method,
                    request.path,
                    list(request.query.items()),
                    json.loads(raw) if raw else None,
                    dict(request.headers),
                )
            )
            if request.headers.get("Authorization") != f"Bearer {API_KEY}":
                return web.json_response({"code": 16, "message": "unauthenticated"}, status=401)
            self.in_flight += 1
            try:
                if self.gate is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.gate.wait(), timeout=self.delay or 30.0)
                elif self.delay:
                    await asyncio.sleep(self.delay)
                return await handler(request)
            finally:
                self.in_flight -= 1
                self.completed += 1

        app.middlewares.append(record)
        return app

    async def _resolve(self, request: web.Request) -> web.Response:
        if self.failures:
            status = self.failures.popleft()
            headers = {"Retry-After": "1"} if status == 429 else {}
            return web.json_response({"code": status, "message": f"injected {status}"}, status=status, headers=headers)
        ids = (await request.json())["incidentIds"]
        unknown = [i for i in ids if i not in self.incidents or i in self.vanished]
        if unknown and self.reject_unknown:
            return web.json_response(
                {"code": 5, "message": f"incident {unknown[0]} not found", "details": []}, status=404
            )
        updated = []
        for incident_id in ids:
            if incident_id in self.incidents and incident_id not in self.vanished:
                incident = self.incidents[incident_id]
                incident.update(
                    status="INCIDENT_STATUS_RESOLVED",
                    state="INCIDENT_STATE_RESOLVED",
                    closedAt="2026-11-27T04:00:00.000Z",
                )
                updated.append(incident)
        return web.json_response({"incidents": updated})

    async def _acknowledge(self, request: web.Request) -> web.Response:
        if self.ack_status is not None:
            return web.json_response({"code": 7, "message": "permission denied"}, status=self.ack_status)
        updated = []
        for incident_id in (await request.json())["incidentIds"]:
            if incident_id in self.incidents:
                self.incidents[incident_id]["status"] = "INCIDENT_STATUS_ACKNOWLEDGED"
                updated.append(self.incidents[incident_id])
        return web.json_response({"incidents": updated})

    def list_calls(self) -> list[CxCall]:
        """The list requests received, in order."""
        return [c for c in self.calls if c.method == "POST" and c.path.endswith(("/v1/incidents", "incidents/v1"))]

    async def _batch_get(self, request: web.Request) -> web.Response:
        ids = request.query.getall("ids", [])
        found = {i: self.incidents[i] for i in ids if i in self.incidents}
        return web.json_response({"incidents": found, "notFoundIds": [i for i in ids if i not in found]})

    async def _list(self, request: web.Request) -> web.Response:
        if self.list_status is not None:
            return web.json_response({"code": self.list_status, "message": "injected"}, status=self.list_status)
        body = await request.json()
        query = body.get("filter") or {}
        statuses = set(query.get("status") or [])
        labels = {k: set(v["contextualLabelValues"]) for k, v in (query.get("contextualLabels") or {}).items()}
        severities = set(query.get("severity") or [])
        search = ((query.get("searchQuery") or {}).get("query") or "").lower()
        matching = [
            i
            for i in self.incidents.values()
            if (not statuses or i["status"] in statuses)
            and (not severities or i["severity"] in severities)
            and search in (i.get("name") or "").lower()
            and all(i["contextualLabels"].get(k) in values for k, values in labels.items())
        ]
        size = int(body.get("pagination", {}).get("pageSize", 100))
        start = int(body.get("pagination", {}).get("pageToken") or 0)
        page = matching[start : start + size]
        token = str(start + size) if start + size < len(matching) else ""
        return web.json_response(
            {"incidents": page, "pagination": {"totalSize": len(matching), "nextPageToken": token}}
        )

    async def _get(self, request: web.Request) -> web.Response:
        incident = self.incidents.get(request.match_info["id"])
        if incident is None:
            return web.json_response({"code": 404, "message": "incident not found"}, status=404)
        return web.json_response({"incident": incident})
