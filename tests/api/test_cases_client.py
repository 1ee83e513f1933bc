"""CasesClient against a MockTransport: routes and bodies, chunks, reason limits, errors, retries, reads, lists."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from bot.api import (
    ApiStatusError,
    AuthenticationError,
    BadRequestError,
    CaseFilters,
    CasePriority,
    CasesClient,
    CaseStatus,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from bot.api.case_models import CaseOrderBy
from bot.api.enums import CaseOrderByField
from tests.factories import uuid
from tests.fakes.coralogix import API_KEY, load_fixture
from tests.fakes.http import CasesFactory, RecordingSleep, Script, ok

ID = "3f166e9f-3c88-4af2-b52e-138f339dab3e"
IDS = [ID, "b5d7f9a1-3c5e-4708-9a2b-4c6e8f0a1b3d"]
BASE = "/mgmt/openapi/5/cases"
ALERT_ID = "8a41e5c3-2f7d-4b9e-a0c6-5d13f7e92b48"

# operation → (call, canned answer, expected method, path and body)
CALLS: dict[str, tuple[Callable[[CasesClient], Awaitable[Any]], str, str, str, Any]] = {
    "resolve_one": (
        lambda c: c.resolve_cases(ids=[ID], reason="rolled back"),
        "resolve_case.json",
        "PUT",
        f"{BASE}/resolved/v1/{ID}",
        {"reason": "rolled back"},
    ),
    "resolve_bulk": (
        lambda c: c.resolve_cases(ids=IDS, reason="rolled back"),
        "bulk_resolve_cases.json",
        "POST",
        f"{BASE}/resolved/v1",
        {"ids": IDS, "reason": "rolled back"},
    ),
    "close_one": (lambda c: c.close_cases(ids=[ID]), "resolve_case.json", "POST", f"{BASE}/closed/v1/{ID}", None),
    "close_bulk": (
        lambda c: c.close_cases(ids=IDS),
        "bulk_resolve_cases.json",
        "POST",
        f"{BASE}/closed/v1",
        {"ids": IDS},
    ),
    "acknowledge": (lambda c: c.acknowledge_case(id=ID), "get_case.json", "PUT", f"{BASE}/acknowledged/v1/{ID}", None),
    "get": (lambda c: c.get_case(id="CASE-123"), "get_case.json", "GET", f"{BASE}/cases/v1/CASE-123", None),
    "list": (
        lambda c: c.list_cases(),
        "list_cases_page2.json",
        "POST",
        f"{BASE}/cases/v1",
        {"pagination": {"pageSize": 100}},
    ),
    "comment": (
        lambda c: c.comment(case_id=ID, text="Resolved from Slack by Dana"),
        "case_comment.json",
        "POST",
        f"{BASE}/cases/v1/{ID}/comments",
        {"text": "Resolved from Slack by Dana"},
    ),
    "deep_links": (
        lambda c: c.deep_links(case_id=ID),
        "case_deep_links.json",
        "GET",
        f"{BASE}/cases/v1/{ID}/deep-links",
        None,
    ),
}
STATUS_ERRORS: list[tuple[int, type[ApiStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (429, RateLimitError),
    (500, ServerError),
    (503, ServerError),
]


def body_of(request: httpx.Request) -> Any:
    """The JSON body of a captured request, or None when it has none."""
    return json.loads(request.content) if request.content else None


def error_response(status: int, message: str = "boom") -> httpx.Response:
    """A non-2xx answer in Coralogix's newer error shape."""
    return httpx.Response(status, json={"code": status, "message": message}, headers={"x-request-id": "req-7"})


def echo_cases(request: httpx.Request) -> httpx.Response:
    """A bulk answer that returns every asked id as a resolved case."""
    template = load_fixture("case_resolved.json")
    asked = body_of(request)["ids"]
    return ok({"cases": [{**template, "id": i, "readableId": f"CASE-{n}"} for n, i in enumerate(asked)]})


# -- routes and bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("operation", list(CALLS))
async def test_operation_route_and_body(make_cases_client: CasesFactory, operation: str) -> None:
    """Each operation uses the spec's method, v5 path and body, on the region's host with the Bearer key."""
    call, canned, method, path, body = CALLS[operation]
    script = Script([ok(load_fixture(canned))])

    await call(make_cases_client(script))

    [request] = script.requests
    assert request.url.host == "api.coralogix.com"
    assert (request.method, request.url.path) == (method, path)
    assert body_of(request) == body
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"


async def test_case_id_stays_one_path_segment(make_cases_client: CasesFactory) -> None:
    """An id with URL syntax in it is escaped instead of changing the route."""
    script = Script([ok(load_fixture("get_case.json"))])

    await make_cases_client(script).get_case(id="../resolved/v1?x=1")

    assert script.requests[0].url.raw_path == b"/mgmt/openapi/5/cases/cases/v1/..%2Fresolved%2Fv1%3Fx%3D1"


# -- chunks and reasons ------------------------------------------------------------------------


async def test_1500_ids_resolve_in_two_calls(make_cases_client: CasesFactory) -> None:
    """1 500 ids go out as two bulk calls (1 000 + 500), each with the reason, and every id comes back."""
    ids = [uuid(n) for n in range(1500)]
    script = Script([echo_cases])

    answers = await make_cases_client(script).resolve_cases(ids=ids, reason="maintenance window")

    assert len(script.requests) == 2
    assert sorted(len(body_of(r)["ids"]) for r in script.requests) == [500, 1000]
    assert sorted(i for r in script.requests for i in body_of(r)["ids"]) == sorted(ids)
    assert {body_of(r)["reason"] for r in script.requests} == {"maintenance window"}
    assert [len(a.ids) for a in answers] == [1000, 500]
    assert all(a.error is None and len(a.cases) == len(a.ids) for a in answers)


async def test_reason_longer_than_the_single_limit_goes_through_the_bulk_call(make_cases_client: CasesFactory) -> None:
    """One case with a 600-character reason is resolved by the bulk call (4 096 allowed), the reason intact."""
    reason = "Rolled back 4.2.1; " + "x" * 581
    script = Script([echo_cases])

    [answer] = await make_cases_client(script).resolve_cases(ids=[ID], reason=reason)

    [request] = script.requests
    assert (request.method, request.url.path) == ("POST", f"{BASE}/resolved/v1")
    assert body_of(request) == {"ids": [ID], "reason": reason}
    assert len(reason) == 600 and answer.case_for(ID) is not None


@pytest.mark.parametrize(("reason", "single"), [(None, True), ("x" * 500, True), ("x" * 501, False)])
async def test_one_case_uses_the_single_call_while_its_reason_fits(
    make_cases_client: CasesFactory, reason: str | None, single: bool
) -> None:
    """Up to 500 characters (or none) one case goes through the single PUT; from 501 through the bulk call."""
    script = Script([ok(load_fixture("resolve_case.json")) if single else echo_cases])

    await make_cases_client(script).resolve_cases(ids=[ID], reason=reason)

    assert script.requests[0].method == ("PUT" if single else "POST")


async def test_reason_over_the_bulk_limit_is_refused_before_any_call(make_cases_client: CasesFactory) -> None:
    """A reason Coralogix would reject (over 4 096 characters) never leaves the bot; the single call takes 500."""
    script = Script([echo_cases])
    client = make_cases_client(script)

    with pytest.raises(ValueError, match="4096"):
        await client.resolve_cases(ids=IDS, reason="x" * 4097)
    with pytest.raises(ValueError, match="500"):
        await client.resolve_case(id=ID, reason="x" * 501)

    assert script.requests == []


async def test_empty_reason_is_left_out(make_cases_client: CasesFactory) -> None:
    """The spec wants a reason of at least one character: an empty one is not sent at all."""
    script = Script([echo_cases])

    await make_cases_client(script).resolve_cases(ids=IDS, reason="")

    assert body_of(script.requests[0]) == {"ids": IDS}


async def test_each_bulk_call_keeps_its_own_error(make_cases_client: CasesFactory) -> None:
    """When one of two calls fails, its answer carries the typed error and the other its cases."""
    ids = [uuid(n) for n in range(1500)]

    def handler(request: httpx.Request) -> httpx.Response:
        return error_response(500) if len(body_of(request)["ids"]) == 500 else echo_cases(request)

    answers = await make_cases_client(handler).resolve_cases(ids=ids)

    assert isinstance(answers[1].error, ServerError) and answers[1].cases == []
    assert answers[0].error is None and len(answers[0].cases) == 1000


async def test_acknowledge_is_one_put_per_case(make_cases_client: CasesFactory) -> None:
    """Acknowledging many cases sends one PUT each (the bulk form needs a Coralogix user as actor)."""
    script = Script([ok(load_fixture("get_case.json"))])

    answers = await make_cases_client(script).acknowledge_cases(ids=IDS)

    assert [(r.method, r.url.path) for r in script.requests] == [("PUT", f"{BASE}/acknowledged/v1/{i}") for i in IDS]
    assert [a.ids for a in answers] == [(IDS[0],), (IDS[1],)]


# -- errors and retries ------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error_class"), STATUS_ERRORS)
async def test_status_maps_to_typed_error(
    make_cases_client: CasesFactory, status: int, error_class: type[ApiStatusError]
) -> None:
    """Each non-2xx status raises the incidents client's typed error, with Coralogix's message and request id."""
    client = make_cases_client(Script([error_response(status, "nope")]))

    with pytest.raises(ApiStatusError) as caught:
        await client.get_case(id=ID)

    assert type(caught.value) is error_class
    assert caught.value.operation == "case_get"
    assert "nope" in caught.value.message and "req-7" in caught.value.message
    assert API_KEY not in caught.value.message


@pytest.mark.parametrize(
    ("operation", "permission"),
    [
        ("resolve_bulk", "case:Close"),
        ("close_one", "case:Close"),
        ("acknowledge", "case:Acknowledge"),
        ("get", "case:Read"),
        ("list", "case:Read"),
        ("comment", "case:Comment"),
        ("deep_links", "case:Read"),
    ],
)
async def test_403_names_the_case_permission(make_cases_client: CasesFactory, operation: str, permission: str) -> None:
    """A 403 names the case permission the operation needs and says Cases ship no preset."""
    call = CALLS[operation][0]
    client = make_cases_client(Script([error_response(403)]))

    try:
        answer = await call(client)
    except PermissionDeniedError as error:
        message = error.message
    else:  # the bulk operations keep the error with their call
        message = answer[0].error.message
    assert f"`{permission}`" in message
    assert "no preset" in message and "Incidents" not in message


async def test_404_speaks_of_a_case(make_cases_client: CasesFactory) -> None:
    """A 404 says the case does not exist here (or the region is wrong), not the incidents' path family."""
    with pytest.raises(NotFoundError) as caught:
        await make_cases_client(Script([error_response(404)])).get_case(id=ID)

    assert "the case does not exist" in caught.value.message
    assert "CORALOGIX_API_VERSION" not in caught.value.message


@pytest.mark.parametrize("failure", [429, 500, 502, 503])
async def test_transient_failures_are_retried(
    make_cases_client: CasesFactory, sleep: RecordingSleep, failure: int
) -> None:
    """429 and 5xx are retried after a (fake) wait, as for incidents, and the retry's answer is used."""
    script = Script([error_response(failure), echo_cases])

    [answer] = await make_cases_client(script, retry=RetryPolicy(max_attempts=3)).resolve_cases(ids=IDS)

    assert answer.error is None and len(answer.cases) == 2
    assert len(script.requests) == 2 and len(sleep.calls) == 1


@pytest.mark.parametrize("failure", [500, 503])
async def test_a_comment_is_not_repeated_after_a_5xx(
    make_cases_client: CasesFactory, sleep: RecordingSleep, failure: int
) -> None:
    """A comment that got a 5xx may have been written: it is not sent again, so the timeline never shows it twice."""
    script = Script([error_response(failure), ok(load_fixture("case_comment.json"))])

    with pytest.raises(ServerError):
        await make_cases_client(script, retry=RetryPolicy(max_attempts=3)).comment(
            case_id=ID, text="Resolved from Slack"
        )

    assert len(script.requests) == 1 and sleep.calls == []


async def test_a_throttled_comment_is_sent_again(make_cases_client: CasesFactory, sleep: RecordingSleep) -> None:
    """A 429 means Coralogix did not write the comment: it is sent again after the wait."""
    script = Script([error_response(429), ok(load_fixture("case_comment.json"))])

    await make_cases_client(script, retry=RetryPolicy(max_attempts=3)).comment(case_id=ID, text="Resolved from Slack")

    assert len(script.requests) == 2 and len(sleep.calls) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_are_not_retried(
    make_cases_client: CasesFactory, sleep: RecordingSleep, status: int
) -> None:
    """400, 401, 403 and 404 fail at once: one request, no wait."""
    script = Script([error_response(status), ok(load_fixture("get_case.json"))])

    with pytest.raises(ApiStatusError):
        await make_cases_client(script, retry=RetryPolicy(max_attempts=4)).get_case(id=ID)

    assert len(script.requests) == 1 and sleep.calls == []


async def test_api_key_never_in_repr(make_cases_client: CasesFactory) -> None:
    """The client's repr names its base URL, never the key."""
    client = make_cases_client(Script([]))

    assert repr(client) == "CasesClient(base_url='https://api.coralogix.com/mgmt/openapi/5/')"
    assert API_KEY not in repr(client)


# -- reads and lists ---------------------------------------------------------------------------


async def test_get_cases_reads_one_by_one_and_sorts_the_answers(make_cases_client: CasesFactory) -> None:
    """Each id is read once; 404s are not found, other errors kept per id, found cases keyed by the id asked."""
    case = load_fixture("case_active.json")

    def handler(request: httpx.Request) -> httpx.Response:
        asked = request.url.path.rsplit("/", 1)[1]
        if asked == "CASE-404":
            return error_response(404)
        if asked == "CASE-500":
            return error_response(500)
        return ok({"case": case})

    lookup = await make_cases_client(handler).get_cases(ids=["CASE-123", "CASE-404", "CASE-500", "CASE-123"])

    assert list(lookup.found) == ["CASE-123"] and lookup.found["CASE-123"].id == case["id"]
    assert lookup.not_found == ["CASE-404"]
    assert isinstance(lookup.errors["CASE-500"], ServerError)


async def test_list_follows_next_page_token(make_cases_client: CasesFactory) -> None:
    """list_cases asks again with pageToken = nextPageToken until no token comes back."""
    page1, page2 = load_fixture("list_cases_page1.json"), load_fixture("list_cases_page2.json")
    script = Script([ok(page1), ok(page2)])

    cases = await make_cases_client(script).list_cases()

    assert [c.id for c in cases] == [c["id"] for c in page1["cases"] + page2["cases"]]
    assert [body_of(r)["pagination"] for r in script.requests] == [
        {"pageSize": 100},
        {"pageSize": 100, "pageToken": page1["pagination"]["nextPageToken"]},
    ]


async def test_list_stops_at_limit(make_cases_client: CasesFactory) -> None:
    """With more pages available, list_cases asks only for what is left and returns exactly `limit`."""
    script = Script([ok(load_fixture("list_cases_page1.json"))])  # always one case and a next token

    cases = await make_cases_client(script).list_cases(limit=2, page_size=5)

    assert len(cases) == 2
    assert [body_of(r)["pagination"]["pageSize"] for r in script.requests] == [2, 1]


async def test_list_filters_wire_shape(make_cases_client: CasesFactory) -> None:
    """Filters go out as the spec's CaseFilters: enum names, alertFilters, labels as FilterGroups, orderBy."""
    script = Script([ok(load_fixture("list_cases_page2.json"))])

    await make_cases_client(script).list_page(
        filters=CaseFilters(
            statuses=[CaseStatus.ACTIVE, CaseStatus.ACKNOWLEDGED],
            priorities=[CasePriority.P1],
            text_search="checkout",
            alert_ids=[ALERT_ID],
            labels={"team": ["payments"]},
        ),
        order_by=CaseOrderBy(field=CaseOrderByField.PRIORITY),
        page_size=5000,
    )

    assert body_of(script.requests[0]) == {
        "filters": {
            "statuses": ["CASE_STATUS_ACTIVE", "CASE_STATUS_ACKNOWLEDGED"],
            "priorities": ["CASE_PRIORITY_P1"],
            "textSearch": "checkout",
            "alertFilters": {"alertIds": [ALERT_ID]},
            "labels": [{"key": "team", "values": ["payments"]}],
        },
        "orderBy": {"field": "CASE_ORDER_BY_FIELD_PRIORITY", "direction": "CASE_ORDER_BY_DIRECTION_DESCENDING"},
        "pagination": {"pageSize": 1000},
    }


async def test_comment_needs_text(make_cases_client: CasesFactory) -> None:
    """A blank comment is refused before any call (the spec requires `text`)."""
    script = Script([ok(load_fixture("case_comment.json"))])

    with pytest.raises(ValueError, match="text"):
        await make_cases_client(script).comment(case_id=ID, text="  ")

    assert script.requests == []


async def test_deep_links_give_the_case_page(make_cases_client: CasesFactory) -> None:
    """deep_links returns Coralogix's absolute URL of the case page (`detail`)."""
    links = await make_cases_client(Script([ok(load_fixture("case_deep_links.json"))])).deep_links(case_id=ID)

    assert links.detail == load_fixture("case_deep_links.json")["deepLinks"]["detail"]
    assert ALERT_ID in links.alert_indicators
