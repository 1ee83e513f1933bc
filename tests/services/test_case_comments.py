"""The comment an action leaves on a case: who, where and the note, within the length Coralogix takes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.actions import Verb
from bot.services.case_comments import COMMENT_LIMIT, comment_text


@dataclass(frozen=True)
class Person:
    """A person as the directory describes them."""

    real_name: str | None
    handle: str | None


def test_the_comment_names_the_person_the_channel_and_the_note() -> None:
    """Real name, @handle, #channel and the note, in the issue's words."""
    text = comment_text(
        Verb.RESOLVE, user="U1", person=Person("Jane Doe", "jane"), channel="payments", note=" fixed <it> "
    )
    assert text == "Resolved from Slack by Jane Doe (@jane) in #payments: fixed <it>"


def test_each_verb_has_its_words_and_unknown_people_their_id() -> None:
    """Close and acknowledge say so; a person Slack does not describe is named by their user id."""
    assert comment_text(Verb.CLOSE, user="U1", person=None, channel=None, note=None) == (
        "Closed as a false alarm from Slack by Slack user U1"
    )
    assert comment_text(Verb.ACKNOWLEDGE, user="U1", person=Person(None, "jane"), channel="ops", note="") == (
        "Acknowledged from Slack by @jane in #ops"
    )


def test_a_long_note_is_cut_to_the_limit() -> None:
    """A 5 000-character note leaves a comment of COMMENT_LIMIT characters ending in an ellipsis."""
    text = comment_text(Verb.RESOLVE, user="U1", person=Person("Jane", "j"), channel="c", note="x" * 5000)
    assert len(text) == COMMENT_LIMIT and text.endswith("…")
