"""Small helpers for the Coralogix clients' unit tests, plugged in at the transport seam.

`coralogix_client` and `cases_client` build the real clients on a transport, `Script` answers from a fixed list
instead of a fake API, `ok` is a 200 JSON answer, and `RecordingSleep` stands in for
`asyncio.sleep` in the client's retries. The fake Coralogix itself lives in `tests.fakes.coralogix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from bot.api import ApiVersion, CasesClient, CoralogixClient, RetryPolicy
from bot.api.routes import REGION_HOSTS, Region
from tests.fakes.coralogix import API_KEY

ClientFactory = Callable[..., CoralogixClient]  # the `make_client` fixture of tests/api
CasesFactory = Callable[..., CasesClient]  # the `make_cases_client` fixture of tests/api
Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def ok(body: Any) -> httpx.Response:
    """A 200 JSON answer."""
    return httpx.Response(200, json=body)


@dataclass
class RecordingSleep:
    """Returns at once and remembers how long it was asked to wait."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def coralogix_client(
    transport: httpx.AsyncBaseTransport,
    *,
    version: ApiVersion = ApiVersion.LTS,
    retry: RetryPolicy | None = None,
    sleep: RecordingSleep | None = None,
) -> CoralogixClient:
    """The real client for EU1 with the fake's API key, on `transport`; retries off unless given, never waiting."""
    return CoralogixClient(
        host=REGION_HOSTS[Region.EU1],
        api_key=SecretStr(API_KEY),
        version=version,
        retry=retry or RetryPolicy.off(),
        transport=transport,
        sleep=sleep or RecordingSleep(),
    )


def cases_client(
    transport: httpx.AsyncBaseTransport, *, retry: RetryPolicy | None = None, sleep: RecordingSleep | None = None
) -> CasesClient:
    """The real Cases client for EU1 with the fake's API key, on `transport`; retries off unless given."""
    return CasesClient(
        host=REGION_HOSTS[Region.EU1],
        api_key=SecretStr(API_KEY),
        retry=retry or RetryPolicy.off(),
        transport=transport,
        sleep=sleep or RecordingSleep(),
    )


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
