"""The one `@app.error` boundary: log once with an error id, tell the user what failed and that id."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ApiError
from bot.errors import BotError, describe, new_error_id
from bot.formatters.common import escape

logger = logging.getLogger(__name__)


async def handle_error(
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Log the failure once and show the user an ephemeral message with the same error id."""
    error_id = new_error_id()
    if isinstance(error, BotError | ApiError):
        logger.warning("request failed error_id=%s: %s", error_id, error)
    else:
        logger.error("request failed error_id=%s", error_id, exc_info=error)
    text = f":warning: {escape(describe(error))}\nError id: `{error_id}` (give this to whoever runs the bot)."
    try:
        if respond is not None and body.get("response_url"):
            answer = await respond(text=text, response_type="ephemeral", replace_original=False)
            if answer.status_code == 200:
                return
            logger.warning("response_url refused the error report (%d) error_id=%s", answer.status_code, error_id)
        if context.channel_id and context.user_id:
            await client.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=text)
        elif context.user_id:  # a modal submission or Home: no channel, so the app's DM with the user
            await client.chat_postMessage(channel=context.user_id, text=text)
    except Exception:  # the report itself failed; the log line above has the id
        logger.warning("could not tell the user about error_id=%s", error_id, exc_info=True)


Listener = Callable[..., Awaitable[None]]


def reported(listener: Listener) -> Callable[[AsyncArgs], Awaitable[None]]:
    """Wrap a listener so that a failure after its ack is reported by `handle_error` here, not re-raised.

    Bolt 1.30 runs the listener as a task and polls every 10 ms for the ack; when the listener then
    fails before the next poll, Bolt replaces the ack with "no response" and Slack gets a 404 and shows
    its own error. Failures before the ack still go to Bolt (and from there to `handle_error`).
    Listeners keep their named arguments: they are picked from Bolt's `args` (context values included).
    """
    names = list(inspect.signature(listener).parameters)

    async def wrapper(args: AsyncArgs) -> None:
        kwargs = {n: getattr(args, n) if hasattr(args, n) else args.context[n] for n in names}
        try:
            await listener(**kwargs)
        except Exception as e:
            if args.ack.response is None:
                raise
            await handle_error(e, args.body, args.respond, args.client, args.context)

    # Not functools.wraps: Bolt unwraps `__wrapped__` to decide which arguments to pass.
    wrapper.__name__, wrapper.__qualname__, wrapper.__doc__ = listener.__name__, listener.__qualname__, listener.__doc__
    return wrapper


def register(app: AsyncApp) -> None:
    """Install the global error handler."""
    app.error(handle_error)
