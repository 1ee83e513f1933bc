"""Tests for `bot.formatters.summary`: the channel summary of a resolve, as Block Kit."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.api.models import Incident, IncidentSeverity, IncidentStatus
from bot.formatters.common import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, Message
from bot.formatters.summary import summary_message
from bot.ids import BlockId
from bot.services.actions import IdResult, Outcome, Report
from tests.factories import uuid
from tests.formatters.blockkit import strings

USER = "U0123ABCD"
AT = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
EVIL = "<!channel> & <https://evil.example|click>"
SIZES = [1, 10, 11, 500, 1000]
# The four outcomes a resolve mostly comes to (the others have tests of their own below).
OUTCOMES = [Outcome.RESOLVED, Outcome.ALREADY_RESOLVED, Outcome.NOT_FOUND, Outcome.FAILED]
# Everything `<…>` the summary itself may render: the requester's mention and the date token.
ALLOWED_MARKUP = re.compile(rf"^<@{USER}>$|^<!date\^\d+\^[^|<>]+\|[^<>]+>$")


def incident(n: int, *, name: str | None = None, app: str | None = None, subsystem: str | None = None) -> Incident:
    """An incident with an optional name and application/subsystem display labels."""
    labels = {}
    if app is not None:
        labels["applicationName"] = app
    if subsystem is not None:
        labels["subsystemName"] = subsystem
    return Incident(
        id=uuid(n),
        name=name if name is not None else f"Incident {n}",
        severity=IncidentSeverity.CRITICAL,
        status=IncidentStatus.RESOLVED,
        display_labels=labels,
    )


def mixed_report(n: int, *, name: str | None = None, reason: str = "Coralogix had an internal error") -> Report:
    """`n` results cycling through every outcome; failed and not-found ones carry `reason`."""
    results = []
    for i in range(n):
        outcome = OUTCOMES[i % len(OUTCOMES)]
        failing = outcome in (Outcome.FAILED, Outcome.NOT_FOUND)
        inc = None if outcome is Outcome.NOT_FOUND else incident(i, name=name, app=f"app-{i}", subsystem=f"sub-{i}")
        results.append(IdResult(uuid(i), outcome, inc, reason if failing else None))
    return Report(results)


def render(report: Report, **kwargs: Any) -> Message:
    """The summary with the test's requester and time."""
    return summary_message(report, user_id=USER, at=AT, **kwargs)


def texts(message: Message) -> list[str]:
    """The mrkdwn texts of every section and context block."""
    found = []
    for block in message.blocks:
        if block["type"] == "section":
            found.append(block["text"]["text"])
        elif block["type"] == "context":
            found.extend(element["text"] for element in block["elements"])
    return found


def everything(message: Message) -> str:
    """All text of the message, blocks and fallback, joined."""
    return "\n".join([message.text, *strings(message.blocks)])


def assert_within_limits(message: Message) -> None:
    """Slack's Block Kit limits hold, and slack_sdk's own models accept every block."""
    assert 0 < len(message.blocks) <= MESSAGE_BLOCK_LIMIT
    for text in texts(message):
        assert 0 < len(text) <= SECTION_TEXT_LIMIT
    block_ids = [b["block_id"] for b in message.blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert all(len(b) <= 255 for b in block_ids)
    for raw in message.blocks:
        block = Block.parse(raw)
        assert block is not None
        assert block.type == raw["type"]
        if hasattr(block, "validate_json"):
            block.validate_json()
        assert block.to_dict() == raw


# -- structure -------------------------------------------------------------------------------


def test_structure_of_a_mixed_report() -> None:
    """Header first, one section per outcome group in a fixed order, footer last, each with its BlockId."""
    message = render(mixed_report(8))
    block_ids = [b.get("block_id") for b in message.blocks]
    assert block_ids == [
        BlockId.SUMMARY_HEADER,
        BlockId.SUMMARY_FAILED,
        BlockId.SUMMARY_NOT_FOUND,
        BlockId.SUMMARY_RESOLVED,
        BlockId.SUMMARY_ALREADY,
        BlockId.SUMMARY_FOOTER,
    ]
    assert message.blocks[0]["type"] == "section"
    assert message.blocks[-1]["type"] == "context"


def test_empty_groups_are_left_out() -> None:
    """Only outcomes that occurred get a section."""
    report = Report([IdResult(uuid(1), Outcome.RESOLVED, incident(1))])
    block_ids = [b.get("block_id") for b in render(report).blocks]
    assert block_ids == [BlockId.SUMMARY_HEADER, BlockId.SUMMARY_RESOLVED, BlockId.SUMMARY_FOOTER]


def test_every_outcome_has_a_heading() -> None:
    """No outcome falls out of the summary: closed and already-closed cases get sections and counts too."""
    results = [IdResult(uuid(i), outcome) for i, outcome in enumerate(Outcome)]
    message = render(Report(results))
    text = " ".join(strings(message.blocks))
    assert all(uuid(i) in text for i in range(len(results)))
    block_ids = {b.get("block_id") for b in message.blocks}
    assert {BlockId.SUMMARY_CLOSED, BlockId.SUMMARY_ALREADY_CLOSED} <= block_ids
    assert "1 closed" in message.blocks[0]["text"]["text"]
    assert "1 already closed" in message.blocks[0]["text"]["text"]


def test_group_headings_and_members() -> None:
    """Each group's section names its outcome and lists its own incidents only."""
    message = render(mixed_report(4))
    by_id = {b.get("block_id"): b for b in message.blocks}
    resolved = by_id[BlockId.SUMMARY_RESOLVED]["text"]["text"]
    assert "Resolved" in resolved
    assert "Incident 0" in resolved
    assert uuid(0) in resolved
    assert uuid(1) not in resolved
    assert "Already resolved" in by_id[BlockId.SUMMARY_ALREADY]["text"]["text"]
    assert uuid(1) in by_id[BlockId.SUMMARY_ALREADY]["text"]["text"]
    assert "Not found" in by_id[BlockId.SUMMARY_NOT_FOUND]["text"]["text"]
    assert uuid(2) in by_id[BlockId.SUMMARY_NOT_FOUND]["text"]["text"]
    assert "Failed" in by_id[BlockId.SUMMARY_FAILED]["text"]["text"]
    assert uuid(3) in by_id[BlockId.SUMMARY_FAILED]["text"]["text"]


def test_header_counts() -> None:
    """The header says how many of how many were resolved, and what happened to the rest."""
    header = render(mixed_report(8)).blocks[0]["text"]["text"]
    assert "Resolved 2 of 8 incidents" in header
    assert "2 already resolved" in header
    assert "2 not found" in header
    assert "2 failed" in header


def test_header_singular_and_no_extras() -> None:
    """One resolved incident reads `1 of 1 incident` with no empty extras."""
    report = Report([IdResult(uuid(1), Outcome.RESOLVED, incident(1))])
    header = render(report).blocks[0]["text"]["text"]
    assert header == "*Resolved 1 of 1 incident*"


def test_footer_names_requester_and_date_token() -> None:
    """The footer mentions the requester and shows the time as a `<!date^…>` token with a UTC fallback."""
    footer = render(mixed_report(3)).blocks[-1]
    assert footer["block_id"] == BlockId.SUMMARY_FOOTER
    text = footer["elements"][0]["text"]
    assert f"<@{USER}>" in text
    stamp = int(AT.timestamp())
    assert re.search(rf"<!date\^{stamp}\^[^|]+\|2026-11-27 04:00 UTC>", text)


def test_date_token_for_naive_time_is_utc() -> None:
    """A naive time is taken as UTC, not as the server's local time."""
    message = summary_message(mixed_report(1), user_id=USER, at=datetime(2026, 11, 27, 4, 0))
    assert f"<!date^{int(AT.timestamp())}^" in message.blocks[-1]["elements"][0]["text"]


def test_fallback_text_has_counts_and_requester() -> None:
    """The top-level text (notifications, screen readers) carries the counts and the requester."""
    message = render(mixed_report(8))
    assert message.text
    assert "Resolved 2 of 8 incidents" in message.text
    assert "2 failed" in message.text
    assert f"<@{USER}>" in message.text


def test_incident_without_name_shows_its_id() -> None:
    """An incident with no name is listed by its id."""
    report = Report([IdResult(uuid(5), Outcome.RESOLVED, Incident(id=uuid(5)))])
    section = render(report).blocks[1]["text"]["text"]
    assert f"`{uuid(5)}`" in section


def test_labels_shown_for_few_results() -> None:
    """With up to ten results each line shows its application and subsystem."""
    report = Report([IdResult(uuid(1), Outcome.RESOLVED, incident(1, app="checkout", subsystem="payments-api"))])
    section = render(report).blocks[1]["text"]["text"]
    assert "app: checkout" in section
    assert "subsystem: payments-api" in section


def test_labels_from_contextual_labels() -> None:
    """Application and subsystem are also found in prefixed contextual labels."""
    inc = Incident(
        id=uuid(1),
        name="n",
        contextual_labels={"cx.applicationName": "billing", "cx.subsystemName": "worker"},
    )
    section = render(Report([IdResult(uuid(1), Outcome.RESOLVED, inc)])).blocks[1]["text"]["text"]
    assert "app: billing" in section
    assert "subsystem: worker" in section


def test_many_results_are_compact() -> None:
    """Past ten results lines drop the labels, but every id is still listed."""
    report = mixed_report(11)
    message = render(report)
    joined = "\n".join(texts(message))
    assert "app:" not in joined
    for result in report.results:
        assert result.id in joined


@pytest.mark.parametrize("n", [4, 40])
def test_failed_results_show_their_reason(n: int) -> None:
    """Failed and not-found results show why, in detailed and compact form."""
    message = render(mixed_report(n, reason="the key lacks incidents:close"))
    failed = next(b for b in message.blocks if b.get("block_id") == BlockId.SUMMARY_FAILED)
    assert "the key lacks incidents:close" in failed["text"]["text"]


def test_compact_failures_sharing_a_reason_share_a_line() -> None:
    """Compact failures with one reason list their ids together after the reason, once."""
    results = [IdResult(uuid(i), Outcome.FAILED, reason="Coralogix is down") for i in range(20)]
    message = render(Report(results))
    failed = next(b for b in message.blocks if b.get("block_id") == BlockId.SUMMARY_FAILED)["text"]["text"]
    assert failed.count("Coralogix is down") == 1
    assert all(uuid(i) in failed for i in range(20))


def test_error_id_shown_when_something_failed() -> None:
    """The error id appears in the footer when a result failed."""
    message = render(mixed_report(4), error_id="E-7f3a")
    assert "E-7f3a" in message.blocks[-1]["elements"][0]["text"]


def test_error_id_hidden_without_failures() -> None:
    """An error id is left out when nothing failed."""
    report = Report([IdResult(uuid(1), Outcome.RESOLVED, incident(1))])
    assert "E-7f3a" not in everything(render(report, error_id="E-7f3a"))


def test_note_shown_escaped() -> None:
    """A note appears in the footer, escaped."""
    message = render(mixed_report(2), note="ran by <!here> & co")
    footer = message.blocks[-1]["elements"][0]["text"]
    assert "Note: ran by &lt;!here&gt; &amp; co" in footer
    assert "<!here>" not in everything(message)


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_limits_for_mixed_reports(n: int) -> None:
    """Any number of results stays within Slack's limits and validates with slack_sdk."""
    message = render(mixed_report(n), error_id="E1", note="nightly clean-up")
    assert_within_limits(message)
    assert f"of {n} incident" in message.text


@pytest.mark.parametrize("n", SIZES)
def test_limits_with_long_names_and_reasons(n: int) -> None:
    """500-character names and long reasons, some full of characters that grow when escaped, stay in limits."""
    report = mixed_report(n, name="N&<" * 167, reason="because <&> " * 200)
    message = render(report, error_id="E1", note="<&>" * 300)
    assert_within_limits(message)


@pytest.mark.parametrize("n", SIZES)
def test_limits_with_distinct_long_reasons(n: int) -> None:
    """Every failure with its own long reason still fits, with a note when not all lines can be shown."""
    results = [IdResult(uuid(i), Outcome.FAILED, reason=f"reason {i}: " + "x" * 1000) for i in range(n)]
    message = render(Report(results))
    assert_within_limits(message)
    assert message.blocks[-1]["block_id"] == BlockId.SUMMARY_FOOTER
    assert f"Resolved 0 of {n}" in message.blocks[0]["text"]["text"]


def test_overflow_is_announced() -> None:
    """When results do not fit in 50 blocks the message says so, and the counts still cover every id."""
    results = [IdResult(uuid(i), Outcome.FAILED, reason=f"reason {i}: " + "x" * 1000) for i in range(1000)]
    message = render(Report(results))
    assert len(message.blocks) == MESSAGE_BLOCK_LIMIT
    assert any("more than one message can show" in t for t in texts(message))
    assert "Resolved 0 of 1000 incidents (1000 failed)" in message.text


@pytest.mark.parametrize("reason", ["R" * 600, "&" * 600, "<>" * 300])
def test_every_failed_id_listed_when_reasons_are_long(reason: str) -> None:
    """1 000 failures sharing a long reason (even one that grows fivefold when escaped) still list every id."""
    ids = [uuid(i) for i in range(1000)]
    message = render(Report([IdResult(i, Outcome.FAILED, reason=reason) for i in ids]))
    assert_within_limits(message)
    joined = "\n".join(texts(message))
    missing = [i for i in ids if f"`{i}`" not in joined]
    assert missing == []


@pytest.mark.parametrize("n", [500, 1000])
def test_every_resolved_id_listed_when_it_fits(n: int) -> None:
    """Hundreds of resolved incidents with short names all appear in the message."""
    report = Report([IdResult(uuid(i), Outcome.RESOLVED, Incident(id=uuid(i))) for i in range(n)])
    message = render(report)
    assert_within_limits(message)
    joined = "\n".join(texts(message))
    assert all(uuid(i) in joined for i in range(0, n, 7))


def test_continuation_blocks_have_unique_ids() -> None:
    """A group split over several sections numbers its block ids after the group's id."""
    report = Report([IdResult(uuid(i), Outcome.RESOLVED, incident(i, name="x" * 140)) for i in range(200)])
    ids = [b["block_id"] for b in render(report).blocks if "block_id" in b]
    resolved = [i for i in ids if i.startswith(BlockId.SUMMARY_RESOLVED)]
    assert len(resolved) > 1
    assert resolved[0] == BlockId.SUMMARY_RESOLVED
    assert resolved[1:] == [f"{BlockId.SUMMARY_RESOLVED}_{n}" for n in range(1, len(resolved))]


# -- escaping --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 11])
def test_incident_name_escaped(n: int) -> None:
    """A hostile incident name cannot ping the channel or hide a link, in detailed or compact form."""
    report = Report([IdResult(uuid(i), Outcome.RESOLVED, incident(i, name=EVIL)) for i in range(n)])
    message = render(report)
    rendered = everything(message)
    assert "<!channel>" not in rendered
    assert "<https://evil" not in rendered
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in rendered


def test_labels_reasons_and_note_escaped() -> None:
    """Application, subsystem, reasons and note are escaped too; only the bot's own markup remains."""
    results = [
        IdResult(uuid(1), Outcome.RESOLVED, incident(1, name=EVIL, app="<!here>", subsystem="<@U999>")),
        IdResult(uuid(2), Outcome.FAILED, incident(2, name=EVIL), reason="<!everyone> <https://evil.example|x>"),
        IdResult(uuid(3), Outcome.NOT_FOUND, reason="<#C123> & <!subteam^S1>"),
    ]
    message = render(Report(results), note="<!channel>", error_id="<!here>")
    rendered = everything(message)
    for hostile in ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<#C123>", "<!subteam", "<https://evil"):
        assert hostile not in rendered
    assert "app: &lt;!here&gt;" in rendered
    assert "subsystem: &lt;@U999&gt;" in rendered
    assert "&lt;!everyone&gt;" in rendered
    assert "&lt;#C123&gt; &amp; &lt;!subteam^S1&gt;" in rendered
    markup = re.findall(r"<[^<>]*>", rendered)
    assert markup
    assert all(ALLOWED_MARKUP.match(m) for m in markup), markup


@pytest.mark.parametrize("n", [1, 11, 1000])
def test_only_own_markup_in_hostile_compact_reports(n: int) -> None:
    """Whatever the size, the only `<…>` left are the requester mention and the date token."""
    message = render(mixed_report(n, name=EVIL, reason=EVIL), note=EVIL, error_id=EVIL)
    markup = re.findall(r"<[^<>]*>", everything(message))
    assert all(ALLOWED_MARKUP.match(m) for m in markup), sorted(set(markup))


def test_long_hostile_name_not_cut_mid_escape() -> None:
    """Cutting a long name never leaves half an escape sequence such as `&am`."""
    report = Report([IdResult(uuid(1), Outcome.RESOLVED, incident(1, name="&" * 500))])
    section = render(report).blocks[1]["text"]["text"]
    assert re.search(r"&(?!amp;|lt;|gt;)", section) is None


def test_failures_survive_when_a_huge_summary_is_cut() -> None:
    """990 resolved incidents with long names plus 10 failures: every failed id is still shown."""
    resolved = [
        IdResult(
            uuid(n),
            Outcome.RESOLVED,
            Incident(id=uuid(n), name="x" * 120),
        )
        for n in range(990)
    ]
    failed = [IdResult(uuid(990 + n), Outcome.FAILED, reason="Coralogix 500") for n in range(10)]
    message = summary_message(Report(resolved + failed), user_id=USER, at=datetime.now(UTC))
    content = " ".join(b["text"]["text"] for b in message.blocks if "text" in b)
    assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT
    assert all(r.id in content for r in failed)


def test_in_flight_and_refused_ids_have_headings_and_name_who() -> None:
    """An incident another action is on names that person; a refused one its reason; counts say both."""
    report = Report(
        results=[
            IdResult(uuid(1), Outcome.IN_FLIGHT, incident(1), reason="resolve", by="U0OTHER"),
            IdResult(uuid(2), Outcome.REFUSED, incident(2), reason="critical incidents are for the commander"),
            IdResult(uuid(3), Outcome.RESOLVED, incident(3)),
        ]
    )
    message = render(report)
    text = everything(message)
    assert "Resolved 1 of 3 incidents (1 being resolved by someone else, 1 not allowed)" in text
    assert "*Being resolved by someone else*" in text and "by <@U0OTHER>" in text
    assert "*Not allowed*" in text and "critical incidents are for the commander" in text
    assert_within_limits(message)
