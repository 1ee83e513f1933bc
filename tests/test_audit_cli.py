"""`python -m bot audit`: options, only DATABASE_URL needed, records and nothing else, a clear line for nothing."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, make_url

from bot.__main__ import USAGE
from bot.__main__ import main as bot_main
from bot.audit_cli import build_parser, main, parse_since, show
from bot.store import AuditKind, AuditRecord, Decision, Store
from bot.store.audit import FIELDS
from bot.store.engine import create_engine
from tests.conftest import BASE_SETTINGS, ROOT
from tests.fakes.server import free_port

NOW = datetime.now(UTC).replace(microsecond=0)
A = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
B = "7d0c9e11-2b4a-4f5e-8c3d-1a2b3c4d5e6f"


def resolve(**overrides: Any) -> AuditRecord:
    """An allowed resolve of A by U0ALICE five minutes ago, with `overrides`."""
    values: dict[str, Any] = {
        "at": NOW - timedelta(minutes=5),
        "kind": AuditKind.ACTION,
        "user": "U0ALICE",
        "user_name": "Alice",
        "surface": "command",
        "verb": "resolve",
        "incident_ids": (A,),
        "decision": Decision.ALLOWED,
        "outcomes": {A: "resolved"},
    }
    return AuditRecord(**{**values, **overrides})


async def fill(url: str, *records: AuditRecord) -> None:
    """A migrated database at `url` holding `records`, written through the audit log."""
    store = await Store.open(url)
    try:
        for record in records:
            assert await store.audit.record(record)
    finally:
        await store.close()


async def audit(url: str, *args: str) -> tuple[int, str, str]:
    """Run the command in-process on `url`: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = await show(build_parser().parse_args(list(args)), url, out, err)
    return code, out.getvalue(), err.getvalue()


async def test_the_last_24_hours_by_default_oldest_first(database_url: str) -> None:
    """Without --since, records of the last day print as a table, oldest first; older ones do not."""
    await fill(
        database_url,
        resolve(at=NOW - timedelta(days=2), user="U0OLD"),
        resolve(at=NOW - timedelta(minutes=5), user="U0LATER"),
        resolve(at=NOW - timedelta(hours=23), user="U0EARLIER"),
    )
    code, out, err = await audit(database_url)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("WHEN (UTC)  ")
    assert len(lines) == 3 and "U0EARLIER" in lines[1] and "U0LATER" in lines[2]


async def test_every_filter_reaches_the_query(database_url: str) -> None:
    """--user, --incident (an id pasted in capitals), --outcome and --limit all narrow the output."""
    await fill(
        database_url,
        resolve(at=NOW - timedelta(minutes=9), job_id=1, user="U0BOB", incident_ids=(A, B), outcomes={A: "failed"}),
        resolve(at=NOW - timedelta(minutes=8), job_id=2, user="U0BOB", outcomes={A: "failed"}),
        resolve(at=NOW - timedelta(minutes=7), job_id=3, user="U0BOB", incident_ids=(B,), outcomes={B: "failed"}),
        resolve(at=NOW - timedelta(minutes=6), job_id=4, user="U0ALICE", outcomes={A: "failed"}),
        resolve(at=NOW - timedelta(minutes=5), job_id=5, user="U0BOB"),
    )
    args = ("--user", "U0BOB", "--incident", A.upper(), "--outcome", "failed", "--format", "jsonl")
    code, out, _ = await audit(database_url, *args)
    assert code == 0
    assert [json.loads(line)["job_id"] for line in out.splitlines()] == [1, 2]
    code, out, _ = await audit(database_url, *args, "--limit", "1")
    assert [json.loads(line)["job_id"] for line in out.splitlines()] == [2]


async def test_nothing_matching_is_one_clear_line(database_url: str) -> None:
    """An empty table is one line on stdout naming since when and the filters, and exit status 0."""
    await fill(database_url, resolve())
    code, out, err = await audit(database_url, "--since", "2026-12-01", "--user", "U0X", "--outcome", "refused")
    assert (code, err) == (0, "")
    assert out == "No audit records since 2026-12-01 00:00 UTC matching user U0X, outcome refused.\n"


async def test_nothing_matching_in_csv_or_jsonl_stays_machine_readable(database_url: str) -> None:
    """CSV prints its header alone and JSON lines nothing; the clear line goes to stderr, status 0."""
    await fill(database_url, resolve())
    code, out, err = await audit(database_url, "--since", "2026-12-01T06:30", "--user", "U0X", "--format", "csv")
    assert (code, out.splitlines()) == (0, [",".join(FIELDS)])
    assert err == "No audit records since 2026-12-01 06:30 UTC matching user U0X.\n"
    code, out, err = await audit(database_url, "--user", "U0X", "--format", "jsonl")
    assert (code, out) == (0, "")
    assert err.startswith("No audit records since ") and err.endswith(" UTC matching user U0X.\n")


async def test_a_database_without_the_audit_trail_is_told_to_migrate_and_left_alone(database_url: str) -> None:
    """An empty database: exit 1, the advice on stderr, nothing on stdout, and no table created."""
    code, out, err = await audit(database_url)
    assert (code, out) == (1, "")
    assert err.endswith("has no audit records yet (run `python -m bot migrate`).\n")
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(lambda c: inspect(c).get_table_names()) == []
    finally:
        await engine.dispose()


async def test_a_missing_sqlite_file_is_reported_not_created(tmp_path: Path) -> None:
    """DATABASE_URL naming an SQLite file that does not exist: exit 1 with the advice, and still no file."""
    file = tmp_path / "nothing-here.sqlite3"
    code, out, err = await audit(f"sqlite+aiosqlite:///{file}")
    assert (code, out) == (1, "")
    assert err == f"The database (SQLite file {file}) has no audit records yet (run `python -m bot migrate`).\n"
    assert not file.exists()


def test_an_unreachable_database_is_one_line_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening: exit 1, one line naming host and port on stderr, never the password."""
    url = f"postgresql://bot:s3cr3t-pw@127.0.0.1:{free_port()}/bot"
    assert main([], environ={"DATABASE_URL": url}, env_file=Path("/nonexistent/.env")) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"Cannot use the database (PostgreSQL at 127.0.0.1:{make_url(url).port}/bot): ")
    assert err.count("\n") == 1
    assert "s3cr3t" not in err


def test_only_database_url_is_needed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No Slack or Coralogix setting at all (and a bad unrelated one): the records print, status 0."""
    url = f"sqlite:///{tmp_path}/bot.sqlite3"
    asyncio.run(fill(url, resolve(note="only the url")))
    environ = {"DATABASE_URL": url, "PORT": "not-a-port"}
    assert main(["--format", "jsonl"], environ=environ, env_file=tmp_path / ".env") == 0
    out, err = capsys.readouterr()
    assert (json.loads(out)["note"], err) == ("only the url", "")


def test_database_url_comes_from_the_env_file_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .env file's DATABASE_URL is used when the environment has none, as the other commands do."""
    url = f"sqlite:///{tmp_path}/from-dotenv.sqlite3"
    asyncio.run(fill(url, resolve(note="from .env")))
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    assert main(["--format", "jsonl"], environ={}, env_file=tmp_path / ".env") == 0
    assert json.loads(capsys.readouterr().out)["note"] == "from .env"


def test_a_bad_database_url_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DATABASE_URL that is not SQLite or PostgreSQL: exit 2 naming it, nothing on stdout."""
    assert main([], environ={"DATABASE_URL": "mysql://x/y"}, env_file=tmp_path / ".env") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "  - DATABASE_URL: must be an sqlite:// or postgres(ql):// URL" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW - timedelta(minutes=90)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T14:30", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
        ("2026-12-01 14:30:05", datetime(2026, 12, 1, 14, 30, 5, tzinfo=UTC)),
        ("2026-12-01T16:30+02:00", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
        ("2026-12-01T14:30Z", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
    ],
)
def test_since_takes_durations_and_dates(text: str, expected: datetime) -> None:
    """--since: minutes, hours or days ago, or an ISO date or date and time, UTC unless it says otherwise."""
    assert parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "24", "1w", "-3h", "2026-13-01", ""])
def test_since_refuses_anything_else(text: str) -> None:
    """Anything else is a usage error that shows the accepted forms."""
    with pytest.raises(argparse.ArgumentTypeError, match=r"neither a duration \(90m, 24h, 7d\) nor a date"):
        parse_since(text, now=NOW)


@pytest.mark.parametrize(
    "args", [["--since", "yesterday"], ["--outcome", "maybe"], ["--format", "xml"], ["--limit", "0"], ["extra"]]
)
def test_bad_usage_exits_2_before_reading_configuration(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A bad option value exits 2 with argparse's message on stderr, whatever DATABASE_URL says."""
    assert main(args, environ={"DATABASE_URL": "mysql://not-even-valid"}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: python -m bot audit")


def test_help_lists_every_option_and_format(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bot audit --help` exits 0 and names every option and format, through the bot's entry point."""
    assert bot_main(["audit", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--since", "--user", "--incident", "--outcome", "--limit", "--format", "table", "csv", "jsonl"):
        assert word in out
    assert "  audit " in USAGE


def run_bot_bytes(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """`python -m bot ARGS` in `cwd` with only `env` (and PATH), its output as bytes (line ends untouched)."""
    environ = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=environ, capture_output=True, timeout=60, check=False
    )


async def test_python_m_bot_audit_csv_prints_exactly_the_records(database_url: str, tmp_path: Path) -> None:
    """A real `python -m bot audit --format csv` prints the CSV and nothing else: stderr empty, no secret."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and not url.password:
        url = url.set(password="s3cr3t-db-password")  # the test server trusts loopback: any password works
    database = url.render_as_string(hide_password=False)
    first, second = NOW - timedelta(minutes=30), NOW - timedelta(minutes=10)
    await fill(
        database,
        resolve(at=first, job_id=1, team="T0TEAM", channel="C0OPS", note='rolled back "42"', coralogix_ms=412),
        AuditRecord(
            at=second,
            kind=AuditKind.NOTIFICATION,
            job_id=2,
            surface="webhook",
            verb="resolve",
            incident_ids=(A,),
            detail={"alert_id": "cpu-high", "did": "marked resolved"},
        ),
    )
    env = {**BASE_SETTINGS, "DATABASE_URL": database}
    result = await asyncio.to_thread(run_bot_bytes, tmp_path, "audit", "--format", "csv", env=env)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.decode() == (
        "id,at,kind,job_id,user,user_name,user_email,team,surface,channel,message_ts,verb,incident_ids,note,"
        "decision,rule,outcomes,problem,error_id,coralogix_ms,detail\r\n"
        f'1,{first.isoformat()},action,1,U0ALICE,Alice,,T0TEAM,command,C0OPS,,resolve,"[""{A}""]",'
        f'"rolled back ""42""",allowed,,"{{""{A}"": ""resolved""}}",,,412,\r\n'
        f'2,{second.isoformat()},notification,2,,,,,webhook,,,resolve,"[""{A}""]",,,,{{}},,,,'
        '"{""alert_id"": ""cpu-high"", ""did"": ""marked resolved""}"\r\n'
    )
    secrets = [*BASE_SETTINGS.values(), *([url.password] if url.password else [])]
    assert not [s for s in secrets if str(s).encode() in result.stdout + result.stderr]
