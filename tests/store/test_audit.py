"""The audit trail on real SQLite and PostgreSQL databases: record once per job, query, prune in batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event

from bot.store import AuditKind, AuditLog, AuditRecord, Decision, Store
from bot.store.engine import create_engine
from bot.store.migrations import current_revision, head_revision, run_revisions

NOW = datetime.now(UTC).replace(microsecond=0)
INCIDENT = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"


@pytest.fixture
async def audit(migrated_database_url: str) -> AsyncIterator[AuditLog]:
    """The audit log of a store on a migrated database whose tables are empty."""
    store = await Store.open(migrated_database_url)
    try:
        yield store.audit
    finally:
        await store.close()


def action(**overrides: Any) -> AuditRecord:
    """An allowed resolve by U0ALICE of one incident, with `overrides`."""
    values: dict[str, Any] = {
        "kind": AuditKind.ACTION,
        "at": NOW - timedelta(minutes=5),
        "user": "U0ALICE",
        "user_name": "alice",
        "surface": "command",
        "verb": "resolve",
        "incident_ids": (INCIDENT,),
        "decision": Decision.ALLOWED,
        "outcomes": {INCIDENT: "resolved"},
    }
    return AuditRecord(**{**values, **overrides})


async def test_a_record_reads_back_with_every_field(audit: AuditLog) -> None:
    """Every field written is read back as written, `at` timezone-aware, with the id the database gave."""
    written = action(
        job_id=7,
        user_email="alice@example.com",
        team="T0TEAM",
        channel="C0ALERTS",
        message_ts="1700000000.000100",
        note="rolled back the deploy",
        rule="on-call may resolve",
        error_id="EAB12CD34",
        coralogix_ms=412,
        detail={"alert_id": "alert-1"},
    )
    assert await audit.record(written)
    (read,) = await audit.query()
    assert read.id is not None
    assert read == replace(written, id=read.id)
    assert read.at.tzinfo is not None


async def test_a_job_is_recorded_once(audit: AuditLog) -> None:
    """Recording a job again (a resumed run) is a no-op that returns False; the first record stays."""
    assert await audit.record(action(job_id=1, outcomes={INCIDENT: "resolved"}))
    assert not await audit.record(action(job_id=1, outcomes={INCIDENT: "already_resolved"}))
    assert [r.outcomes for r in await audit.query()] == [{INCIDENT: "resolved"}]


async def test_two_processes_recording_one_job_write_one_record(audit: AuditLog) -> None:
    """Two runs of one job recording at the same moment: exactly one of them writes."""
    results = await asyncio.gather(*(audit.record(action(job_id=9)) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert len(await audit.query()) == 1


async def test_records_without_a_job_are_all_kept(audit: AuditLog) -> None:
    """Refusals before any job was journaled have no job id, and each one is a record."""
    refusal = action(kind=AuditKind.REFUSAL, decision=Decision.REFUSED, rule="not on call", outcomes={})
    assert await audit.record(refusal)
    assert await audit.record(refusal)
    assert [r.kind for r in await audit.query()] == ["refusal", "refusal"]


async def test_query_is_oldest_first_and_limit_keeps_the_newest(audit: AuditLog) -> None:
    """Records come in time order; a limit keeps the newest ones, still oldest first."""
    for minutes in (3, 1, 2):
        await audit.record(action(at=NOW - timedelta(minutes=minutes), note=f"{minutes} min ago"))
    assert [r.note for r in await audit.query()] == ["3 min ago", "2 min ago", "1 min ago"]
    assert [r.note for r in await audit.query(limit=2)] == ["2 min ago", "1 min ago"]


async def test_query_since(audit: AuditLog) -> None:
    """`since` keeps the records at or after it."""
    await audit.record(action(at=NOW - timedelta(days=2), note="old"))
    await audit.record(action(at=NOW - timedelta(hours=1), note="recent"))
    await audit.record(action(at=NOW - timedelta(days=1), note="on the dot"))
    found = await audit.query(since=NOW - timedelta(days=1))
    assert [r.note for r in found] == ["on the dot", "recent"]


async def test_times_in_any_zone_are_the_same_instants(audit: AuditLog) -> None:
    """A time given with another offset is stored as its instant: it reads back equal and compares right."""
    berlin = timezone(timedelta(hours=2))
    at = (NOW - timedelta(minutes=30)).astimezone(berlin)
    await audit.record(action(at=at))
    (read,) = await audit.query(since=(NOW - timedelta(minutes=31)).astimezone(berlin))
    assert read.at == at
    assert read.at.utcoffset() == timedelta(0)
    assert await audit.query(since=(NOW - timedelta(minutes=29)).astimezone(berlin)) == []


async def test_query_user(audit: AuditLog) -> None:
    """`user` keeps that Slack user's records."""
    await audit.record(action(user="U0ALICE"))
    await audit.record(action(user="U0BOB"))
    await audit.record(action(kind=AuditKind.NOTIFICATION, user=None))
    assert [r.user for r in await audit.query(user="U0BOB")] == ["U0BOB"]


async def test_query_incident_matches_whole_ids_only(audit: AuditLog) -> None:
    """`incident` keeps records naming that id among theirs; an id that merely contains it does not match."""
    await audit.record(action(incident_ids=("abc", INCIDENT), note="both"))
    await audit.record(action(incident_ids=("abcd",), note="longer id"))
    await audit.record(action(incident_ids=(), note="none"))
    assert [r.note for r in await audit.query(incident="abc")] == ["both"]
    assert [r.note for r in await audit.query(incident=INCIDENT)] == ["both"]
    assert await audit.query(incident="ab") == []


async def test_query_outcome_matches_any_incident_with_it(audit: AuditLog) -> None:
    """`outcome` keeps records where any incident came to it, not records where it is only a key."""
    await audit.record(action(incident_ids=("a", "b"), outcomes={"a": "resolved", "b": "failed"}, note="mixed"))
    await audit.record(action(incident_ids=("c",), outcomes={"c": "not_found"}, note="missing"))
    await audit.record(action(incident_ids=("failed",), outcomes={"failed": "resolved"}, note="odd id"))
    assert [r.note for r in await audit.query(outcome="failed")] == ["mixed"]
    assert [r.note for r in await audit.query(outcome="not_found")] == ["missing"]
    assert [r.note for r in await audit.query(outcome="resolved")] == ["mixed", "odd id"]


async def test_query_refused_and_failed_also_read_the_decision_and_problem(audit: AuditLog) -> None:
    """`refused` matches refused and partly refused attempts; `failed` matches actions that could not start."""
    await audit.record(action(kind=AuditKind.REFUSAL, decision=Decision.REFUSED, outcomes={}, note="refused"))
    await audit.record(action(decision=Decision.PARTLY, note="partly"))
    await audit.record(action(outcomes={}, problem="Coralogix refused the API key", note="problem"))
    await audit.record(action(note="fine"))
    assert [r.note for r in await audit.query(outcome="refused")] == ["refused", "partly"]
    assert [r.note for r in await audit.query(outcome="failed")] == ["problem"]


async def test_filters_combine(audit: AuditLog) -> None:
    """Every filter given must hold."""
    await audit.record(action(user="U0BOB", outcomes={INCIDENT: "failed"}, note="bob failed"))
    await audit.record(action(user="U0ALICE", outcomes={INCIDENT: "failed"}, note="alice failed"))
    await audit.record(action(user="U0BOB", note="bob resolved"))
    found = await audit.query(since=NOW - timedelta(hours=1), user="U0BOB", incident=INCIDENT, outcome="failed")
    assert [r.note for r in found] == ["bob failed"]


async def test_overlong_values_are_cut_to_fit_instead_of_losing_the_record(audit: AuditLog) -> None:
    """A name longer than its column is stored cut short (PostgreSQL would refuse it whole)."""
    assert await audit.record(action(user_name="x" * 1000, note="n" * 10_000))
    (read,) = await audit.query()
    assert read.user_name == "x" * 254 + "…"
    assert read.note == "n" * 10_000


async def test_prune_deletes_old_records_in_bounded_batches(audit: AuditLog) -> None:
    """12 records older than the cutoff with a batch of 5: three DELETEs of at most 5, and recent ones stay."""
    for i in range(12):
        await audit.record(action(at=NOW - timedelta(days=401), job_id=i))
    await audit.record(action(at=NOW - timedelta(days=399), note="kept"))
    deleted: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM AUDIT_RECORDS"):
            deleted.append(cursor.rowcount)

    event.listen(audit.engine.sync_engine, "after_cursor_execute", count)
    try:
        removed = await audit.prune(NOW - timedelta(days=400), batch=5)
    finally:
        event.remove(audit.engine.sync_engine, "after_cursor_execute", count)
    assert removed == 12
    assert deleted == [5, 5, 2]
    assert [r.note for r in await audit.query()] == ["kept"]


def test_a_record_needs_a_timezone() -> None:
    """A naive `at` is refused: every time the bot stores is UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditRecord(kind=AuditKind.ACTION, at=datetime(2026, 12, 1, 12, 0))


async def test_a_database_of_the_previous_release_gains_the_audit_trail(database_url: str) -> None:
    """A database at revision 0003 is upgraded when the bot opens it (0004 adds the table) and records at once."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_revisions, "0003")
    finally:
        await engine.dispose()
    store = await Store.open(database_url)
    try:
        async with store.engine.connect() as connection:
            assert await connection.run_sync(current_revision) == head_revision()
        assert await store.audit.record(action(job_id=1))
        assert len(await store.audit.query()) == 1
    finally:
        await store.close()
