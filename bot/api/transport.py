"""How the Coralogix client's requests reach the network: httpx's client, aiohttp's connections.

httpx stays the client every Coralogix call goes through (its request and response models, timeouts,
auth headers, and `MockTransport` as the test seam); only the transport under it changes. httpx's
default transport (httpcore on anyio) is costly: anyio rebuilds a dict of socket attributes each time
httpcore asks whether a pooled connection is still usable, which it does for every connection on
every request, and every read and write enters a cancel scope. aiohttp (already the bot's server, and
Slack's client under slack_sdk) parses HTTP in C and pools connections cheaply: measured side by
side, the swap alone took the bot's CPU per command from 4.30 to 3.37 ms (benchmarks/cpu_per_command).
`httpx_aiohttp` adapts one to the other; `CoralogixTransport` keeps httpx's meaning of its limits and
says what went wrong as exactly as httpx's own transport would:

- at most `max_connections` requests hold a connection at once; waiting longer than httpx's pool
  timeout for one is a `PoolTimeout` (our own queueing), while name resolution and connecting get
  httpx's connect timeout, a `ConnectTimeout` (aiohttp would count the pool wait and the name lookup
  in one timer of its own);
- a refused connection is a `ConnectError`, one dropped before the answer a `RemoteProtocolError`,
  one reset after the request went out a `ReadError`, and an answer that is not HTTP a
  `RemoteProtocolError` (the library maps the first three to `ConnectTimeout` and passes the last on
  as aiohttp's own error).

httpx's write timeout and `max_keepalive_connections` have no aiohttp counterpart: requests are small
(at most ~40 KB), and idle connections close after `keepalive_expiry` whatever their number.

With a proxy set in the environment (HTTPS_PROXY, ALL_PROXY, …) the client keeps httpx's own
transports: httpx honours the environment's proxies (and NO_PROXY) only when it builds them itself.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import AsyncIterator, Callable

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# The schemes a proxy from the environment may be set for that a Coralogix call would use.
_PROXIED = frozenset({"http", "https", "all"})


def default_transport(ssl_context: ssl.SSLContext, limits: httpx.Limits) -> CoralogixTransport | None:
    """The Coralogix client's transport: aiohttp's connections, or None (httpx's own, which go through the
    proxy) when the environment names a proxy, read as httpx reads it."""
    if _PROXIED & urllib.request.getproxies().keys():
        return None
    return CoralogixTransport(ssl_context=ssl_context, limits=limits)


class CoralogixTransport(AiohttpTransport):
    """httpx requests sent by one aiohttp session, at most `limits.max_connections` at once, idle connections
    kept `limits.keepalive_expiry` seconds; cookies are left to httpx, which keeps its own."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        def session() -> aiohttp.ClientSession:  # made on the first request, inside the running loop
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=limits.keepalive_expiry, ssl=ssl_context)
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

        super().__init__(verify=ssl_context, limits=limits, client=session)
        self._slots = asyncio.Semaphore(limits.max_connections) if limits.max_connections else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`; its response (the body still to be read), or the httpx error that says what failed."""
        timeouts = request.extensions.get("timeout", {})
        await self._take_slot(timeouts.get("pool"), request)
        # aiohttp's `connect` timer covers the name lookup and the connection: httpx's connect timeout.
        request.extensions = {**request.extensions, "timeout": {**timeouts, "pool": timeouts.get("connect")}}
        try:
            response = await super().handle_async_request(request)
        except BaseException as e:
            self._free_slot()
            cause = e.__cause__ if isinstance(e, httpx.ConnectTimeout) else e
            if isinstance(cause, aiohttp.ClientError) and not isinstance(cause, TimeoutError):
                raise _what_failed(cause, request) from cause
            raise  # a timeout the library names rightly, an httpx error, or a cancellation
        response.stream = _Releasing(response.stream, self._free_slot)  # type: ignore[arg-type]  # always async here
        return response

    async def _take_slot(self, wait: float | None, request: httpx.Request) -> None:
        if self._slots is None:
            return
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(f"no free connection within {wait:g} s", request=request) from None

    def _free_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()


class _Releasing(httpx.AsyncByteStream):
    """A response's body that gives its connection slot back once, when the response is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                release, self._release = self._release, None
                release()


def _what_failed(cause: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """The httpx error for an aiohttp one that is not a timeout."""
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, no such host, TLS refused
        return httpx.ConnectError(f"{type(cause).__name__}: {cause}", request=request)
    if isinstance(cause, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):  # no answer, or not HTTP
        return httpx.RemoteProtocolError(f"{type(cause).__name__}: {cause}", request=request)
    return httpx.ReadError(f"{type(cause).__name__}: {cause}", request=request)  # e.g. reset after sending
