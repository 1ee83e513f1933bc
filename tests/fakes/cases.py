"""The Cases half of the fake Coralogix: stored cases, the documented lifecycle, Coralogix's answers.

`FakeCoralogix` (tests.fakes.coralogix) owns one `FakeCases` as `.cases` and routes every path under
`/mgmt/openapi/5/cases/` to it, through the same core as the incidents calls: the same recordings,
auth, timing and error knobs. Each Cases request and answer is also checked against cases-v5.yaml
there; a mismatch is a test failure (`ContractViolation`), never an answer.

The lifecycle, as the Cases overview documents it: PENDING_ACTIVATION → ACTIVE ⇄ ACKNOWLEDGED →
RESOLVED → CLOSED. What Coralogix answers for a step it does not allow is not documented; the fake
answers 400 and changes nothing: acknowledging a case that is not active yet, resolved (a resolved
case cannot be reopened) or closed; resolving a closed one. Resolving a resolved case or closing a
closed one changes nothing and answers 200 with the case as it is.

Bulk calls are all or nothing by default: one unknown id answers 404, one refused step 400, and no
case changes. With `bulk_skips_invalid`, they apply what they can and leave the rest out of the answer.
Knobs: `bulk_skips_invalid`, `failures` (statuses the resolve and close calls answer first, one per
call), `ignored` (UUIDs of cases a resolve, close or acknowledge answers 200 for but neither changes
nor, in bulk, returns), `ui_base` (where deep links point). Recordings: `comments` (case UUID → texts).
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from urllib.parse import unquote

import httpx

from bot.api.routes import CASES


def copied(document: Any) -> Any:
    """A deep copy of a JSON document (what the fakes answer with): several times faster than copy.deepcopy."""
    return json.loads(json.dumps(document))


CaseOperation = Literal[
    "case_resolve",
    "case_resolve_one",
    "case_close",
    "case_close_one",
    "case_acknowledge",
    "case_get",
    "case_list",
    "case_comment",
    "case_deep_links",
]
CASE_OPERATIONS: tuple[CaseOperation, ...] = get_args(CaseOperation)
ACTIVE, ACKNOWLEDGED = "CASE_STATUS_ACTIVE", "CASE_STATUS_ACKNOWLEDGED"
RESOLVED, CLOSED = "CASE_STATUS_RESOLVED", "CASE_STATUS_CLOSED"
PENDING = "CASE_STATUS_PENDING_ACTIVATION"
LONG_AGO = "2025-09-22T11:15:00.000Z"  # when the cases a test stores already resolved got there
Answer = tuple[int, Any, dict[str, str]]

_ROUTES: list[tuple[str, re.Pattern[str], CaseOperation]] = [
    ("POST", re.compile(re.escape(CASES.bulk_resolve)), "case_resolve"),
    ("PUT", re.compile(re.escape(CASES.resolve).replace(r"\{id\}", "([^/]+)")), "case_resolve_one"),
    ("POST", re.compile(re.escape(CASES.bulk_close)), "case_close"),
    ("POST", re.compile(re.escape(CASES.close).replace(r"\{id\}", "([^/]+)")), "case_close_one"),
    ("PUT", re.compile(re.escape(CASES.acknowledge).replace(r"\{id\}", "([^/]+)")), "case_acknowledge"),
    ("POST", re.compile(re.escape(CASES.list)), "case_list"),
    ("POST", re.compile(re.escape(CASES.comments).replace(r"\{id\}", "([^/]+)")), "case_comment"),
    ("GET", re.compile(re.escape(CASES.deep_links).replace(r"\{id\}", "([^/]+)")), "case_deep_links"),
    ("GET", re.compile(re.escape(CASES.get).replace(r"\{id\}", "([^/]+)")), "case_get"),
]


def now() -> str:
    """The current time as Coralogix writes it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_case(
    case_id: str,
    title: str = "Checkout latency p99 > 2s",
    *,
    readable_id: str | None = None,
    status: str = ACTIVE,
    priority: str = "CASE_PRIORITY_P2",
    labels: dict[str, str] | None = None,
    alert_id: str | None = None,
) -> dict[str, Any]:
    """A complete, spec-valid case on the wire: the active fixture with these values. A case stored
    resolved, closed or acknowledged got there LONG_AGO; a pending one has no readable id yet."""
    from tests.fakes.coralogix import load_fixture

    case: dict[str, Any] = load_fixture("case_active.json")
    case.update(id=case_id, title=title, status=status, priority=priority)
    case["priorityDetails"] = {"system": priority}
    case["readableId"] = readable_id or f"CASE-{int(case_id[:8], 16) % 100000}"
    if status == PENDING:
        del case["readableId"]
    if labels is not None:
        case["labels"] = [{"key": k, "value": v} for k, v in labels.items()]
    if alert_id is not None:
        case["caseIndicators"]["alertIndicators"][0]["alertId"] = alert_id
    if status in (ACKNOWLEDGED, RESOLVED, CLOSED):
        case["acknowledgeTime"] = LONG_AGO
    if status in (RESOLVED, CLOSED):
        case["resolutionDetails"] = {"reason": "fixed", "resolveTime": LONG_AGO, "resolvedBy": {"cxUser": {}}}
    if status != ACTIVE:
        case["updateTime"] = LONG_AGO
    return case


def lean_case(case_id: str, *, status: str = ACTIVE) -> dict[str, Any]:
    """A spec-valid case with only the fields the spec requires (and a readable id): quick to check by
    the thousand, for the tests of bulk sizes."""
    case = {"id": case_id, "readableId": f"CASE-{int(case_id[:8], 16)}", "title": f"Case {case_id[:8]}"}
    case |= {"status": status, "priority": "CASE_PRIORITY_P3", "category": "CASE_CATEGORY_AVAILABILITY"}
    return case | {"createTime": LONG_AGO, "labels": [], "groupings": [], "impactedEntities": []}


class CaseRefused(Exception):
    """Coralogix would not take this step (an error answer)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class FakeCases:
    """Stored cases (by UUID), the knobs and the recordings of the Cases half of the fake."""

    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    bulk_skips_invalid: bool = False
    failures: deque[int] = field(default_factory=deque)
    ignored: set[str] = field(default_factory=set)
    ui_base: str = "https://acme.app.coralogix.test"
    comments: dict[str, list[str]] = field(default_factory=dict)

    def add(self, *cases: dict[str, Any] | str) -> None:
        """Store cases: each a full case, or a UUID for `make_case(uuid)` (active)."""
        for case in cases:
            stored = make_case(case) if isinstance(case, str) else case
            self.cases[stored["id"]] = stored

    def find(self, ref: str) -> dict[str, Any] | None:
        """The stored case a UUID or readable id names."""
        return self.cases.get(ref) or next((c for c in self.cases.values() if c.get("readableId") == ref), None)

    def status_of(self, ref: str) -> str | None:
        """The stored status of the case `ref` names (None when there is none)."""
        case = self.find(ref)
        return case["status"] if case else None

    def route(self, request: httpx.Request) -> tuple[CaseOperation, list[str]] | None:
        """Which Cases operation a request is, and the case ids it names; None for no Cases path."""
        raw = request.url.raw_path.decode().split("?", 1)[0]
        if not raw.startswith(f"{CASES.base}/cases/"):
            return None
        rest = raw.removeprefix(CASES.base)
        for method, pattern, operation in _ROUTES:
            match = pattern.fullmatch(rest)
            if match and request.method == method:
                if match.groups():  # the id travels as one escaped path segment
                    return operation, [unquote(match.group(1))]
                ids = json.loads(request.content).get("ids", []) if request.content else []
                return operation, list(ids)
        return None

    # -- answers -----------------------------------------------------------------------------------

    def answer(self, operation: CaseOperation, ids: list[str], body: Any) -> Answer:
        """The status, JSON body and headers Coralogix would answer with."""
        body = body or {}
        if operation in ("case_resolve", "case_resolve_one", "case_close", "case_close_one") and self.failures:
            status = self.failures.popleft()
            return status, _error(status, f"injected {status}"), {"Retry-After": "1"} if status == 429 else {}
        if operation == "case_list":
            token = (body.get("pagination") or {}).get("pageToken") or "0"
            if not token.isdigit():
                return 400, _error(400, "invalid page token"), {}
            return 200, self._list(body), {}
        step = {"case_resolve": self._resolve, "case_resolve_one": self._resolve, "case_close": self._close}
        step |= {"case_close_one": self._close, "case_acknowledge": self._acknowledge}
        if operation in ("case_resolve", "case_close"):
            return self._bulk(ids, lambda case: step[operation](case, body.get("reason")))
        case = self.find(ids[0])
        if case is None:
            return 404, _error(404, f"case {ids[0]} not found"), {}
        try:
            if operation in step and case["id"] not in self.ignored:
                step[operation](case, body.get("reason"))
        except CaseRefused as refused:
            return refused.status, _error(refused.status, refused.message), {}
        if operation == "case_comment":
            return 200, self._comment(case, body["text"]), {}
        if operation == "case_deep_links":
            return 200, {"deepLinks": {"detail": f"{self.ui_base}/#/cases/{case.get('readableId') or case['id']}"}}, {}
        return 200, {"case": copied(case)}, {}

    def _bulk(self, ids: list[str], apply: Any) -> Answer:
        found = [(ref, case) for ref in ids if not ((case := self.find(ref)) and case["id"] in self.ignored)]
        if not self.bulk_skips_invalid:
            if missing := [ref for ref, case in found if case is None]:
                return 404, _error(404, f"case {missing[0]} not found"), {}
            for ref, case in found:  # all or nothing: check every step before taking any
                try:
                    apply(copied(case))
                except CaseRefused as refused:
                    return refused.status, _error(refused.status, f"{ref}: {refused.message}"), {}
        answered = []
        for _, case in found:
            if case is None:
                continue
            try:
                apply(case)
            except CaseRefused:
                continue
            answered.append(copied(case))
        return 200, {"cases": answered}, {}

    def _resolve(self, case: dict[str, Any], reason: str | None) -> None:
        if case["status"] == CLOSED:
            raise CaseRefused(400, "case is closed and cannot be resolved")
        if case["status"] != RESOLVED:
            at = now()
            case.update(status=RESOLVED, updateTime=at)
            case["resolutionDetails"] = {"resolveTime": at, "resolvedBy": {"apiKey": {}}}
            if reason:
                case["resolutionDetails"]["reason"] = reason

    def _close(self, case: dict[str, Any], _: str | None) -> None:
        if case["status"] != CLOSED:
            case.update(status=CLOSED, updateTime=now())

    def _acknowledge(self, case: dict[str, Any], _: str | None) -> None:
        refused = {
            PENDING: "case is not active yet",
            RESOLVED: "case is resolved: a resolved case cannot be reopened",
            CLOSED: "case is closed",
        }
        if case["status"] in refused:
            raise CaseRefused(400, refused[case["status"]])
        if case["status"] != ACKNOWLEDGED:
            at = now()
            case.update(status=ACKNOWLEDGED, acknowledgeTime=at, updateTime=at)

    def _comment(self, case: dict[str, Any], text: str) -> dict[str, Any]:
        self.comments.setdefault(case["id"], []).append(text)
        at = now()
        event: dict[str, Any] = {"eventId": f"comment-{len(self.comments[case['id']])}-{case['id'][:8]}"}
        event |= {"createTime": at, "eventTime": at, "actor": {"apiKey": {"name": "fake key"}}}
        event["eventData"] = {"comment": {"unsafeText": text}}
        return {"event": event}

    def _list(self, body: dict[str, Any]) -> dict[str, Any]:
        """One page of the stored cases the filters match (statuses, priorities, title search, alerts, labels)."""
        filters = body.get("filters") or {}
        statuses, priorities = set(filters.get("statuses") or []), set(filters.get("priorities") or [])
        search = (filters.get("textSearch") or "").lower()
        alerts = set((filters.get("alertFilters") or {}).get("alertIds") or [])
        labels = [(g["key"], set(g["values"])) for g in filters.get("labels") or []]
        matching = [
            c
            for c in self.cases.values()
            if (not statuses or c["status"] in statuses)
            and (not priorities or c["priority"] in priorities)
            and search in c["title"].lower()
            and (not alerts or alerts & {i["alertId"] for i in c.get("caseIndicators", {}).get("alertIndicators", [])})
            and all(any(kv["key"] == k and kv["value"] in v for kv in c["labels"]) for k, v in labels)
        ]
        size = int(body.get("pagination", {}).get("pageSize", 100))
        start = int(body.get("pagination", {}).get("pageToken") or 0)
        pagination = {"nextPageToken": str(start + size)} if start + size < len(matching) else {}
        return {"cases": copied(matching[start : start + size]), "pagination": pagination}


def _error(status: int, message: str) -> dict[str, Any]:
    return {"code": status, "message": message}
