"""`python -m bot audit`: who did what to which incident, read from the audit trail.

It needs DATABASE_URL only (from the environment or `.env`, read as the other commands read it), so
an auditor runs it without the Slack or Coralogix secrets. It changes nothing: no migration, and an
SQLite file that does not exist is reported, not created. On success it prints the records and
nothing else: it configures no logging, and nothing it uses logs at WARNING or above when all is
well (Python's last-resort handler prints only those, to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError
from sqlalchemy import inspect

from bot.audit_output import write_csv, write_jsonl, write_table
from bot.database_url import sqlite_file, where
from bot.parsing import is_incident_id
from bot.services.actions import Outcome
from bot.settings import describe_errors, load_database_settings
from bot.store.audit import TABLE, AuditLog, AuditRecord
from bot.store.engine import create_engine, unusable

DESCRIPTION = """Print the audit trail: every action attempt (allowed or refused) and every notification,
oldest first, with only DATABASE_URL configured. Exit status: 0 (also when nothing matches),
1 when the database cannot be read or has no audit trail yet, 2 for bad usage or configuration."""
EPILOG = """formats:
  table  aligned columns for a terminal (the default); ids and long text are shortened
  csv    a header and one row per record with every field (JSON fields as JSON text), for a
         spreadsheet; a cell a spreadsheet would run as a formula (=, +, -, @) starts with '
  jsonl  one JSON object per record and line, every field as stored, for a log pipeline

examples:
  python -m bot audit
  python -m bot audit --since 7d --user U0123ABCD
  python -m bot audit --since 2026-12-01 --outcome failed --format csv > failed.csv"""
_RELATIVE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`90m`, `24h` or `7d` ago, or an ISO date (midnight UTC) or date and time (UTC unless it says)."""
    value = text.strip()
    if match := _RELATIVE.match(value):
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a duration (90m, 24h, 7d) nor a date (2026-12-01, 2026-12-01T14:30)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The options of `python -m bot audit`."""
    parser = argparse.ArgumentParser(
        prog="python -m bot audit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--since",
        type=parse_since,
        default="24h",
        metavar="WHEN",
        help="records from then on: 90m, 24h, 7d ago, or a date/time in UTC (default: 24h)",
    )
    parser.add_argument("--user", metavar="U…", help="only this Slack user id's records")
    parser.add_argument("--incident", metavar="ID", help="only records naming this incident id")
    outcomes = [o.value for o in Outcome]
    parser.add_argument(
        "--outcome",
        choices=outcomes,
        metavar="OUTCOME",
        help=f"only records where an incident came to this: {', '.join(outcomes)} (refused and failed "
        "also match attempts refused outright and actions that could not start)",
    )
    parser.add_argument("--limit", type=_positive, metavar="N", help="only the newest N records")
    parser.add_argument(
        "--format", choices=("table", "csv", "jsonl"), default="table", help="table (the default), csv or jsonl"
    )
    return parser


def main(
    argv: list[str],
    *,
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the command; its exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        options = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or bad usage (2), already printed by argparse
        return int(e.code or 0)
    env_file = env_file or Path(".env")
    try:
        url = load_database_settings(os.environ if environ is None else environ, env_file).DATABASE_URL
    except ValidationError as e:
        print(describe_errors(e, env_file.resolve()), file=err)
        return 2
    try:
        return asyncio.run(show(options, url, out, err))
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other command-line tools do
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


async def show(options: argparse.Namespace, url: str, out: TextIO, err: TextIO) -> int:
    """Read the matching records and print them in the chosen format."""
    none_yet = f"The database ({where(url)}) has no audit records yet (run `python -m bot migrate`)."
    file = sqlite_file(url)
    if file is not None and not file.exists():
        print(none_yet, file=err)
        return 1
    incident = options.incident.lower() if options.incident and is_incident_id(options.incident) else options.incident
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            has_table = await connection.run_sync(lambda c: inspect(c).has_table(TABLE))
        if not has_table:
            print(none_yet, file=err)
            return 1
        records = await AuditLog(engine).query(
            since=options.since, user=options.user, incident=incident, outcome=options.outcome, limit=options.limit
        )
    except Exception as e:  # noqa: BLE001 - any failure to read is one line naming the database, no password
        print(unusable(url, e).user_message, file=err)
        return 1
    finally:
        await engine.dispose()
    _print(records, options, incident, out, err)
    return 0


def _print(
    records: list[AuditRecord], options: argparse.Namespace, incident: str | None, out: TextIO, err: TextIO
) -> None:
    if options.format == "csv":
        write_csv(records, out)
    elif options.format == "jsonl":
        write_jsonl(records, out)
    elif records:
        write_table(records, out)
    if not records:
        # The table says it where the records would be; CSV and JSON lines stay machine-readable
        # (a header only, nothing) and say it beside them, on stderr.
        print(nothing_matched(options, incident), file=out if options.format == "table" else err)


def nothing_matched(options: argparse.Namespace, incident: str | None) -> str:
    """One line: since when, and the filters that matched nothing."""
    filters = [
        f"{name} {value}"
        for name, value in (("user", options.user), ("incident", incident), ("outcome", options.outcome))
        if value
    ]
    matching = f" matching {', '.join(filters)}" if filters else ""
    return f"No audit records since {options.since:%Y-%m-%d %H:%M} UTC{matching}."
