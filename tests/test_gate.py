"""The workspace gate: where a request comes from, and who is refused before any listener runs."""

from __future__ import annotations

import pytest

from bot.gate import Gate, Origin, origin


@pytest.mark.parametrize(
    ("body", "team"),
    [
        ({"user": {"id": "U1", "team_id": "T2"}, "team": {"id": "T1"}}, "T2"),  # a guest clicking in our channel
        ({"command": "/resolve-incident", "team_id": "T2"}, "T2"),
        ({"type": "event_callback", "team_id": "T1", "event": {"user_team": "T2"}}, "T2"),
        ({"type": "event_callback", "team_id": "T1", "event": {}}, "T1"),
        ({"team": {"id": "T1"}}, "T1"),
        ({}, None),
    ],
)
def test_the_actors_team_comes_from_the_most_personal_field(body: dict[str, object], team: str | None) -> None:
    """user.team_id, then the command's team_id, an event's user_team, then team.id."""
    assert origin(body).team == team


def test_a_malformed_team_is_no_team() -> None:
    """Anything but a Slack id is ignored, never taken for a team."""
    assert origin({"user": {"team_id": "<!channel>"}, "team": {"id": 5}}).team is None


def test_the_home_team_and_allowed_teams_pass_others_are_refused() -> None:
    """Only a known team that is neither the bot's nor allowed is refused, with the setting named."""
    gate = Gate(home_team="T1", app_id=None, allowed_teams=frozenset({"T3"}))
    assert gate.refusal(Origin("T1", None, None)) is None
    assert gate.refusal(Origin("T3", None, None)) is None
    refusal = gate.refusal(Origin("T2", None, None))
    assert refusal is not None and "T2" in refusal and "SLACK_ALLOWED_TEAMS" in refusal


def test_nothing_known_is_never_a_refusal() -> None:
    """A failed auth.test (no home team) or a payload without a team refuses nobody."""
    assert Gate(home_team=None, app_id=None).refusal(Origin("T2", None, None)) is None
    assert Gate(home_team="T1", app_id=None).refusal(Origin(None, None, None)) is None


def test_another_apps_request_is_refused_only_when_the_bot_knows_its_own() -> None:
    """api_app_id is compared when the bot's app id is known; unknown, the check is skipped."""
    assert Gate(home_team="T1", app_id="A1").refusal(Origin("T1", None, "A9")) is not None
    assert Gate(home_team="T1", app_id="A1").refusal(Origin("T1", None, "A1")) is None
    assert Gate(home_team="T1", app_id=None).refusal(Origin("T1", None, "A9")) is None
