"""Contract tests: what the client sends and what the tests feed it match Coralogix's published OpenAPI specs.

Requests are captured at the transport and checked with openapi-core against the spec of their path
family (operation found by method and path, then path/query parameters, security header and JSON body
validated); the canned responses are checked against the 200 schema of the operation that returns them.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from openapi_core.testing import MockResponse

from bot.api import ApiVersion, CoralogixClient, IncidentFilter, IncidentSeverity, IncidentStatus
from bot.api.routes import REGION_HOSTS, Region, routes_for
from bot.services.incidents import IncidentService
from tests.fakes.coralogix import API_KEY, FakeCoralogix, load_fixture, make_incident
from tests.fakes.http import ClientFactory, coralogix_client, ok
from tests.fakes.openapi import CapturedRequest, Contract, strip_oneof_group_names, usable_spec
from tests.fakes.openapi import raw_spec as published

SPEC_FILES = {"lts": "incidents-lts.yaml", "v5": "incidents-v5.yaml"}
# Names the specs list as `required` although they are proto oneof group names, never JSON keys.
ONEOF_GROUP_NAMES = {
    "lts": {"originator", "incident_event_payload", "field"},
    "v5": {"originator", "incidentEventPayload", "field"},
}

IDS = ["7c2e4a61-9f3b-4d85-b1a7-0e6c8d2f4b93", "b5d7f9a1-3c5e-4708-9a2b-4c6e8f0a1b3d"]
ALERT_ID = "8a41e5c3-2f7d-4b9e-a0c6-5d13f7e92b48"

CALLS: dict[str, Callable[[CoralogixClient], Awaitable[Any]]] = {
    "resolve": lambda c: c.resolve_incidents(ids=IDS),
    "acknowledge": lambda c: c.acknowledge_incidents(ids=IDS),
    "get": lambda c: c.get_incident(id=IDS[0]),
    "batch_get": lambda c: c.batch_get_incidents(ids=IDS),
    "list": lambda c: c.list_incidents(
        filter=IncidentFilter(
            status=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
            severity=[IncidentSeverity.CRITICAL],
            contextual_labels={"alert_id": [ALERT_ID]},
            search="checkout",
            application_name=["checkout"],
        ),
        limit=10,
    ),
}
OPERATION_IDS = {
    "resolve": "IncidentsService_ResolveIncidents",
    "acknowledge": "IncidentsService_AcknowledgeIncidents",
    "get": "IncidentsService_GetIncident",
    "batch_get": "IncidentsService_BatchGetIncident",
    "list": "IncidentsService_ListIncidents",
}
# The canned 200 answers the tests feed the client, by the operation that returns them.
CANNED = {
    "resolve": ["resolve_incidents.json"],
    "acknowledge": ["resolve_incidents.json"],
    "get": ["get_incident.json"],
    "batch_get": ["batch_get_incidents.json"],
    "list": ["list_incidents_page1.json", "list_incidents_page2.json"],
}


# -- loading the specs ------------------------------------------------------------------------


def raw_spec(name: str) -> dict[str, Any]:
    """A spec file exactly as published."""
    return published(SPEC_FILES[name])


@functools.cache
def contract_for(version: ApiVersion) -> Contract:
    """The contract of a path family, with the oneof quirk stripped.

    v4 has no spec of its own here: its incident paths are identical to v5's (notes §2, §3), so it is
    checked against the v5 spec with the server URLs moved to /mgmt/openapi/4.
    """
    document = usable_spec(SPEC_FILES["lts" if version is ApiVersion.LTS else "v5"])
    if version is ApiVersion.V4:
        document["servers"] = [
            {"url": s["url"].replace("/mgmt/openapi/5", "/mgmt/openapi/4")} for s in document["servers"]
        ]
    return Contract(document)


def openapi_for(version: ApiVersion) -> Any:
    """openapi-core's validator for a path family (the spec itself is validated on the way)."""
    return contract_for(version).openapi


def operation_id(version: ApiVersion, request: httpx.Request) -> str | None:
    """The operationId whose path template and method match the request, after the family's base path."""
    return contract_for(version).operation_id(request)


def assert_request_valid(version: ApiVersion, request: httpx.Request) -> None:
    """The request matches an operation of its family's spec: method, path, parameters, security, body."""
    if problem := contract_for(version).request_problem(request):
        pytest.fail(f"({version.value}) {problem}")


def assert_response_valid(version: ApiVersion, request: httpx.Request, status: int, body: Any) -> None:
    """The answer validates against the schema the spec gives that operation for `status`."""
    if problem := contract_for(version).response_problem(request, status, body):
        pytest.fail(f"({version.value}) {problem}")


# -- the specs themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SPEC_FILES))
def test_only_oneof_group_names_are_stripped(name: str) -> None:
    """The quirk workaround removes exactly the known oneof group names and nothing a payload could carry."""
    document = copy.deepcopy(raw_spec(name))

    assert strip_oneof_group_names(document) == ONEOF_GROUP_NAMES[name]


@pytest.mark.parametrize(("name", "version"), [("lts", ApiVersion.LTS), ("v5", ApiVersion.V5)])
def test_spec_servers_match_region_hosts(name: str, version: ApiVersion) -> None:
    """Each spec server is a REGION_HOSTS host plus the family's base path; only US3 is absent from the spec."""
    base = routes_for(version).base
    servers = [urlsplit(s["url"]) for s in raw_spec(name)["servers"]]

    assert {s.path for s in servers} == {base}
    hosts = {f"{s.scheme}://{s.netloc}" for s in servers}
    assert hosts <= set(REGION_HOSTS.values())
    # Notes §11: US3 (api.us3.coralogix.com) is a real region the published server list leaves out.
    assert set(REGION_HOSTS.values()) - hosts == {REGION_HOSTS[Region.US3]}


# -- requests the client builds ---------------------------------------------------------------


@pytest.mark.parametrize("operation", list(CALLS))
@pytest.mark.parametrize("version", list(ApiVersion))
async def test_client_requests_match_the_spec(make_client: ClientFactory, version: ApiVersion, operation: str) -> None:
    """Every request the client builds is the right operation of its family's spec and validates against it."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return ok(load_fixture(CANNED[operation][-1]))

    await CALLS[operation](make_client(handler, version=version))

    assert requests
    for request in requests:
        assert operation_id(version, request) == OPERATION_IDS[operation]
        assert_request_valid(version, request)


def test_contract_check_rejects_a_wrong_request() -> None:
    """The harness is not vacuous: a wrong body key, a wrong path and a missing auth header all fail it."""
    openapi = openapi_for(ApiVersion.LTS)
    url = "https://api.coralogix.com/mgmt/openapi/v1/incidents:resolve"
    auth = {"Authorization": f"Bearer {API_KEY}"}

    bad_body = httpx.Request("POST", url, json={"ids": IDS}, headers=auth)
    bad_path = httpx.Request("POST", url.replace(":resolve", ":resolveAll"), json={"incidentIds": IDS}, headers=auth)
    no_auth = httpx.Request("POST", url, json={"incidentIds": IDS})
    for request in (bad_body, bad_path, no_auth):
        with pytest.raises(Exception):  # noqa: B017, PT011 - openapi-core raises a different class for each
            openapi.validate_request(CapturedRequest(request))


@pytest.mark.parametrize("version", [ApiVersion.LTS, ApiVersion.V5])
def test_contract_check_rejects_a_wrong_response(version: ApiVersion) -> None:
    """The harness is not vacuous for answers either: an undocumented enum value or a list for a map fails."""
    openapi = openapi_for(version)
    base = routes_for(version)
    auth = {"Authorization": f"Bearer {API_KEY}"}
    resolve = httpx.Request(
        "POST", f"https://api.coralogix.com{base.base}{base.resolve}", json={"incidentIds": IDS}, headers=auth
    )
    method, path = base.batch_get
    batch_get = httpx.Request(method, f"https://api.coralogix.com{base.base}{path}", params={"ids": IDS}, headers=auth)
    snoozed = load_fixture("resolve_incidents.json")
    snoozed["incidents"][0]["status"] = "INCIDENT_STATUS_SNOOZED"
    as_list = load_fixture("batch_get_incidents.json")
    as_list["incidents"] = list(as_list["incidents"].values())

    for request, body in ((resolve, snoozed), (batch_get, as_list)):
        with pytest.raises(Exception):  # noqa: B017, PT011 - openapi-core's InvalidData, checked loosely on purpose
            openapi.validate_response(CapturedRequest(request), MockResponse(json.dumps(body).encode()))


# -- responses the tests use ------------------------------------------------------------------


@pytest.mark.parametrize(("operation", "fixture"), [(op, name) for op, names in CANNED.items() for name in names])
@pytest.mark.parametrize("version", [ApiVersion.LTS, ApiVersion.V5])
async def test_canned_responses_match_the_spec(
    make_client: ClientFactory, version: ApiVersion, operation: str, fixture: str
) -> None:
    """Each canned 200 answer validates against the operation's 200 schema in both families."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return ok({"incidents": [], "pagination": {"totalSize": 0}} if operation == "list" else load_fixture(fixture))

    await CALLS[operation](make_client(handler, version=version))

    assert_response_valid(version, requests[0], 200, load_fixture(fixture))


@pytest.mark.parametrize("fixture", ["error_http.json", "error_grpc.json"])
def test_canned_error_bodies_match_rpc_status(fixture: str) -> None:
    """Both error shapes the tests use fit the legacy spec's `default` error schema (rpcStatus)."""
    request = httpx.Request(
        "POST",
        "https://api.coralogix.com/mgmt/openapi/v1/incidents:resolve",
        json={"incidentIds": IDS},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )

    assert_response_valid(ApiVersion.LTS, request, 403, load_fixture(fixture))


def assert_exchanges_valid(version: ApiVersion, fake: FakeCoralogix) -> None:
    """Every request the fake received, and its answer, fits the family's spec."""
    for call in fake.calls:
        assert call.response is not None
        assert_request_valid(version, call.request)
        assert_response_valid(version, call.request, call.response.status_code, call.response.json())


@pytest.mark.parametrize("version", list(ApiVersion))
async def test_fake_coralogix_speaks_the_contract(version: ApiVersion) -> None:
    """Everything exchanged with the service tests' fake (pre-check, resolve, read-back) fits the spec."""
    fake = FakeCoralogix(versions=(version,))
    fake.add(*IDS, "c0ffee00-0000-4000-8000-000000000003")
    fake.add(make_incident("c0ffee00-0000-4000-8000-000000000004", status="INCIDENT_STATUS_RESOLVED"))
    fake.unreported = {IDS[1]}
    ids = [*IDS, "c0ffee00-0000-4000-8000-000000000003", "c0ffee00-0000-4000-8000-000000000004", "unknown-id"]
    client = coralogix_client(fake.transport(), version=version)
    try:
        await IncidentService(client).resolve(ids)
    finally:
        await client.aclose()

    assert [c.operation for c in fake.calls] == ["batch_get", "resolve", "batch_get"]
    assert_exchanges_valid(version, fake)


@pytest.mark.parametrize("version", list(ApiVersion))
async def test_fake_coralogix_answers_every_operation_by_the_contract(version: ApiVersion) -> None:
    """The fake's answers to every operation the client calls (the e2e tests use them all) fit the spec."""
    fake = FakeCoralogix(versions=(version,))
    fake.add(*(make_incident(i, "Checkout latency p99 > 2s") for i in IDS))
    for incident in fake.incidents.values():
        incident["contextualLabels"]["alert_id"] = ALERT_ID  # so the list call's filter finds them
    client = coralogix_client(fake.transport(), version=version)
    try:
        for call in CALLS.values():
            await call(client)
    finally:
        await client.aclose()

    assert [c.operation for c in fake.calls] == list(CALLS)
    answers = [c.response.json() for c in fake.calls if c.response is not None and c.response.status_code == 200]
    assert len(answers) == len(CALLS)
    assert [i["id"] for i in answers[-1]["incidents"]] == IDS  # the list call found them: a page was checked too
    assert_exchanges_valid(version, fake)
