"""Fixtures for the Coralogix client tests: client factories on a MockTransport and a recording sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.api import ApiVersion, CasesClient, CoralogixClient, RetryPolicy
from tests.fakes.http import CasesFactory, ClientFactory, RecordingSleep, cases_client, coralogix_client


@pytest.fixture
def sleep() -> RecordingSleep:
    """The sleep the client's retries use; nothing really waits."""
    return RecordingSleep()


@pytest.fixture
async def make_client(sleep: RecordingSleep) -> AsyncIterator[ClientFactory]:
    """Build clients for EU1 on a MockTransport handler (retries off unless given); closed afterwards."""
    clients: list[CoralogixClient] = []

    def factory(
        handler: Callable[[httpx.Request], Any],
        *,
        version: ApiVersion = ApiVersion.LTS,
        retry: RetryPolicy | None = None,
    ) -> CoralogixClient:
        client = coralogix_client(httpx.MockTransport(handler), version=version, retry=retry, sleep=sleep)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
async def make_cases_client(sleep: RecordingSleep) -> AsyncIterator[CasesFactory]:
    """Build Cases clients for EU1 on a MockTransport handler (retries off unless given); closed afterwards."""
    clients: list[CasesClient] = []

    def factory(handler: Callable[[httpx.Request], Any], *, retry: RetryPolicy | None = None) -> CasesClient:
        client = cases_client(httpx.MockTransport(handler), retry=retry, sleep=sleep)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
