"""Errors the bot itself raises, each with a message that is safe to show in Slack.

    BotError                base; `user_message` is shown to the user, with an error id
    ├── UpstreamError       Slack or Coralogix failed in a way the user should know about
    ├── BadPayload          a request we refuse (missing or mistyped fields): answered, never a traceback
    └── PolicyError         the access-policy file is not valid: every problem, each with its line

Coralogix client errors (`bot.api.exceptions.ApiError`) are shown the same way by the error handler.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence


class BotError(Exception):
    """Base class; `user_message` is what the user reads."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class UpstreamError(BotError):
    """Slack or Coralogix failed."""


class BadPayload(BotError):
    """Input we refuse: `user_message` says what was wrong with it.

    The error handler answers it like any other error, but logs no traceback (it is not a bug): the
    person who acted is told (in the modal, under `block_id`, when the refusal is about one of its
    blocks), and a request that names no person gets a 400.
    """

    def __init__(self, user_message: str, *, block_id: str | None = None) -> None:
        super().__init__(user_message)
        self.block_id = block_id


class PolicyError(BotError):
    """The access-policy file cannot be used: `problems` names each one (`policy.yml line 7: rules[1].users[0]: …`);
    `user_message` is one message, its first line naming the file, like the configuration errors."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        header = f"The access policy {source} is not valid; fix these (see access-policy.example.yml):"
        super().__init__("\n".join([header, *(f"  - {problem}" for problem in self.problems)]))


def new_error_id() -> str:
    """A short id shown to the user and written to the log, to find one failure in the logs."""
    return "E" + secrets.token_hex(4).upper()


def is_expected(error: BaseException) -> bool:
    """Failures the bot understands (its own, Coralogix's, Slack's): a log line, no traceback."""
    from slack_sdk.errors import SlackApiError

    from bot.api.exceptions import ApiError

    return isinstance(error, BotError | ApiError | SlackApiError)


def record_failure(logger: logging.Logger, what: str, error: BaseException | str) -> str:
    """The one error-id policy: log one failure once with a new error id, and return the id to show.

    Expected failures (a reason, or an error `is_expected` knows) are one WARNING line; anything
    else is logged at ERROR with its traceback. The id is the `error_id` field of the record.
    """
    error_id = new_error_id()
    if isinstance(error, str) or is_expected(error):
        reason = error if isinstance(error, str) else describe(error)
        logger.warning("%s: %s", what, reason, extra={"error_id": error_id})
    else:
        logger.error("%s", what, exc_info=error, extra={"error_id": error_id})
    return error_id


def describe(error: BaseException) -> str:
    """What a user may read about `error`: typed errors explain themselves, anything else stays vague."""
    from slack_sdk.errors import SlackApiError

    from bot.api.exceptions import ApiError  # the client's errors; imported here to keep this module dependency-free

    if isinstance(error, BotError):
        return error.user_message
    if isinstance(error, ApiError):
        return error.message
    if isinstance(error, SlackApiError):
        return f"Slack refused a call from the bot ({error.response.get('error', 'unknown error')})."
    return "The bot hit an unexpected error."
