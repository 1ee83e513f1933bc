"""What a person is told about an action on one incident: a button, a thread mention, App Home."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.formatters.outcomes import MARKS, click_answer, home_notice
from bot.services.actions import IdResult, Outcome, Report, Verb
from bot.services.pipeline import NO_INCIDENT, NOT_TRACKED

OTHER = "U0999WXYZ"
AT = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
DATE_TOKEN = re.compile(rf"<!date\^{int(AT.timestamp())}\^[^|<>]+\|2026-11-27 04:00 UTC>")
INCIDENT = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
EVIL = "<!channel> <https://evil|x> &"
ALLOWED_MARKUP = re.compile(rf"^<@{OTHER}>$|^<!date\^\d+\^[^|<>]+\|[^<>]+>$")


def one(outcome: Outcome, **fields: object) -> Report:
    """A report of one incident."""
    return Report(results=[IdResult(INCIDENT, outcome, **fields)])  # type: ignore[arg-type]  # test fields


@pytest.mark.parametrize("outcome", [Outcome.RESOLVED, Outcome.ACKNOWLEDGED, Outcome.CLOSED])
def test_done_says_nothing(outcome: Outcome) -> None:
    """When the action worked the message itself shows it: no reply."""
    assert click_answer(Verb.RESOLVE, one(outcome)) is None


def test_already_resolved_names_who_and_when() -> None:
    """Already resolved names who resolved it and when; without a person, Coralogix."""
    text = click_answer(Verb.RESOLVE, one(Outcome.ALREADY_RESOLVED, by=OTHER, at=AT))
    assert text is not None and text.startswith(f":ballot_box_with_check: Already resolved by <@{OTHER}> at ")
    assert DATE_TOKEN.search(text) and text.endswith(".")
    assert click_answer(Verb.ACKNOWLEDGE, one(Outcome.ALREADY_RESOLVED)) == (
        ":ballot_box_with_check: Already resolved by Coralogix."
    )


def test_already_acknowledged_names_who_or_someone() -> None:
    """Already acknowledged names who acknowledged it, or "someone"."""
    assert click_answer(Verb.ACKNOWLEDGE, one(Outcome.ALREADY_ACKNOWLEDGED, by=OTHER)) == (
        f":eyes: Already acknowledged by <@{OTHER}>."
    )
    assert (
        click_answer(Verb.ACKNOWLEDGE, one(Outcome.ALREADY_ACKNOWLEDGED)) == ":eyes: Already acknowledged by someone."
    )


@pytest.mark.parametrize(("doing", "word"), [("resolve", "resolved"), ("acknowledge", "acknowledged")])
def test_in_flight_names_what_the_other_action_does_and_who(doing: str, word: str) -> None:
    """An action already in flight names what it is doing and whose it is."""
    text = click_answer(Verb.RESOLVE, one(Outcome.IN_FLIGHT, reason=doing, by=OTHER))
    assert text == f":hourglass_flowing_sand: Already being {word} by <@{OTHER}>."


def test_not_tracked_points_to_the_command() -> None:
    """An alert the bot has no record of points to the slash command instead, escaped."""
    text = click_answer(Verb.RESOLVE, Report(problem=NOT_TRACKED))
    assert text is not None
    assert text.startswith(":grey_question: I don't have this alert on record")
    assert "/resolve-incident &lt;incident-id&gt;" in text


def test_no_incident_says_why() -> None:
    """No incident found says so, without an error id (nothing failed)."""
    assert click_answer(Verb.ACKNOWLEDGE, Report(problem=NO_INCIDENT)) == f":grey_question: {NO_INCIDENT}"


def test_a_problem_with_an_error_id_is_a_failure() -> None:
    """Nothing done because something failed (Coralogix refused the key): the reason, escaped, and the id."""
    text = click_answer(Verb.RESOLVE, Report(problem=EVIL, error_id="E7F3A0001"))
    assert text == (":warning: Could not resolve: &lt;!channel&gt; &lt;https://evil|x&gt; &amp;\nError id: `E7F3A0001`")


def test_failed_shows_reason_and_error_id() -> None:
    """A failure says what could not be done, why (escaped) and the error id."""
    report = Report(results=[IdResult(INCIDENT, Outcome.FAILED, reason=EVIL)], error_id="E-7f3a")
    assert click_answer(Verb.RESOLVE, report) == (
        ":warning: Could not resolve the incident: &lt;!channel&gt; &lt;https://evil|x&gt; &amp;\nError id: `E-7f3a`"
    )
    assert click_answer(Verb.ACKNOWLEDGE, one(Outcome.FAILED)) == (
        ":warning: Could not acknowledge the incident: unknown error"
    )


@pytest.mark.parametrize(
    "outcome", [o for o in Outcome if o not in (Outcome.RESOLVED, Outcome.ACKNOWLEDGED, Outcome.CLOSED)]
)
def test_every_answer_is_escaped(outcome: Outcome) -> None:
    """Every outcome that gets an answer carries no ping or disguised link from outside, even in the error id."""
    report = Report(results=[IdResult(INCIDENT, outcome, reason=EVIL, by=OTHER, at=AT)], error_id="<!here>")
    for text in (click_answer(Verb.RESOLVE, report), home_notice(report, "name")):
        assert text and "<!channel>" not in text and "<https://evil" not in text and "<!here>" not in text
        assert all(ALLOWED_MARKUP.match(m) for m in re.findall(r"<[^<>]*>", text)), text


def test_hostile_user_ids_are_escaped() -> None:
    """A stored user id is escaped before it is wrapped in a mention."""
    text = click_answer(Verb.RESOLVE, one(Outcome.ALREADY_RESOLVED, by="U1><!channel"))
    assert text is not None and "<!channel>" not in text


def test_home_notice_words() -> None:
    """App Home's notice names the incident and what happened to it, with the one mark per outcome."""
    assert home_notice(one(Outcome.RESOLVED), "*x*") == f"{MARKS[Outcome.RESOLVED]} Resolved **x**."
    assert home_notice(one(Outcome.ALREADY_RESOLVED), "db") == ":ballot_box_with_check: *db* was already resolved."
    assert home_notice(one(Outcome.NOT_FOUND), "db") == f":grey_question: `{INCIDENT}` is not in Coralogix any more."
    failed = Report(results=[IdResult(INCIDENT, Outcome.FAILED, reason="no")], error_id="E1")
    assert home_notice(failed, "db") == ":warning: Could not resolve *db*: no (error id `E1`)"
    assert home_notice(Report(problem="key refused", error_id="E2"), "") == (
        ":warning: Could not resolve: key refused (error id `E2`)"
    )


def test_closed_case_words() -> None:
    """A case already closed says so (it cannot be changed); App Home names what was closed."""
    assert click_answer(Verb.RESOLVE, one(Outcome.ALREADY_CLOSED)) == (
        ":file_folder: Already closed: a closed case cannot be changed."
    )
    assert home_notice(one(Outcome.CLOSED), "db") == ":file_folder: Closed *db*."
    assert home_notice(one(Outcome.ALREADY_CLOSED), "db") == ":file_folder: *db* was already closed."
