"""The one `@app.error` boundary: log once with an error id, tell the user what failed and that id."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ApiError
from bot.errors import BotError, new_error_id
from bot.formatters.common import escape

logger = logging.getLogger(__name__)


def user_message(error: Exception) -> str:
    """What the user may read about `error`: typed errors explain themselves, others stay vague."""
    if isinstance(error, BotError):
        return error.user_message
    if isinstance(error, ApiError):
        return error.message
    if isinstance(error, SlackApiError):
        return f"Slack refused a call from the bot ({error.response.get('error', 'unknown error')})."
    return "The bot hit an unexpected error."


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
    text = f":warning: {escape(user_message(error))}\nError id: `{error_id}` (give this to whoever runs the bot)."
    try:
        if respond is not None and body.get("response_url"):
            answer = await respond(text=text, response_type="ephemeral", replace_original=False)
            if answer.status_code == 200:
                return
            logger.warning("response_url refused the error report (%d) error_id=%s", answer.status_code, error_id)
        if context.channel_id and context.user_id:
            await client.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=text)
    except Exception:  # the report itself failed; the log line above has the id
        logger.warning("could not tell the user about error_id=%s", error_id, exc_info=True)


def register(app: AsyncApp) -> None:
    """Install the global error handler."""
    app.error(handle_error)
