"""Contract tests for Cases: every request the Cases client builds, every canned Cases answer and every exchange
with the fake match cases-v5.yaml (checked with the incidents contract tests' validator, tests.fakes.openapi)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bot.api import CaseFilters, CasePriority, CasesClient, CaseStatus
from bot.api.case_models import CaseOrderBy
from bot.api.enums import CaseOrderByField
from bot.api.routes import CASES, REGION_HOSTS, Region
from tests.factories import uuid
from tests.fakes.cases import make_case
from tests.fakes.coralogix import API_KEY, ContractViolation, FakeCoralogix, load_fixture
from tests.fakes.http import CasesFactory, cases_client, ok
from tests.fakes.openapi import Contract, raw_spec, strip_oneof_group_names

SPEC = "cases-v5.yaml"
ID = "3f166e9f-3c88-4af2-b52e-138f339dab3e"
IDS = [ID, "b5d7f9a1-3c5e-4708-9a2b-4c6e8f0a1b3d"]
ALERT_ID = "8a41e5c3-2f7d-4b9e-a0c6-5d13f7e92b48"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
TOKEN = load_fixture("list_cases_page1.json")["pagination"]["nextPageToken"]
FILTERS = CaseFilters(
    statuses=[CaseStatus.ACTIVE, CaseStatus.ACKNOWLEDGED],
    priorities=[CasePriority.P1, CasePriority.P2],
    text_search="checkout",
    alert_ids=[ALERT_ID],
    labels={"team": ["payments"]},
)

# Every request the client builds: (call, operationId, the canned answers of that operation).
CALLS: dict[str, tuple[Callable[[CasesClient], Awaitable[Any]], str, list[str]]] = {
    "resolve_one": (
        lambda c: c.resolve_cases(ids=[ID], reason="r" * 500),
        "CasesService_ResolveCase",
        ["resolve_case.json"],
    ),
    "resolve_one_no_reason": (
        lambda c: c.resolve_case(id="CASE-123"),
        "CasesService_ResolveCase",
        ["resolve_case.json"],
    ),
    "resolve_bulk": (
        lambda c: c.resolve_cases(ids=[*IDS, "CASE-123"], reason="r" * 4096),
        "CasesService_BulkResolve",
        ["bulk_resolve_cases.json"],
    ),
    "close_one": (lambda c: c.close_cases(ids=["CASE-123"]), "CasesService_CloseCase", ["resolve_case.json"]),
    "close_bulk": (lambda c: c.close_cases(ids=IDS), "CasesService_BulkClose", ["bulk_resolve_cases.json"]),
    "acknowledge": (lambda c: c.acknowledge_cases(ids=[ID]), "CasesService_AcknowledgeCase", ["get_case.json"]),
    "get": (lambda c: c.get_cases(ids=[ID, "CASE-123"]), "CasesService_GetCase", ["get_case.json"]),
    "list": (
        lambda c: c.list_page(
            filters=FILTERS, order_by=CaseOrderBy(field=CaseOrderByField.CREATED_AT), page_size=50, page_token=TOKEN
        ),
        "CasesService_ListCases",
        ["list_cases_page1.json", "list_cases_page2.json"],
    ),
    "list_plain": (lambda c: c.list_cases(limit=5), "CasesService_ListCases", ["list_cases_page2.json"]),
    "comment": (
        lambda c: c.comment(case_id="CASE-123", text="Resolved from Slack by Dana: rolled back"),
        "CaseEventsService_CreateComment",
        ["case_comment.json"],
    ),
    "deep_links": (lambda c: c.deep_links(case_id=ID), "CasesService_GetCaseDeepLinks", ["case_deep_links.json"]),
}


def contract() -> Contract:
    """The Cases contract (the spec with the oneof quirk stripped)."""
    return Contract.of(SPEC)


def request(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Request:
    """A request to EU1's v5 base path."""
    url = f"{REGION_HOSTS[Region.EU1]}{CASES.base}{path}"
    return httpx.Request(method, url, json=body, headers=AUTH if headers is None else headers)


# -- the spec itself -----------------------------------------------------------------------------


def test_only_the_attachment_oneof_group_name_is_stripped() -> None:
    """The quirk workaround removes exactly the one oneof group name the Cases spec lists as required."""
    assert strip_oneof_group_names(copy.deepcopy(raw_spec(SPEC))) == {"attachment"}


def test_spec_servers_match_region_hosts() -> None:
    """Each spec server is a REGION_HOSTS host plus the Cases base path; only US3 is absent from the spec."""
    servers = [urlsplit(s["url"]) for s in raw_spec(SPEC)["servers"]]

    assert {s.path for s in servers} == {CASES.base}
    hosts = {f"{s.scheme}://{s.netloc}" for s in servers}
    assert set(REGION_HOSTS.values()) - hosts == {REGION_HOSTS[Region.US3]}


# -- requests the client builds ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CALLS))
async def test_client_requests_match_the_spec(make_cases_client: CasesFactory, name: str) -> None:
    """Every request the Cases client builds is the expected operation of the spec and validates against it."""
    call, operation, canned = CALLS[name]
    requests: list[httpx.Request] = []

    def handler(sent: httpx.Request) -> httpx.Response:
        requests.append(sent)
        return ok(load_fixture(canned[-1]))

    await call(make_cases_client(handler))

    assert requests
    for sent in requests:
        assert contract().operation_id(sent) == operation
        assert contract().request_problem(sent) is None


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("POST", "/cases/resolved/v1", {"incidentIds": IDS}, None),  # the incidents' body key
        ("POST", "/cases/resolved/v1", {"ids": IDS, "reason": "r" * 4097}, None),  # over the bulk limit
        ("POST", "/cases/resolved/v1", {"ids": [uuid(n) for n in range(1001)]}, None),  # over 1 000 ids
        ("POST", "/cases/resolved/v1", {"ids": IDS, "reason": ""}, None),  # an empty reason
        ("PUT", f"/cases/resolved/v1/{ID}", {"reason": "r" * 501}, None),  # over the single limit
        ("PUT", "/cases/resolved/v1/case-123", {}, None),  # a readable id in lower case
        ("POST", "/cases/acknowledged/v1", {"ids": IDS}, None),  # the bulk acknowledge without its actor
        ("POST", "/cases/cases/v1", {"pagination": {"pageSize": 1001}}, None),  # a page over 1 000
        ("GET", f"/cases/cases/v1/{ID}", None, {}),  # no API key
    ],
)
def test_contract_check_rejects_a_wrong_request(method: str, path: str, body: Any, headers: Any) -> None:
    """The check is not vacuous: each limit and shape the client keeps to is one the spec enforces."""
    assert contract().request_problem(request(method, path, body, headers)) is not None


def test_contract_check_rejects_a_wrong_response() -> None:
    """An undocumented status value, or a list where the spec has one case, fails the answer check."""
    get = request("GET", f"/cases/cases/v1/{ID}")
    snoozed = load_fixture("get_case.json")
    snoozed["case"]["status"] = "CASE_STATUS_SNOOZED"
    as_list = {"case": [load_fixture("case_active.json")]}

    for body in (snoozed, as_list):
        assert contract().response_problem(get, 200, body) is not None


# -- answers the tests use -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fixture"), [(name, f) for name, (_, _, files) in CALLS.items() for f in files])
async def test_canned_responses_match_the_spec(make_cases_client: CasesFactory, name: str, fixture: str) -> None:
    """Each canned 200 answer validates against the 200 schema of the operation that returns it."""
    requests: list[httpx.Request] = []

    def handler(sent: httpx.Request) -> httpx.Response:
        requests.append(sent)
        return ok(load_fixture(fixture))

    await CALLS[name][0](make_cases_client(handler))

    assert contract().response_problem(requests[0], 200, load_fixture(fixture)) is None


# -- the fake ------------------------------------------------------------------------------------


async def test_fake_answers_every_operation_by_the_contract() -> None:
    """The fake Cases answers each call the client makes with 200, and checked each exchange on the way."""
    fake = FakeCoralogix()
    fake.cases.add(make_case(ID, readable_id="CASE-123", alert_id=ALERT_ID, labels={"team": "payments"}))
    fake.cases.add(make_case(IDS[1], readable_id="CASE-124", priority="CASE_PRIORITY_P1", labels={"team": "search"}))
    # In lifecycle order (acknowledging a resolved case is refused); the list with the fixture's page token
    # is left out: that token is not one the fake handed out.
    order = ["acknowledge", "get", "list_plain", "comment", "deep_links", "resolve_one", "resolve_bulk", "close_bulk"]
    client = cases_client(fake.transport())
    try:
        assert [c.id for c in await client.list_cases(filters=FILTERS)] == [ID]  # the filters select
        for name in order:
            await CALLS[name][0](client)
    finally:
        await client.aclose()

    assert fake.violations == []
    assert all(c.response is not None and c.response.status_code == 200 for c in fake.calls)
    assert {c.operation for c in fake.calls} == {
        "case_resolve_one",
        "case_resolve",
        "case_close",
        "case_acknowledge",
        "case_get",
        "case_list",
        "case_comment",
        "case_deep_links",
    }


async def test_fake_fails_a_request_that_breaks_the_contract() -> None:
    """A Cases request the spec does not allow is raised into the caller and listed, never answered."""
    fake = FakeCoralogix()
    fake.cases.add(ID)
    async with httpx.AsyncClient(transport=fake.transport(), base_url=REGION_HOSTS[Region.EU1]) as http:
        with pytest.raises(ContractViolation, match="breaks the spec"):
            await http.put(f"{CASES.base}/cases/resolved/v1/{ID}", json={"reason": "r" * 501}, headers=AUTH)

    assert len(fake.violations) == 1 and fake.unexpected == fake.violations
    assert fake.cases.status_of(ID) == "CASE_STATUS_ACTIVE"
