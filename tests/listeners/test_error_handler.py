"""The one error boundary: every failure reaches the user with an error id that is also in the log."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ServerError
from bot.background import BackgroundTasks
from bot.errors import BadPayload
from bot.listeners.error_handler import handle_error, reported
from bot.slack_writes import SlackWriter
from tests.fakes.server import serving
from tests.fakes.slack import VALID_TOKEN, FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack on loopback."""
    fake = FakeSlack()
    async with serving(fake):
        yield fake


@pytest.fixture
def writer(slack: FakeSlack) -> SlackWriter:
    """The bot's Slack writer, pointed at the fake Slack."""
    return SlackWriter(AsyncWebClient(token=VALID_TOKEN, base_url=slack.api_url))


def context() -> AsyncBoltContext:
    """A Bolt context with a channel and a user."""
    ctx = AsyncBoltContext()
    ctx["channel_id"], ctx["user_id"] = "C1", "U1"
    return ctx


def told(slack: FakeSlack) -> str:
    """The one thing the person was told, through the response_url or a message."""
    said = [r["text"] for r in slack.responses] + [c.params["text"] for c in slack.calls]
    assert len(said) == 1, said
    return str(said[0])


async def test_unexpected_error_gets_a_vague_message_an_id_and_a_traceback(
    caplog: pytest.LogCaptureFixture, slack: FakeSlack, writer: SlackWriter
) -> None:
    """An untyped exception shows no internals to the user, and the logged traceback carries the same error id."""
    body = {"response_url": slack.response_url}
    await handle_error(RuntimeError("db password is hunter2"), body, writer, context())
    text = told(slack)
    assert "hunter2" not in text
    assert "unexpected error" in text
    error_id = re.search(r"`(E[0-9A-F]{8})`", text).group(1)  # type: ignore[union-attr]  # a miss fails the test
    record = next(r for r in caplog.records if getattr(r, "error_id", None) == error_id)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


async def test_typed_error_shows_its_message(slack: FakeSlack, writer: SlackWriter) -> None:
    """A Coralogix error's message (what to fix) is shown as it is, escaped."""
    error = ServerError("Coralogix had an internal error <5xx>", status_code=503)
    await handle_error(error, {"response_url": slack.response_url}, writer, context())
    assert "Coralogix had an internal error &lt;5xx&gt;" in told(slack)


async def test_refused_response_url_falls_back_to_an_ephemeral_message(slack: FakeSlack, writer: SlackWriter) -> None:
    """When response_url refuses the report (expired, used up), the user still gets it via chat.postEphemeral."""
    slack.response_url_status = 404
    await handle_error(RuntimeError("x"), {"response_url": slack.response_url}, writer, context())
    (call,) = slack.called("chat.postEphemeral")
    assert call.params["user"] == "U1"


# -- refused input ---------------------------------------------------------------------------


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> bool:
    """Whether no log record, at any level, carries a traceback."""
    return not [r for r in caplog.records if r.exc_info]


async def test_refusal_without_a_user_is_a_400_naming_what_was_wrong(
    caplog: pytest.LogCaptureFixture, slack: FakeSlack, writer: SlackWriter
) -> None:
    """Nobody to tell: a 400 whose body says why (and asks Slack not to retry), logged once without a traceback."""
    answer = await handle_error(BadPayload("no usable view id"), {}, writer, AsyncBoltContext())
    assert answer is not None
    assert answer.status == 400
    assert json.loads(answer.body) == {"error": "no usable view id"}
    assert answer.headers["x-slack-no-retry"] == ["1"]
    assert slack.calls == []
    assert no_tracebacks(caplog)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


@pytest.mark.parametrize("user", ["U1> <!channel>", 5, "", None])
async def test_a_user_that_is_no_slack_id_counts_as_nobody(user: object, slack: FakeSlack, writer: SlackWriter) -> None:
    """Only a real Slack id is told anything; anything else in its place makes the refusal a 400."""
    context = AsyncBoltContext()
    context["user_id"] = user
    answer = await handle_error(BadPayload("x"), {}, writer, context)
    assert answer is not None and answer.status == 400
    assert slack.calls == []


async def test_refusal_in_a_modal_is_shown_under_its_block(slack: FakeSlack, writer: SlackWriter) -> None:
    """A refused view submission with a block to blame answers response_action errors: the modal says why."""
    error = BadPayload("A picked option carried null instead of an id.", block_id="incidents")
    answer = await handle_error(error, {"type": "view_submission"}, writer, context())
    assert answer is not None and answer.status == 200
    assert json.loads(answer.body) == {
        "response_action": "errors",
        "errors": {"incidents": "A picked option carried null instead of an id."},
    }
    assert slack.calls == []


async def test_refusal_of_a_person_tells_them_ephemerally_and_acks(
    caplog: pytest.LogCaptureFixture, slack: FakeSlack, writer: SlackWriter
) -> None:
    """Someone acted: they get the reason (escaped) and an error id where they are; Slack gets a plain 200."""
    answer = await handle_error(BadPayload("no <channel> id"), {}, writer, context())
    assert answer is not None and (answer.status, answer.body) == (200, "")
    text = slack.called("chat.postEphemeral")[0].params["text"]
    assert "no &lt;channel&gt; id" in text and "Error id: `E" in text
    assert no_tracebacks(caplog)


async def test_refusal_without_a_channel_reaches_the_person_by_dm(slack: FakeSlack, writer: SlackWriter) -> None:
    """No channel (a modal, Home, a mangled click): the app's DM with the person."""
    ctx = AsyncBoltContext()
    ctx["user_id"], ctx["channel_id"] = "U0DM", {"id": "C1"}
    await handle_error(BadPayload("x"), {}, writer, ctx)
    assert slack.called("chat.postMessage")[0].params["channel"] == "U0DM"
    assert slack.called("chat.postEphemeral") == []


async def test_a_failed_report_of_a_refusal_logs_no_traceback(
    caplog: pytest.LogCaptureFixture, slack: FakeSlack, writer: SlackWriter
) -> None:
    """When Slack refuses the report itself, that is one warning line, still without a traceback."""
    slack.ephemeral_errors["C1"] = "channel_not_found"
    answer = await handle_error(BadPayload("x"), {}, writer, context())
    assert answer is not None and answer.status == 200
    assert any("could not tell the user" in r.getMessage() for r in caplog.records)
    assert no_tracebacks(caplog)


# -- the `reported` wrapper -----------------------------------------------------------------------


@dataclass
class Args:
    """The parts of Bolt's AsyncArgs that `reported` reads."""

    ack: AsyncAck
    context: AsyncBoltContext
    body: dict[str, Any] = field(default_factory=dict)


def args(tasks: BackgroundTasks, writer: SlackWriter | None = None, slack: FakeSlack | None = None) -> Args:
    """Arguments for one request, with `services` (tasks, writer) in the context as the middleware puts it."""
    ctx = context()
    ctx["services"] = SimpleNamespace(tasks=tasks, writer=writer)
    return Args(ack=AsyncAck(), context=ctx, body={"response_url": slack.response_url} if slack else {})


async def test_a_failure_after_the_ack_is_reported_not_raised(slack: FakeSlack, writer: SlackWriter) -> None:
    """A listener that fails once it has acked is answered by the error handler, and Bolt sees no exception."""

    async def listener(ack: AsyncAck) -> None:
        await ack()
        raise RuntimeError("after the ack")

    given = args(BackgroundTasks(), writer, slack)
    await reported(listener)(given)  # type: ignore[arg-type]  # duck-typed AsyncArgs
    assert "Error id: `E" in told(slack)


async def test_a_failure_before_the_ack_goes_to_bolt(slack: FakeSlack, writer: SlackWriter) -> None:
    """Before the ack nothing has answered Slack yet: the failure is raised for Bolt's error handler."""

    async def listener(ack: AsyncAck) -> None:
        raise BadPayload("no user")

    given = args(BackgroundTasks(), writer, slack)
    with pytest.raises(BadPayload):
        await reported(listener)(given)  # type: ignore[arg-type]  # duck-typed AsyncArgs
    assert slack.responses == [] and slack.calls == []


async def test_a_listener_counts_as_work_in_flight_until_it_ends() -> None:
    """While a listener runs after its ack it is in flight (shutdown and tests wait for it), and not after."""
    tasks, release = BackgroundTasks(), asyncio.Event()

    async def listener(ack: AsyncAck) -> None:
        await ack()
        await release.wait()

    wrapped = reported(listener)
    running: asyncio.Task[None] = asyncio.create_task(wrapped(args(tasks)))  # type: ignore[arg-type]  # duck-typed
    await asyncio.sleep(0)
    assert len(tasks) == 1
    release.set()
    await tasks.idle()
    assert running.done() and len(tasks) == 0


async def test_listener_arguments_come_from_args_and_the_context() -> None:
    """A listener gets Bolt's arguments by name, and context values (services, settings) the same way."""
    seen: dict[str, Any] = {}

    async def listener(ack: AsyncAck, context: AsyncBoltContext, services: Any) -> None:
        seen.update(context=context, services=services)

    given = args(BackgroundTasks())
    await reported(listener)(given)  # type: ignore[arg-type]  # duck-typed AsyncArgs
    assert seen == {"context": given.context, "services": given.context["services"]}
