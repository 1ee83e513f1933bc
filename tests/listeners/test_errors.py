"""The one error boundary: every failure reaches the user with an error id that is also in the log."""

from __future__ import annotations

import logging
import re
from unittest.mock import AsyncMock

import pytest
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse

from bot.api import ServerError
from bot.listeners.errors import handle_error


def webhook_response(status: int) -> WebhookResponse:
    """What respond() returns."""
    return WebhookResponse(url="http://127.0.0.1/x", status_code=status, body="", headers={})


def context() -> AsyncBoltContext:
    """A Bolt context with a channel and a user."""
    ctx = AsyncBoltContext()
    ctx["channel_id"], ctx["user_id"] = "C1", "U1"
    return ctx


async def test_unexpected_error_gets_a_vague_message_an_id_and_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """An untyped exception shows no internals to the user, and the logged traceback carries the same error id."""
    respond = AsyncMock(return_value=webhook_response(200))
    client = AsyncMock(spec=AsyncWebClient)
    await handle_error(RuntimeError("db password is hunter2"), {"response_url": "http://x"}, respond, client, context())
    text = respond.call_args.kwargs["text"]
    assert "hunter2" not in text
    assert "unexpected error" in text
    error_id = re.search(r"`(E[0-9A-F]{8})`", text).group(1)  # type: ignore[union-attr]
    record = next(r for r in caplog.records if error_id in r.getMessage())
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


async def test_typed_error_shows_its_message() -> None:
    """A Coralogix error's message (what to fix) is shown as it is, escaped."""
    respond = AsyncMock(return_value=webhook_response(200))
    error = ServerError("Coralogix had an internal error <5xx>", status_code=503)
    await handle_error(error, {"response_url": "http://x"}, respond, AsyncMock(spec=AsyncWebClient), context())
    assert "Coralogix had an internal error &lt;5xx&gt;" in respond.call_args.kwargs["text"]


async def test_refused_response_url_falls_back_to_an_ephemeral_message() -> None:
    """When response_url refuses the report (expired, used up), the user still gets it via chat.postEphemeral."""
    respond = AsyncMock(return_value=webhook_response(404))
    client = AsyncMock(spec=AsyncWebClient)
    await handle_error(RuntimeError("x"), {"response_url": "http://x"}, respond, client, context())
    client.chat_postEphemeral.assert_awaited_once()
    assert client.chat_postEphemeral.call_args.kwargs["user"] == "U1"
