"""CoralogixClient against a MockTransport: errors, retries, headers, routes, chunking and paging."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from bot import __version__
from bot.api import (
    ApiConnectionError,
    ApiResponseError,
    ApiStatusError,
    ApiTimeoutError,
    ApiVersion,
    AuthenticationError,
    BadRequestError,
    CoralogixClient,
    IncidentFilter,
    IncidentSeverity,
    IncidentStatus,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    gather_bounded,
)
from tests.factories import uuid
from tests.fakes.coralogix import API_KEY, load_fixture
from tests.fakes.http import ClientFactory, RecordingSleep, Script, ok

IDS = ["7c2e4a61-9f3b-4d85-b1a7-0e6c8d2f4b93", "b5d7f9a1-3c5e-4708-9a2b-4c6e8f0a1b3d"]
ONE_ID = IDS[0]
REQUEST_ID = "7f3a9c2e-req"

OPERATIONS = ["resolve", "acknowledge", "get", "batch_get", "list"]

CALLS: dict[str, Callable[[CoralogixClient], Awaitable[Any]]] = {
    "resolve": lambda c: c.resolve_incidents(ids=IDS),
    "acknowledge": lambda c: c.acknowledge_incidents(ids=IDS),
    "get": lambda c: c.get_incident(id=ONE_ID),
    "batch_get": lambda c: c.batch_get_incidents(ids=IDS),
    "list": lambda c: c.list_incidents(),
}

CANNED = {
    "resolve": "resolve_incidents.json",
    "acknowledge": "resolve_incidents.json",
    "get": "get_incident.json",
    "batch_get": "batch_get_incidents.json",
    "list": "list_incidents_page2.json",
}

STATUS_ERRORS: list[tuple[int, type[ApiStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
]
# grpc-gateway puts the gRPC code, not the HTTP status, in `code`.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 429: 8, 500: 13, 502: 14, 503: 14}


def error_json(shape: str, status: int, message: str) -> dict[str, Any]:
    """Coralogix's error body in one of its two published shapes."""
    if shape == "http":
        return {**load_fixture("error_http.json"), "code": status, "message": message}
    return {**load_fixture("error_grpc.json"), "code": GRPC_CODES[status], "message": message}


def error_response(status: int, message: str = "boom", **headers: str) -> httpx.Response:
    """A non-2xx answer in the newer error shape, with a request id."""
    return httpx.Response(
        status, json=error_json("http", status, message), headers={"x-request-id": REQUEST_ID, **headers}
    )


def body_of(request: httpx.Request) -> Any:
    """The JSON body of a captured request, or None when it has none."""
    return json.loads(request.content) if request.content else None


# -- status errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["http", "grpc-gateway"])
@pytest.mark.parametrize(("status", "error_class"), STATUS_ERRORS)
async def test_status_maps_to_typed_error(
    make_client: ClientFactory, status: int, error_class: type[ApiStatusError], shape: str
) -> None:
    """Each non-2xx status raises its own class carrying the status, Coralogix's message and the request id."""
    message = f"coralogix refused this ({status})"
    client = make_client(
        Script([httpx.Response(status, json=error_json(shape, status, message), headers={"x-request-id": REQUEST_ID})])
    )

    with pytest.raises(ApiStatusError) as caught:
        await client.resolve_incidents(ids=IDS)

    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.api_message == message
    assert error.request_id == REQUEST_ID
    assert error.operation == "resolve"
    assert message in error.message
    assert REQUEST_ID in error.message


async def test_error_without_json_body_keeps_the_text(make_client: ClientFactory) -> None:
    """A proxy's plain-text 502 page still yields a ServerError with that text as the API message."""
    client = make_client(Script([httpx.Response(502, text="  Bad Gateway from upstream  ")]))

    with pytest.raises(ServerError) as caught:
        await client.resolve_incidents(ids=IDS)

    assert caught.value.api_message == "Bad Gateway from upstream"
    assert caught.value.request_id is None


async def test_401_message_names_the_api_key(make_client: ClientFactory) -> None:
    """A 401 tells the reader to check CORALOGIX_API_KEY (and the region it belongs to)."""
    client = make_client(Script([error_response(401, "invalid token")]))

    with pytest.raises(AuthenticationError) as caught:
        await client.resolve_incidents(ids=IDS)

    assert "CORALOGIX_API_KEY" in caught.value.message
    assert "CORALOGIX_REGION" in caught.value.message


@pytest.mark.parametrize(
    ("operation", "permission"),
    [
        ("resolve", "incidents:close"),
        ("acknowledge", "incidents:acknowledge"),
        ("get", "incidents:read"),
        ("batch_get", "incidents:read"),
        ("list", "incidents:read"),
    ],
)
async def test_403_message_names_the_permission(make_client: ClientFactory, operation: str, permission: str) -> None:
    """A 403 names the permission the operation needs; only acknowledge adds the personal-key note."""
    client = make_client(Script([error_response(403, "forbidden")]))

    with pytest.raises(PermissionDeniedError) as caught:
        await CALLS[operation](client)

    assert f"`{permission}`" in caught.value.message
    assert ("personal" in caught.value.message) == (operation == "acknowledge")


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_404_message_hints_at_the_region(make_client: ClientFactory, operation: str) -> None:
    """A 404 on any operation suggests a wrong region, API URL or path family."""
    client = make_client(Script([error_response(404, "Not Found")]))

    with pytest.raises(NotFoundError) as caught:
        await CALLS[operation](client)

    assert "CORALOGIX_REGION" in caught.value.message
    assert "CORALOGIX_API_VERSION" in caught.value.message


@pytest.mark.parametrize(
    "answer",
    [
        *(lambda status=s: error_response(status, "nope") for s, _ in STATUS_ERRORS),
        lambda: httpx.ConnectError("connection refused"),
        lambda: httpx.ReadTimeout("timed out"),
    ],
    ids=[*(str(s) for s, _ in STATUS_ERRORS), "connect", "timeout"],
)
async def test_api_key_never_leaks(make_client: ClientFactory, answer: Callable[[], Any]) -> None:
    """Neither an error's message nor its repr, nor the client's repr, contains the API key."""
    client = make_client(Script([answer()]))

    with pytest.raises(Exception) as caught:  # noqa: PT011 - every failure kind is checked the same way
        await client.resolve_incidents(ids=IDS)

    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)
    assert API_KEY not in repr(client)
    assert API_KEY not in str(client)


async def test_connection_error_maps_to_api_connection_error(make_client: ClientFactory) -> None:
    """A refused connection becomes ApiConnectionError (not a timeout), naming the host, from the httpx cause."""
    client = make_client(Script([httpx.ConnectError("connection refused")]))

    with pytest.raises(ApiConnectionError) as caught:
        await client.resolve_incidents(ids=IDS)

    assert not isinstance(caught.value, ApiTimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "api.coralogix.com" in caught.value.message


@pytest.mark.parametrize("cause", [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out")])
async def test_timeout_maps_to_api_timeout_error(make_client: ClientFactory, cause: httpx.TimeoutException) -> None:
    """A read or connect timeout becomes ApiTimeoutError, itself an ApiConnectionError."""
    client = make_client(Script([cause]))

    with pytest.raises(ApiTimeoutError) as caught:
        await client.resolve_incidents(ids=IDS)

    assert isinstance(caught.value, ApiConnectionError)
    assert caught.value.__cause__ is cause


@pytest.mark.parametrize("body", [b"<html>OK</html>", b'{"incidents": "not a list"}'])
async def test_unreadable_success_body_raises_api_response_error(make_client: ClientFactory, body: bytes) -> None:
    """A 200 whose body is not the promised JSON raises ApiResponseError, not a pydantic error."""
    client = make_client(Script([httpx.Response(200, content=body)]))

    with pytest.raises(ApiResponseError):
        await client.resolve_incidents(ids=IDS)


# -- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        lambda: httpx.ConnectError("connection reset"),
        lambda: httpx.ReadTimeout("timed out"),
        lambda: error_response(429),
        lambda: error_response(500),
        lambda: error_response(502),
        lambda: error_response(503),
    ],
    ids=["connect", "timeout", "429", "500", "502", "503"],
)
async def test_transient_failures_are_retried(
    make_client: ClientFactory, sleep: RecordingSleep, failure: Callable[[], Any]
) -> None:
    """Connection errors, timeouts, 429 and 5xx are retried after a (fake) wait, and the retry succeeds."""
    script = Script([failure(), ok(load_fixture("resolve_incidents.json"))])
    client = make_client(script, retry=RetryPolicy(max_attempts=3))

    incidents = await client.resolve_incidents(ids=IDS)

    assert [i.id for i in incidents] == [ONE_ID]
    assert len(script.requests) == 2
    assert len(sleep.calls) == 1


@pytest.mark.parametrize(("status", "error_class"), STATUS_ERRORS[:4])
async def test_client_errors_are_not_retried(
    make_client: ClientFactory, sleep: RecordingSleep, status: int, error_class: type[ApiStatusError]
) -> None:
    """400, 401, 403 and 404 fail at once: one request, no wait."""
    script = Script([error_response(status), ok(load_fixture("resolve_incidents.json"))])
    client = make_client(script, retry=RetryPolicy(max_attempts=4))

    with pytest.raises(error_class):
        await client.resolve_incidents(ids=IDS)

    assert len(script.requests) == 1
    assert sleep.calls == []


async def test_retries_are_bounded_by_max_attempts(make_client: ClientFactory, sleep: RecordingSleep) -> None:
    """A Coralogix that keeps failing is tried max_attempts times, then the last error is raised."""
    script = Script([error_response(503)])
    client = make_client(script, retry=RetryPolicy(max_attempts=3, initial_backoff=1.0, max_backoff=1.5))

    with pytest.raises(ServerError):
        await client.resolve_incidents(ids=IDS)

    assert len(script.requests) == 3
    assert len(sleep.calls) == 2
    assert all(0 <= s <= 1.5 for s in sleep.calls)


async def test_retry_off_means_one_attempt(make_client: ClientFactory, sleep: RecordingSleep) -> None:
    """RetryPolicy.off() sends exactly one request even for a retryable failure."""
    script = Script([error_response(503)])
    client = make_client(script, retry=RetryPolicy.off())

    with pytest.raises(ServerError):
        await client.resolve_incidents(ids=IDS)

    assert len(script.requests) == 1
    assert sleep.calls == []


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds_is_honoured(make_client: ClientFactory, sleep: RecordingSleep, status: int) -> None:
    """The wait before the retry is at least the Retry-After Coralogix sent."""
    script = Script([error_response(status, **{"Retry-After": "7"}), ok(load_fixture("resolve_incidents.json"))])
    client = make_client(script, retry=RetryPolicy(max_attempts=2))

    await client.resolve_incidents(ids=IDS)

    assert len(sleep.calls) == 1
    assert sleep.calls[0] >= 7


async def test_retry_after_longer_than_allowed_stops_at_once(make_client: ClientFactory, sleep: RecordingSleep) -> None:
    """A Retry-After beyond max_retry_after is honoured by not retrying early: one call, a message with the wait."""
    script = Script([error_response(429, **{"Retry-After": "3600"}), ok(load_fixture("resolve_incidents.json"))])
    client = make_client(script, retry=RetryPolicy(max_attempts=2, max_retry_after=5.0))

    with pytest.raises(RateLimitError, match="wait 3600 s"):
        await client.resolve_incidents(ids=IDS)

    assert sleep.calls == []
    assert len(script.requests) == 1


async def test_retry_after_http_date_is_honoured(make_client: ClientFactory, sleep: RecordingSleep) -> None:
    """Retry-After given as an HTTP date counts from the response's Date header."""
    now = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
    headers = {
        "Retry-After": format_datetime(now + timedelta(seconds=12), usegmt=True),
        "Date": format_datetime(now, usegmt=True),
    }
    script = Script([error_response(503, **headers), ok(load_fixture("resolve_incidents.json"))])
    client = make_client(script, retry=RetryPolicy(max_attempts=2))

    await client.resolve_incidents(ids=IDS)

    assert sleep.calls[0] >= 12


async def test_rate_limit_error_carries_retry_after(make_client: ClientFactory) -> None:
    """When retries are exhausted the RateLimitError still says how long Coralogix asked to wait."""
    client = make_client(Script([error_response(429, **{"Retry-After": "30"})]))

    with pytest.raises(RateLimitError) as caught:
        await client.resolve_incidents(ids=IDS)

    assert caught.value.retry_after == 30.0


# -- headers ----------------------------------------------------------------------------------


async def test_every_request_carries_auth_and_user_agent(make_client: ClientFactory) -> None:
    """Every operation sends `Authorization: Bearer <key>` and a User-Agent naming the bot and its version."""
    requests: list[httpx.Request] = []
    for operation in OPERATIONS:
        script = Script([ok(load_fixture(CANNED[operation]))])
        await CALLS[operation](make_client(script))
        requests.extend(script.requests)

    assert len(requests) == len(OPERATIONS)
    for request in requests:
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        assert "coralogix-resolve-bot" in request.headers["User-Agent"]
        assert __version__ in request.headers["User-Agent"]


# -- routes -----------------------------------------------------------------------------------


def _versioned(version: str) -> dict[str, tuple[str, str]]:
    base = f"/mgmt/openapi/{version}/incidents/incidents/v1"
    return {
        "resolve": ("POST", f"{base}/all/resolve"),
        "acknowledge": ("POST", f"{base}/all/acknowledge"),
        "get": ("GET", f"{base}/{ONE_ID}"),
        "batch_get": ("GET", base),
        "list": ("POST", base),
    }


EXPECTED_ROUTES: dict[ApiVersion, dict[str, tuple[str, str]]] = {
    ApiVersion.LTS: {
        "resolve": ("POST", "/mgmt/openapi/v1/incidents:resolve"),
        "acknowledge": ("POST", "/mgmt/openapi/v1/incidents:acknowledge"),
        "get": ("GET", f"/mgmt/openapi/v1/incidents/{ONE_ID}"),
        "batch_get": ("POST", "/mgmt/openapi/v1/incidents:batchGet"),
        "list": ("POST", "/mgmt/openapi/v1/incidents"),
    },
    ApiVersion.V5: _versioned("5"),
    ApiVersion.V4: _versioned("4"),
}

EXPECTED_BODIES: dict[str, Any] = {
    "resolve": {"incidentIds": IDS},
    "acknowledge": {"incidentIds": IDS},
    "get": None,
    "batch_get": None,
    "list": {"pagination": {"pageSize": 100}},
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("version", list(ApiVersion))
async def test_operation_route_and_body(make_client: ClientFactory, version: ApiVersion, operation: str) -> None:
    """Each operation uses its family's method, path and body; batch-get sends its ids as `ids=a&ids=b`."""
    script = Script([ok(load_fixture(CANNED[operation]))])
    client = make_client(script, version=version)

    await CALLS[operation](client)

    [request] = script.requests
    assert request.url.host == "api.coralogix.com"
    assert (request.method, request.url.path) == EXPECTED_ROUTES[version][operation]
    assert body_of(request) == EXPECTED_BODIES[operation]
    expected_query = "&".join(f"ids={i}" for i in IDS) if operation == "batch_get" else ""
    assert request.url.query.decode() == expected_query


async def test_get_incident_escapes_the_id(make_client: ClientFactory) -> None:
    """An id with URL syntax in it stays one path segment instead of changing the route."""
    script = Script([ok(load_fixture("get_incident.json"))])
    client = make_client(script)

    await client.get_incident(id="../incidents:resolve?x=1")

    assert script.requests[0].url.raw_path == b"/mgmt/openapi/v1/incidents/..%2Fincidents%3Aresolve%3Fx%3D1"


async def test_get_incident_returns_the_incident(make_client: ClientFactory) -> None:
    """get_incident unwraps `{"incident": ...}` into an Incident."""
    client = make_client(Script([ok(load_fixture("get_incident.json"))]))

    incident = await client.get_incident(id="3f6d2a1e-8c4b-4e0f-9a57-1b2c3d4e5f60")

    assert incident.id == "3f6d2a1e-8c4b-4e0f-9a57-1b2c3d4e5f60"
    assert incident.is_resolved


@pytest.mark.parametrize("version", [ApiVersion.LTS, ApiVersion.V5])
async def test_batch_get_chunks_ids_by_100(make_client: ClientFactory, version: ApiVersion) -> None:
    """250 ids go out as 100 + 100 + 50 in the query string, and the answers are merged."""
    ids = [uuid(n) for n in range(250)]
    missing = {ids[7], ids[150], ids[249]}
    template = load_fixture("incident_triggered.json")
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        asked = request.url.params.get_list("ids")
        return ok(
            {
                "incidents": {i: {**template, "id": i} for i in asked if i not in missing},
                "notFoundIds": [i for i in asked if i in missing],
            }
        )

    client = make_client(handler, version=version)

    answer = await client.batch_get_incidents(ids=ids)

    assert sorted(len(r.url.params.get_list("ids")) for r in requests) == [50, 100, 100]
    assert sorted(i for r in requests for i in r.url.params.get_list("ids")) == sorted(ids)
    assert all(r.content == b"" for r in requests)
    assert set(answer.incidents) == set(ids) - missing
    assert sorted(answer.not_found_ids) == sorted(missing)


async def test_batch_get_of_nothing_sends_nothing(make_client: ClientFactory) -> None:
    """No ids, no request."""
    script = Script([ok(load_fixture("batch_get_incidents.json"))])
    client = make_client(script)

    answer = await client.batch_get_incidents(ids=[])

    assert script.requests == []
    assert answer.incidents == {}
    assert answer.not_found_ids == []


# -- list -------------------------------------------------------------------------------------


async def test_list_follows_next_page_token_to_the_end(make_client: ClientFactory) -> None:
    """list_incidents asks again with pageToken = nextPageToken until no token comes back."""
    page1, page2 = load_fixture("list_incidents_page1.json"), load_fixture("list_incidents_page2.json")
    script = Script([ok(page1), ok(page2)])
    client = make_client(script)

    incidents = await client.list_incidents()

    assert [i.id for i in incidents] == [i["id"] for i in page1["incidents"] + page2["incidents"]]
    bodies = [body_of(r) for r in script.requests]
    assert bodies == [
        {"pagination": {"pageSize": 100}},
        {"pagination": {"pageSize": 100, "pageToken": page1["pagination"]["nextPageToken"]}},
    ]


async def test_list_stops_at_limit(make_client: ClientFactory) -> None:
    """With more pages available, list_incidents asks only for what is left and returns exactly `limit`."""
    script = Script([ok(load_fixture("list_incidents_page1.json"))])  # always 2 incidents and a next token
    client = make_client(script)

    incidents = await client.list_incidents(limit=3)

    assert len(incidents) == 3
    assert [body_of(r)["pagination"]["pageSize"] for r in script.requests] == [3, 1]


async def test_list_stops_on_an_empty_page(make_client: ClientFactory) -> None:
    """An empty page ends the listing even if Coralogix still sends a token (no endless loop)."""
    script = Script([ok({"incidents": [], "pagination": {"totalSize": 0, "nextPageToken": "again"}})])
    client = make_client(script)

    assert await client.list_incidents() == []
    assert len(script.requests) == 1


async def test_list_filter_wire_shape(make_client: ClientFactory) -> None:
    """The filter goes out as the spec's IncidentQueryFilter JSON: enum names, wrapped labels, searchQuery."""
    script = Script([ok(load_fixture("list_incidents_page2.json"))])
    client = make_client(script)
    alert_id = "8a41e5c3-2f7d-4b9e-a0c6-5d13f7e92b48"

    await client.list_incidents(
        filter=IncidentFilter(
            status=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
            severity=[IncidentSeverity.CRITICAL],
            contextual_labels={"alert_id": [alert_id]},
            search="checkout",
        ),
        limit=50,
    )

    assert body_of(script.requests[0]) == {
        "filter": {
            "status": ["INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATUS_ACKNOWLEDGED"],
            "severity": ["INCIDENT_SEVERITY_CRITICAL"],
            "contextualLabels": {"alert_id": {"contextualLabelValues": [alert_id]}},
            "searchQuery": {"query": "checkout", "incidentField": "INCIDENTS_FIELDS_NAME"},
        },
        "pagination": {"pageSize": 50},
    }


async def test_key_echoed_by_coralogix_is_redacted(make_client) -> None:
    """If Coralogix's error message echoes the API key, the typed error carries it redacted."""
    echo = httpx.Response(401, json={"code": 16, "message": f"invalid key {API_KEY}"})
    client = make_client(lambda request: echo)
    with pytest.raises(AuthenticationError) as caught:
        await client.resolve_incidents(ids=[ONE_ID])
    assert API_KEY not in caught.value.message
    assert API_KEY not in (caught.value.api_message or "")
    assert "[redacted]" in caught.value.message


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ConnectTimeout("slow"), "connect to Coralogix within 5 s"),
        (httpx.ReadTimeout("slow"), "did not answer within 10 s"),
        (httpx.PoolTimeout("busy"), "too many Coralogix calls in flight"),
    ],
)
async def test_timeout_messages_name_the_wait_that_ran_out(make_client, error, words) -> None:
    """Connect, read and pool timeouts each say which limit was hit."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    client = make_client(handler)
    with pytest.raises(ApiTimeoutError, match=words):
        await client.get_incident(id=ONE_ID)


async def test_a_cancelled_bounded_gather_leaves_no_coroutine_never_awaited() -> None:
    """Cancelled with most calls still queued (a shutdown), gather_bounded closes those that never started."""
    started = asyncio.Event()

    async def call(n: int) -> int:
        started.set()
        await asyncio.Event().wait()  # a call that does not end before the shutdown
        return n

    calls = [call(n) for n in range(100)]
    task = asyncio.create_task(gather_bounded(calls, limit=2))
    await started.wait()
    task.cancel()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(asyncio.CancelledError):
            await task
        del calls
        gc.collect()
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []
