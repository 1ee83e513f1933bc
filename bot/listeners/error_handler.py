"""The one `@app.error` boundary: log once with an error id, tell the user what failed and that id.

Input we refuse (`BadPayload`) is answered here too, without a traceback: the person who acted is told
what was wrong (in the modal when it concerns one of its blocks); a request that names nobody gets a 400.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.response import BoltResponse

from bot import payloads
from bot.errors import BadPayload, describe, record_failure
from bot.formatters.common import escape, safe_url
from bot.slack_writes import SlackWriter

logger = logging.getLogger(__name__)


async def handle_error(
    error: Exception, body: dict[str, Any], writer: SlackWriter, context: AsyncBoltContext
) -> BoltResponse | None:
    """Log the failure once and show the user an ephemeral message with the same error id.

    The answer Bolt sends when the failure came before the ack: for a refusal, what `refuse` decided.
    """
    if isinstance(error, BadPayload):
        return await refuse(error, body, writer, context)
    error_id = record_failure(logger, "request failed", error)
    text = error_text(describe(error), error_id)
    await _tell(text, error_id, safe_url(body.get("response_url")), writer, context)
    return None


async def refuse(
    error: BadPayload, body: dict[str, Any], writer: SlackWriter, context: AsyncBoltContext
) -> BoltResponse:
    """Answer input we refuse: a modal error, or the person told ephemerally (by DM without a channel);
    400 when the request names nobody. Logged once, without a traceback: refused input is not a bug."""
    error_id = record_failure(logger, "refused a request", error)
    user = _slack_id(context.user_id)
    if user is None:
        return BoltResponse(status=400, body={"error": error.user_message}, headers={"x-slack-no-retry": "1"})
    if error.block_id and body.get("type") == "view_submission":
        return BoltResponse(
            status=200, body={"response_action": "errors", "errors": {error.block_id: error.user_message}}
        )
    text = error_text(error.user_message, error_id)
    where = AsyncBoltContext(user_id=user)
    if channel := _slack_id(context.channel_id):
        where["channel_id"] = channel
    await _tell(text, error_id, safe_url(body.get("response_url")), writer, where)
    return BoltResponse(status=200, body="")


async def refuse_unrouted(error: BadPayload, body: dict[str, Any], writer: SlackWriter) -> BoltResponse:
    """A request refused before Bolt routed it (see `bot.payloads.check`): answered as `refuse` answers."""
    context = AsyncBoltContext()
    if user := payloads.person(body):
        context["user_id"] = user
    places = (payloads.get(body, "channel", "id"), body.get("channel_id"), payloads.get(body, "event", "channel"))
    if channel := next(filter(None, map(_slack_id, places)), None):
        context["channel_id"] = channel
    return await refuse(error, body, writer, context)


def error_text(reason: str, error_id: str) -> str:
    """What a person reads about a failure: the reason and the id to hand to whoever runs the bot."""
    return f":warning: {escape(reason)}\nError id: `{error_id}` (give this to whoever runs the bot)."


def _slack_id(value: Any) -> str | None:
    return value if isinstance(value, str) and payloads.SLACK_ID.match(value) else None


async def _tell(
    text: str, error_id: str, response_url: str | None, writer: SlackWriter, context: AsyncBoltContext
) -> None:
    """Through response_url, else ephemerally in the channel, else by DM; a failure here is only logged."""
    try:
        if response_url:
            status = await writer.respond(response_url, text=text, response_type="ephemeral", replace_original=False)
            if status == 200:
                return
            logger.warning("response_url refused the error report (%d) error_id=%s", status, error_id)
        if context.channel_id and context.user_id:
            await writer.ephemeral(context.channel_id, context.user_id, text=text)
        elif context.user_id:  # a modal submission or Home: no channel, so the app's DM with the user
            await writer.post(context.user_id, text=text)
    except Exception as e:  # noqa: BLE001 - the report itself failed (Slack, network); the line before has the id
        logger.warning("could not tell the user about error_id=%s: %s: %.300s", error_id, type(e).__name__, e)


Listener = Callable[..., Awaitable[None]]


def reported(listener: Listener) -> Callable[[AsyncArgs], Awaitable[None]]:
    """Wrap a listener so that it counts as work in flight, and a failure after its ack is reported by
    `handle_error` here, not re-raised. Every listener is registered through it.

    Bolt 1.30 runs the listener as a task and polls every 10 ms for the ack; when the listener then
    fails before the next poll, Bolt replaces the ack with "no response" and Slack gets a 404 and shows
    its own error. Failures before the ack still go to Bolt (and from there to `handle_error`).
    Listeners keep their named arguments: they are picked from Bolt's `args` (context values included).
    """
    names = list(inspect.signature(listener).parameters)

    async def wrapper(args: AsyncArgs) -> None:
        if (services := args.context.get("services")) is not None:
            services.tasks.track()  # in flight until it ends: shutdown waits for it, tests can settle
        kwargs = {n: getattr(args, n) if hasattr(args, n) else args.context[n] for n in names}
        try:
            await listener(**kwargs)
        except Exception as e:
            if args.ack.response is None or services is None:
                raise
            await handle_error(e, args.body, services.writer, args.context)

    # Not functools.wraps: Bolt unwraps `__wrapped__` to decide which arguments to pass.
    wrapper.__name__, wrapper.__qualname__, wrapper.__doc__ = listener.__name__, listener.__qualname__, listener.__doc__
    return wrapper


def register(app: AsyncApp, writer: SlackWriter) -> None:
    """Install the global error handler (it answers through `writer`)."""

    async def on_error(
        error: Exception, body: dict[str, Any], context: AsyncBoltContext, response: BoltResponse | None
    ) -> BoltResponse | None:
        answer = await handle_error(error, body, writer, context)
        return answer if response is not None else None  # None: the request was answered (acked) already

    app.error(on_error)
