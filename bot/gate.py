"""Who may reach the bot at all: people of its own workspace (and of SLACK_ALLOWED_TEAMS), through
its own app. Checked once for every Slack request, before any listener, on every surface.

The actor's team comes from the payload (`user.team_id`, the command's `team_id`, an event's
`user_team`, then `team.id`), the bot's own team from `auth.test` (Bolt's authorization, cached).
A missing team on either side is never by itself a refusal: only a team that is known, differs
from the bot's and is not allowed. The app id is checked only when the bot knows its own
(SLACK_APP_ID, or `auth.test` where Slack gives it); `doctor` says when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.payloads import SLACK_ID, get


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request comes from: the actor's team and enterprise, and the app it was sent to."""

    team: str | None
    enterprise: str | None
    app_id: str | None


def _id(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str) and SLACK_ID.match(v)), None)


def origin(body: dict[str, Any]) -> Origin:
    """The actor's team and enterprise, and the api_app_id, as the payload gives them."""
    team = _id(
        get(body, "user", "team_id"),
        body.get("team_id") if "command" in body else None,
        get(body, "event", "user_team"),
        get(body, "team", "id"),
        get(body, "event", "team"),
        body.get("team_id"),
    )
    enterprise = _id(get(body, "user", "enterprise_id"), get(body, "enterprise", "id"), body.get("enterprise_id"))
    return Origin(team=team, enterprise=enterprise, app_id=_id(body.get("api_app_id")))


@dataclass(frozen=True, slots=True)
class Gate:
    """The bot's own team and app, and the teams it also serves."""

    home_team: str | None
    app_id: str | None
    allowed_teams: frozenset[str] = frozenset()

    def refusal(self, came_from: Origin) -> str | None:
        """Why a request from `came_from` is refused; None when it may go on."""
        if self.app_id and came_from.app_id and came_from.app_id != self.app_id:
            return f"This request was meant for another Slack app ({came_from.app_id}), so nothing was done."
        team = came_from.team
        if self.home_team and team and team != self.home_team and team not in self.allowed_teams:
            return (
                f"This bot acts only for people of its own workspace, and your workspace ({team}) is not one it "
                "serves, so nothing was done. Whoever runs the bot can add it to SLACK_ALLOWED_TEAMS."
            )
        return None
