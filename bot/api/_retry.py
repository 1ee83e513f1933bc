"""Retry policy of the Coralogix client, built on tenacity.

Only transient failures are retried: connection errors, timeouts, 429 and 5xx. The wait is
exponential with full jitter, and a `Retry-After` from Coralogix wins when it is longer. Attempts
and total time are both capped, so a struggling Coralogix costs a user at most about 30 seconds.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_before_delay
from tenacity.stop import stop_base

from bot.api.exceptions import ApiConnectionError, ApiError, ApiStatusError, RateLimitError, ServerError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. `RetryPolicy.off()` is for unit tests that want exactly one call."""

    max_attempts: int = 4
    max_total_seconds: float = 30.0
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 20.0

    @classmethod
    def off(cls) -> RetryPolicy:
        """One attempt, no waiting."""
        return cls(max_attempts=1)


def is_transient(error: BaseException) -> bool:
    """Whether trying again may help: network trouble, throttling, or a Coralogix 5xx."""
    return isinstance(error, ApiConnectionError | RateLimitError | ServerError)


def was_refused(error: BaseException) -> bool:
    """Whether Coralogix surely did not carry the call out (a 429): a call that must not run twice may repeat."""
    return isinstance(error, RateLimitError)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        ceiling = min(policy.max_backoff, policy.initial_backoff * 2 ** (state.attempt_number - 1))
        delay = random.uniform(0, ceiling)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ApiStatusError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)  # never longer than max_retry_after: see _RetryAfterTooLong
        return delay

    return wait


class _RetryAfterTooLong(stop_base):
    """Stop at once when Coralogix's Retry-After is longer than we may wait: retrying early is not honouring it."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        return bool(isinstance(error, ApiStatusError) and error.retry_after and error.retry_after > self.limit)


def retrying(policy: RetryPolicy, sleep: Callable[[float], Awaitable[None]], *, once: bool = False) -> AsyncRetrying:
    """A tenacity controller for one call; re-raises the last typed error when it gives up.

    `once`: the call must not be carried out twice (a comment): only a 429 is tried again, since a
    timeout or a 5xx may come after Coralogix did it."""
    return AsyncRetrying(
        retry=retry_if_exception(was_refused if once else is_transient),
        stop=stop_after_attempt(policy.max_attempts)
        | stop_before_delay(policy.max_total_seconds)
        | _RetryAfterTooLong(policy.max_retry_after),
        wait=_wait(policy),
        sleep=sleep,
        reraise=True,
    )


__all__ = ["ApiError", "RetryPolicy", "is_transient", "retrying", "was_refused"]
