"""Audit records written out: the terminal table, CSV with every field, JSON lines."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from bot.audit_output import to_json, write_csv, write_jsonl, write_table
from bot.store import AuditKind, AuditRecord, Decision
from bot.store.audit import FIELDS
from tests.conftest import ROOT

A = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
B = "7d0c9e11-2b4a-4f5e-8c3d-1a2b3c4d5e6f"
C = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
README = (ROOT / "README.md").read_text()
AT = datetime(2026, 12, 1, 14, 3, 22, tzinfo=UTC)

NOTIFICATION = AuditRecord(
    id=1,
    at=AT,
    kind=AuditKind.NOTIFICATION,
    job_id=10,
    surface="webhook",
    verb="trigger",
    incident_ids=(A,),
    detail={"alert_id": "cpu-high", "did": "posted"},
)
RESOLVE = AuditRecord(
    id=2,
    at=AT.replace(minute=10),
    kind=AuditKind.ACTION,
    job_id=11,
    user="U0ALICE",
    user_name="Alice Liddell",
    user_email="alice@example.com",
    team="T0TEAM",
    surface="command",
    channel="C0OPS",
    message_ts="1700000000.000100",
    verb="resolve",
    incident_ids=(A, B, C),
    note='rolled back, see "deploy 42"\nsecond line',
    decision=Decision.PARTLY,
    rule="prod needs on-call",
    outcomes={A: "resolved", B: "resolved", C: "refused"},
    coralogix_ms=412,
)
REFUSAL = AuditRecord(
    id=3,
    at=AT.replace(minute=20),
    kind=AuditKind.REFUSAL,
    user="U0MALLORY",
    user_name="=mallory\x1b[2J",
    surface="picker",
    verb="resolve",
    incident_ids=(B,),
    decision=Decision.REFUSED,
    rule="not on call",
)
FAILED = AuditRecord(
    id=4,
    at=AT.replace(minute=30),
    kind=AuditKind.ACTION,
    job_id=12,
    user="U0BOB",
    surface="thread",
    verb="acknowledge",
    incident_ids=(A, B),
    decision=Decision.ALLOWED,
    problem="Coralogix refused the API key (401)",
    error_id="E1A2B3C4D",
)
RECORDS = [NOTIFICATION, RESOLVE, REFUSAL, FAILED]
TABLE = """\
WHEN (UTC)           USER                      SURFACE  ACTION                INCIDENTS             DECISION                    OUTCOMES                             ERROR
2026-12-01 14:03:22  -                         webhook  notification trigger  3f1c2a9e…             -                           alert_id=cpu-high, did=posted        -
2026-12-01 14:10:22  Alice Liddell (U0ALICE)   command  resolve               3 incidents           partly: prod needs on-call  2 resolved, 1 refused                -
2026-12-01 14:20:22  =mallory [2J (U0MALLORY)  picker   refusal resolve       7d0c9e11…             refused: not on call        -                                    -
2026-12-01 14:30:22  U0BOB                     thread   acknowledge           3f1c2a9e…, 7d0c9e11…  allowed                     Coralogix refused the API key (401)  E1A2B3C4D
"""  # noqa: E501 - the table is as wide as it prints


def written(write: Callable[[list[AuditRecord], TextIO], None], records: list[AuditRecord]) -> str:
    """What `write` prints for `records`."""
    out = io.StringIO()
    write(records, out)
    return out.getvalue()


def test_table_is_aligned_columns_of_what_a_person_scans_for() -> None:
    """Time in UTC, name (id), surface, action, shortened ids or a count, decision: rule, outcome counts, error id."""
    assert written(write_table, RECORDS) == TABLE


def test_table_cells_never_carry_control_characters_or_run_long() -> None:
    """A name with a terminal escape prints without it; a long note-free cell is cut to 40 characters."""
    long_rule = AuditRecord(at=AT, kind=AuditKind.ACTION, decision="refused", rule="r" * 100)
    text = written(write_table, [REFUSAL, long_rule])
    assert "\x1b" not in text
    assert "=mallory [2J (U0MALLORY)" in text
    assert "refused: " + "r" * 30 + "…" in text
    assert "r" * 32 not in text


def test_csv_has_every_field_of_every_record() -> None:
    """The header names every field; each row reads back to the record (JSON fields as JSON text)."""
    rows = list(csv.reader(io.StringIO(written(write_csv, RECORDS))))
    assert rows[0] == list(FIELDS)
    assert len(rows) == 1 + len(RECORDS)
    resolve = dict(zip(rows[0], rows[2], strict=True))
    assert resolve["at"] == "2026-12-01T14:10:22+00:00"
    assert resolve["note"] == RESOLVE.note
    assert json.loads(resolve["incident_ids"]) == [A, B, C]
    assert json.loads(resolve["outcomes"]) == RESOLVE.outcomes
    assert (resolve["coralogix_ms"], resolve["detail"], resolve["problem"]) == ("412", "", "")
    notification = dict(zip(rows[0], rows[1], strict=True))
    assert json.loads(notification["detail"]) == NOTIFICATION.detail
    assert notification["user"] == ""


def test_csv_cells_a_spreadsheet_would_run_are_defused() -> None:
    """A cell starting with = gets a leading apostrophe; control characters become �."""
    rows = list(csv.reader(io.StringIO(written(write_csv, [REFUSAL]))))
    assert dict(zip(rows[0], rows[1], strict=True))["user_name"] == "'=mallory\N{REPLACEMENT CHARACTER}[2J"


def test_csv_of_nothing_is_its_header() -> None:
    """No records: the header line alone, still a valid CSV file."""
    assert written(write_csv, []) == ",".join(FIELDS) + "\r\n"


def test_jsonl_is_one_object_per_record_with_every_field() -> None:
    """Each line is a JSON object of every field as stored, control characters escaped."""
    lines = written(write_jsonl, RECORDS).splitlines()
    assert [json.loads(line) for line in lines] == [to_json(r) for r in RECORDS]
    assert json.loads(lines[2])["user_name"] == "=mallory\x1b[2J"
    assert "\x1b" not in lines[2]
    assert set(json.loads(lines[0])) == set(FIELDS)


def test_readme_table_sample_is_what_the_table_prints() -> None:
    """The README's `python -m bot audit` table sample is the real output for the records it shows."""
    sample = re.search(r"- `table` \(the default\), for a terminal:\n\n  ```\n(.*?)  ```", README, re.S)
    assert sample is not None
    bob = AuditRecord(
        at=AT.replace(minute=30),
        kind=AuditKind.ACTION,
        user="U0BOB",
        user_name="Bob",
        surface="thread",
        verb="acknowledge",
        incident_ids=(A,),
        decision=Decision.ALLOWED,
        problem="Coralogix refused the API key (401)",
        error_id="E1A2B3C4D",
    )
    refusal = AuditRecord(
        at=AT.replace(minute=31, second=5),
        kind=AuditKind.REFUSAL,
        user="U0MALLORY",
        user_name="mallory",
        surface="picker",
        verb="resolve",
        incident_ids=(B,),
        decision=Decision.REFUSED,
        rule="not on call",
    )
    shown = "".join(line.removeprefix("  ") + "\n" for line in sample.group(1).splitlines())
    assert shown == written(write_table, [NOTIFICATION, RESOLVE, bob, refusal])
