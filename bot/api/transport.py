"""How the Coralogix client's requests reach the network: httpx's client, aiohttp's connections.

httpx stays the client every Coralogix call goes through (its request and response models, timeouts,
auth headers, and `MockTransport` as the test seam); only the transport under it changes. httpx's
default transport (httpcore on anyio) costs about as much CPU per request as the rest of the bot's
action together: anyio rebuilds a dict of socket attributes each time httpcore asks whether a pooled
connection is still usable, which it does for every connection on every request. aiohttp (already
the bot's server, and Slack's client under slack_sdk) parses HTTP in C and pools connections cheaply.
`httpx_aiohttp` adapts one to the other; `CoralogixTransport` says what went wrong as exactly as
httpx's own transport would:

- a timeout while waiting for a free pooled connection is a `PoolTimeout` (our own queueing), one
  while connecting a `ConnectTimeout` (aiohttp reports both the same way: the time spent tells them
  apart, since the pool's wait is the longer one);
- a connection that was dropped or refused is a `ConnectError` or a `RemoteProtocolError`, never a
  timeout (the library maps every aiohttp connection error to `ConnectTimeout`).

With a proxy set in the environment (HTTPS_PROXY, ALL_PROXY, …) the client keeps httpx's own
transports: httpx honours the environment's proxies (and NO_PROXY) only when it builds them itself.
"""

from __future__ import annotations

import ssl
import time
import urllib.request

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


def default_transport(ssl_context: ssl.SSLContext, limits: httpx.Limits) -> CoralogixTransport | None:
    """The Coralogix client's transport: aiohttp's connections, or None (httpx's own, which go through the
    proxy) when the environment names a proxy, read as httpx reads it."""
    if urllib.request.getproxies():
        return None
    return CoralogixTransport(ssl_context=ssl_context, limits=limits)


class CoralogixTransport(AiohttpTransport):
    """httpx requests sent by one aiohttp session: at most `limits.max_connections` at once, idle
    connections kept `limits.keepalive_expiry` seconds; cookies are left to httpx, which keeps its own."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        def session() -> aiohttp.ClientSession:  # made on the first request, inside the running loop
            connector = aiohttp.TCPConnector(
                limit=limits.max_connections or 0,
                keepalive_timeout=limits.keepalive_expiry,
                ssl=ssl_context,
            )
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

        super().__init__(verify=ssl_context, limits=limits, client=session)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`; its response (the body still to be read), or the httpx error that says what failed."""
        started = time.monotonic()
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as e:
            raise _what_failed(e, request, time.monotonic() - started) from e.__cause__


def _what_failed(error: httpx.ConnectTimeout, request: httpx.Request, waited: float) -> httpx.TransportError:
    cause = error.__cause__
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        pool = request.extensions.get("timeout", {}).get("pool")
        if pool is not None and waited >= pool:
            return httpx.PoolTimeout(f"no free connection within {pool:g} s", request=request)
        return error
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(str(cause) or "Server disconnected", request=request)
    return httpx.ConnectError(f"{type(cause).__name__}: {cause}", request=request)
