"""Fixtures for the Coralogix client tests: a client factory on a MockTransport and a recording sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.api import ApiVersion, CoralogixClient, RetryPolicy
from tests.fakes.http import ClientFactory, RecordingSleep, coralogix_client


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
