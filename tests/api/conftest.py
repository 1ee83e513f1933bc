"""Fixtures for the Coralogix client tests: a client factory on a MockTransport and a recording sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.api import ApiVersion, CoralogixClient, RetryPolicy
from bot.settings import REGION_HOSTS, Region
from tests.fakes.coralogix import API_KEY
from tests.fakes.http import ClientFactory, RecordingSleep


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
        client = CoralogixClient(
            host=REGION_HOSTS[Region.EU1],
            api_key=SecretStr(API_KEY),
            version=version,
            retry=retry or RetryPolicy.off(),
            transport=httpx.MockTransport(handler),
            sleep=sleep,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
