"""The Coralogix client's own transport, through real sockets on loopback: what reaches the server, and
which httpx error each network failure becomes (the client's messages depend on it)."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing

import httpx
import pytest
from pydantic import SecretStr

from bot.api import ApiConnectionError, ApiTimeoutError, CoralogixClient, RetryPolicy
from bot.api.http import tls_context
from bot.api.transport import CoralogixTransport, default_transport
from tests.fakes.coralogix import API_KEY
from tests.fakes.server import free_port

ONE_ID = "5f0ec4a2-6c2e-4d3f-9b8a-0d2f3e4a5b6c"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A loopback HTTP/1.1 server speaking through `handler`; what it received, and how many connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.url = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: hand it to the handler, then close it."""
        self.connections += 1
        try:
            await self.handler(reader, writer)
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bool:
        """Read one request (line, headers, body) into `requests`; False when the client closed instead."""
        head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
        if not head:
            return False
        line, *fields = head.decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (f.split(":", 1) for f in fields if ":" in f)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((line, headers, body))
        return True


ServerHandler = Callable[[Server, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(
    handler: Callable[[Server, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[Server]:
    """A `Server` on a free loopback port for the test's duration."""
    server = Server(lambda r, w: handler(server, r, w))
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    async with listener:
        yield server


@pytest.fixture(autouse=True)
def no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's own transport whatever proxy this machine names (a test sets one when it is about it)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def answer(body: bytes, *extra: str) -> bytes:
    """A 200 with a JSON body, kept alive."""
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def keep_answering(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with no incidents."""
    while await server.read_request(reader):
        writer.write(answer(b'{"incidents": []}'))
        await writer.drain()


@asynccontextmanager
async def client_for(url: str) -> AsyncIterator[CoralogixClient]:
    """The real incidents client on `url`, with its default (production) transport; one attempt per call."""
    client = CoralogixClient(host=url, api_key=SecretStr(API_KEY), retry=RetryPolicy.off())
    try:
        yield client
    finally:
        await client.aclose()


async def resolve_failure(url: str, words: str) -> ApiConnectionError:
    """The connection error a resolve through `url` fails with; its message matches `words`."""
    async with client_for(url) as client:
        with pytest.raises(ApiConnectionError, match=words) as caught:
            await client.resolve_incidents(ids=[ONE_ID])
    return caught.value


def http_client(url: str, timeout: httpx.Timeout, max_connections: int = 10) -> httpx.AsyncClient:
    """A bare httpx client on the transport, for the waits the Coralogix client does not let a test shorten."""
    limits = httpx.Limits(max_connections=max_connections)
    return httpx.AsyncClient(
        base_url=url, timeout=timeout, transport=CoralogixTransport(ssl_context=tls_context(), limits=limits)
    )


async def test_requests_carry_the_key_and_the_body_and_share_one_kept_alive_connection() -> None:
    """Three resolves reach the server with the Bearer key, the user agent and the JSON body, on one connection."""
    async with serving(keep_answering) as server, client_for(server.url) as client:
        for _ in range(3):
            assert await client.resolve_incidents(ids=[ONE_ID]) == []
    assert server.connections == 1
    line, headers, body = server.requests[0]
    assert line == "POST /mgmt/openapi/v1/incidents:resolve HTTP/1.1"
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["user-agent"].startswith("coralogix-resolve-bot/")
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"incidentIds": [ONE_ID]}


async def test_a_gzip_answer_is_decoded() -> None:
    """A gzip-encoded answer reaches the model decoded (httpx decodes it, aiohttp leaves it alone)."""

    async def gzipped(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await server.read_request(reader):
            writer.write(answer(gzip.compress(b'{"incidents": []}'), "Content-Encoding: gzip"))
            await writer.drain()

    async with serving(gzipped) as server, client_for(server.url) as client:
        assert await client.resolve_incidents(ids=[ONE_ID]) == []


async def test_a_refused_connection_is_a_connection_error() -> None:
    """Nothing listening: "could not reach Coralogix", not a timeout."""
    refused = await resolve_failure(f"http://127.0.0.1:{free_port()}", "Could not reach Coralogix")
    assert isinstance(refused.__cause__, httpx.ConnectError)


async def test_a_connection_dropped_without_an_answer_is_a_connection_error() -> None:
    """The server reads the request and hangs up: a protocol error, not a connect timeout."""

    async def hang_up(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)

    async with serving(hang_up) as server:
        dropped = await resolve_failure(server.url, "RemoteProtocolError")
    assert not isinstance(dropped, ApiTimeoutError)
    assert isinstance(dropped.__cause__, httpx.RemoteProtocolError)


async def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    """A server (or a proxy in the way) answering garbage: a protocol error, not aiohttp's own exception."""

    async def garbage(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"garbage\r\n\r\n")
        await writer.drain()

    async with serving(garbage) as server:
        unreadable = await resolve_failure(server.url, "RemoteProtocolError")
    assert isinstance(unreadable.__cause__, httpx.RemoteProtocolError)


async def test_a_failed_request_gives_its_connection_slot_back() -> None:
    """With one connection allowed, refused requests one after another each fail as refused, never as a pool wait."""
    async with http_client(f"http://127.0.0.1:{free_port()}", httpx.Timeout(5.0, pool=0.2), max_connections=1) as http:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await http.post("/x", json={})


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    """The request is read but never answered: the read timeout, named as such."""
    hold = asyncio.Event()

    async def silent(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        await hold.wait()

    async with serving(silent) as server, http_client(server.url, httpx.Timeout(5.0, read=0.2)) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/x", json={})
        hold.set()


async def test_waiting_for_a_free_connection_is_a_pool_timeout() -> None:
    """With every connection busy, a further request gives up after the pool wait, as a pool timeout."""
    hold, received = asyncio.Event(), asyncio.Event()

    async def slow(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        received.set()
        await hold.wait()
        writer.write(answer(b"{}"))
        await writer.drain()

    timeout = httpx.Timeout(5.0, pool=0.2)
    async with serving(slow) as server, http_client(server.url, timeout, max_connections=1) as http:
        first = asyncio.create_task(http.post("/x", json={}))
        await received.wait()
        with pytest.raises(httpx.PoolTimeout):
            await http.post("/x", json={})
        hold.set()
        assert (await first).status_code == 200
        assert (await http.post("/x", json={})).status_code == 200  # the finished request gave its slot back


async def test_a_connection_that_cannot_be_made_in_time_is_a_connect_timeout() -> None:
    """A listener whose backlog is full never completes the handshake: a connect timeout, named as such."""
    with closing(socket.socket()) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with closing(socket.create_connection(listener.getsockname())):  # fills the backlog
            async with http_client(url, httpx.Timeout(5.0, connect=0.2)) as http:
                with pytest.raises(httpx.ConnectTimeout):
                    await http.post("/x", json={})


def test_without_a_proxy_the_client_uses_aiohttp_and_with_one_httpx_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp's connections by default, and with only NO_PROXY set; httpx's own once the environment names a proxy."""
    limits = httpx.Limits()
    assert isinstance(default_transport(tls_context(), limits), CoralogixTransport)
    monkeypatch.setenv("NO_PROXY", "localhost,.svc")
    assert isinstance(default_transport(tls_context(), limits), CoralogixTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert default_transport(tls_context(), limits) is None


async def test_a_proxy_from_the_environment_carries_the_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTP_PROXY set, a resolve goes to the proxy, naming Coralogix's host, as before the aiohttp transport."""
    async with serving(keep_answering) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with client_for("http://coralogix.invalid") as client:
            assert await client.resolve_incidents(ids=[ONE_ID]) == []
    line, headers, _ = proxy.requests[0]
    assert line == "POST http://coralogix.invalid/mgmt/openapi/v1/incidents:resolve HTTP/1.1"
    assert headers["authorization"] == f"Bearer {API_KEY}"
