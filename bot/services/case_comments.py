"""After an action from Slack, one comment on each case it changed, naming the person and the place.

Coralogix records the API key as the author of every step the bot takes; the comment puts the
person into the case's own timeline: "Resolved from Slack by Jane Doe (@jane) in #payments: <note>".
A comment is plain text in Coralogix (not Slack mrkdwn), so nothing is escaped. A failed comment is
logged and changes no outcome: the step itself is done and verified.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.api import ApiError, gather_bounded
from bot.services.actions import Action, IdResult, Outcome, Report, Verb
from bot.services.cases import CaseService

logger = logging.getLogger(__name__)

# The spec sets no maxLength on a comment's text; its other free texts take 4 096 characters.
COMMENT_LIMIT = 4096
CUT_MARK = "…"
DID = {
    Verb.RESOLVE: "Resolved",
    Verb.ACKNOWLEDGE: "Acknowledged",
    Verb.CLOSE: "Closed as a false alarm",
}
# The outcomes that are this action's doing: only those get a comment.
OURS = frozenset({Outcome.RESOLVED, Outcome.ACKNOWLEDGED, Outcome.CLOSED})


class Person(Protocol):
    """A person as a comment names them."""

    @property
    def real_name(self) -> str | None:
        """Their full name."""

    @property
    def handle(self) -> str | None:
        """What follows the @ in Slack."""


class Directory(Protocol):
    """Where names of people and channels come from (the Slack directory)."""

    async def profile(self, user: str) -> Person:
        """The person `user` is; empty when unknown."""

    async def channel_name(self, channel: str) -> str | None:
        """The channel's name without `#`, when Slack says."""


def comment_text(verb: Verb, *, user: str, person: Person | None, channel: str | None, note: str | None) -> str:
    """ "Resolved from Slack by Jane Doe (@jane) in #payments: the note", at most COMMENT_LIMIT characters."""
    real, handle = (person.real_name, person.handle) if person else (None, None)
    named = f"{real} (@{handle})" if real and handle else real or (f"@{handle}" if handle else None)
    who = named or f"Slack user {user}"
    text = f"{DID[verb]} from Slack by {who}" + (f" in #{channel}" if channel else "")
    if note and note.strip():
        text += f": {note.strip()}"
    if len(text) > COMMENT_LIMIT:
        text = text[: COMMENT_LIMIT - len(CUT_MARK)].rstrip() + CUT_MARK
    return text


class CaseComments:
    """Writes the comments of one action."""

    def __init__(self, cases: CaseService, directory: Directory | None) -> None:
        self.cases = cases
        self.directory = directory

    async def after(self, action: Action, report: Report, *, is_case: set[str]) -> int:
        """One comment on each case in `is_case` the action changed; how many were written."""
        changed = [r for r in report.results if r.outcome in OURS and r.id in is_case]
        if not changed:
            return 0
        text = await self._text(action)
        written = await gather_bounded([self._comment(result, text) for result in changed])
        return sum(written)

    async def _text(self, action: Action) -> str:
        person, channel = None, None
        if self.directory is not None:
            person = await self.directory.profile(action.user)
            if action.channel:
                channel = await self.directory.channel_name(action.channel) or action.channel
        elif action.channel:
            channel = action.channel
        return comment_text(action.verb, user=action.user, person=person, channel=channel, note=action.note)

    async def _comment(self, result: IdResult, text: str) -> bool:
        case_id = result.case.id if result.case is not None else result.id
        try:
            await self.cases.comment(case_id, text)
        except ApiError as e:
            logger.warning("could not comment on case %s (the action stands): %s", result.id, e.message)
            return False
        return True
