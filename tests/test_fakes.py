"""The fake Coralogix itself: both adapters answer through one core, and a request it does not serve fails loudly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.api import ApiVersion
from bot.api.routes import CASES, routes_for
from tests.fakes.coralogix import API_KEY, FakeCoralogix, UnexpectedRequest
from tests.fakes.server import serve_app

ID = "7c2e4a61-9f3b-4d85-b1a7-0e6c8d2f4b93"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def resolve_through_both(path: str) -> list[tuple[int, Any]]:
    """POST one resolve to `path` on a fresh fake through the transport, and on another through loopback."""
    answers = []
    direct = FakeCoralogix()
    direct.add(ID)
    async with httpx.AsyncClient(transport=direct.transport(), base_url="https://api.coralogix.test") as http:
        answer = await http.post(path, json={"incidentIds": [ID]}, headers=AUTH)
        answers.append((answer.status_code, answer.json()))
    served = FakeCoralogix()
    served.add(ID)
    async with serve_app(served.app()) as url, httpx.AsyncClient(base_url=url) as http:
        answer = await http.post(path, json={"incidentIds": [ID]}, headers=AUTH)
        answers.append((answer.status_code, answer.json()))
    return answers


@pytest.mark.parametrize("version", list(ApiVersion))
async def test_both_adapters_answer_alike(version: ApiVersion) -> None:
    """A resolve gets the same status and body whether it reaches the fake by transport or on loopback."""
    routes = routes_for(version)

    direct, served = await resolve_through_both(f"{routes.base}{routes.resolve}")
    for _, body in (direct, served):  # each resolve is stamped with the moment it happened
        for incident in body["incidents"]:
            assert incident.pop("closedAt") == incident.pop("lastStateUpdateTime")

    assert direct == served
    assert direct[0] == 200
    assert [i["status"] for i in direct[1]["incidents"]] == ["INCIDENT_STATUS_RESOLVED"]


async def test_unexpected_request_raises_through_the_transport() -> None:
    """A path no family has is raised into the caller, not answered, and listed in `unexpected`."""
    fake = FakeCoralogix()
    async with httpx.AsyncClient(transport=fake.transport(), base_url="https://api.coralogix.test") as http:
        with pytest.raises(UnexpectedRequest):
            await http.post("/mgmt/openapi/v1/incidents:close", json={"incidentIds": [ID]}, headers=AUTH)

    assert fake.unexpected == ["POST https://api.coralogix.test/mgmt/openapi/v1/incidents:close"]
    assert fake.calls == []


async def test_unexpected_request_on_loopback_is_501_and_listed() -> None:
    """On loopback an unserved request (here the v5 path when only lts is served) answers 501 and is listed."""
    fake = FakeCoralogix(versions=(ApiVersion.LTS,))
    routes = routes_for(ApiVersion.V5)
    async with serve_app(fake.app()) as url, httpx.AsyncClient(base_url=url) as http:
        answer = await http.post(f"{routes.base}{routes.resolve}", json={"incidentIds": [ID]}, headers=AUTH)

    assert answer.status_code == 501
    assert [line.split(" ", 1)[0] for line in fake.unexpected] == ["POST"]
    assert fake.unexpected[0].endswith(f"{routes.base}{routes.resolve}")


async def test_cases_on_loopback_are_checked_against_the_spec() -> None:
    """On loopback the fake judges Cases calls as if sent to Coralogix: good ones answered, bad ones 501 and listed."""
    fake = FakeCoralogix()
    fake.cases.add(ID)
    path = f"{CASES.base}/cases/resolved/v1"
    async with serve_app(fake.app()) as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        good = await http.post(path, json={"ids": [ID], "reason": "rolled back"})
        bad = await http.post(path, json={"ids": [ID], "reason": "x" * 4097})

    assert good.status_code == 200 and good.json()["cases"][0]["status"] == "CASE_STATUS_RESOLVED"
    assert bad.status_code == 501 and "breaks the spec" in bad.json()["message"]
    assert len(fake.violations) == 1 and fake.unexpected == fake.violations
