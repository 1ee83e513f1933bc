"""What the incident claims say about an action's results (who is on an incident right now, who got there
first), and how long the action waited on Coralogix."""

from __future__ import annotations

import time

from bot.services.actions import IdResult, Outcome
from bot.store import Claim


class Stopwatch:
    """How long one action waited on Coralogix, in all: `with watch:` around each call."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.monotonic()

    def __exit__(self, *_: object) -> None:
        self.seconds += time.monotonic() - self._started

    @property
    def ms(self) -> int:
        """The total, in whole milliseconds."""
        return round(self.seconds * 1000)


def busy(claim: Claim) -> IdResult:
    """Another action is working on the incident right now."""
    return IdResult(claim.incident_id, Outcome.IN_FLIGHT, reason=claim.verb, by=claim.user, at=claim.at)


def credited(results: list[IdResult], earlier: dict[str, Claim], job_id: int) -> list[IdResult]:
    """ "Already resolved by @x just now": an incident another action of the bot got there first names its person."""
    named = []
    for result in results:
        claim = earlier.get(result.id)
        if (
            claim
            and claim.job_id != job_id
            and result.outcome in _ALREADY
            and claim.outcome == _ALREADY[result.outcome]
        ):
            result = IdResult(result.id, result.outcome, result.incident, result.reason, by=claim.user, at=claim.at)
        named.append(result)
    return named


# The outcome of the earlier action that makes this one's "already" its doing.
_ALREADY = {
    Outcome.ALREADY_RESOLVED: Outcome.RESOLVED.value,
    Outcome.ALREADY_ACKNOWLEDGED: Outcome.ACKNOWLEDGED.value,
    Outcome.ALREADY_CLOSED: Outcome.CLOSED.value,
}
