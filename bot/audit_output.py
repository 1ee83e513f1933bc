"""Audit records written out: an aligned table for a terminal, CSV for a spreadsheet, JSON lines for a log pipeline.

CSV and JSON lines carry every field of every record (JSON fields as JSON text in CSV); the table
shows what a person scans for. Text from Slack users (names, notes) is made harmless on the way
out: control characters never reach a terminal (JSON escapes them; CSV shows � instead, the table
a space), and a CSV cell a spreadsheet would run as a formula (starting with =, +, -, @) is
prefixed with an apostrophe, as OWASP advises.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC
from typing import Any, TextIO

from bot.store.audit import FIELDS, AuditKind, AuditRecord

# The widest a table cell gets; longer text is cut with "…" (CSV and JSON lines keep everything).
CELL = 40
# The table's columns; `when` is in UTC.
HEADERS = ("WHEN (UTC)", "USER", "SURFACE", "ACTION", "INCIDENTS", "DECISION", "OUTCOMES", "ERROR")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters but tab and line breaks: a terminal would act on them (colours, cursor moves).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JSON_FIELDS = frozenset({"incident_ids", "outcomes", "detail"})


def to_json(record: AuditRecord) -> dict[str, Any]:
    """Every field, JSON-ready: `at` in ISO 8601, the incident ids a list."""
    data = {name: getattr(record, name) for name in FIELDS}
    data["at"] = record.at.astimezone(UTC).isoformat()
    data["incident_ids"] = list(record.incident_ids)
    return data


def write_jsonl(records: Iterable[AuditRecord], out: TextIO) -> None:
    """One JSON object per record and line."""
    for record in records:
        out.write(_json_text(to_json(record)) + "\n")


def write_csv(records: Iterable[AuditRecord], out: TextIO) -> None:
    """A header naming every field, then one row per record."""
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for record in records:
        data = to_json(record)
        writer.writerow(_csv_cell(data[name], json_text=name in _JSON_FIELDS) for name in FIELDS)


def _csv_cell(value: Any, *, json_text: bool) -> Any:
    if json_text:
        return "" if value is None else _json_text(value)
    if not isinstance(value, str):
        return "" if value is None else value
    value = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _json_text(value: Any) -> str:
    """JSON, non-ASCII text kept readable; every control character escaped (json escapes only C0)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def write_table(records: Iterable[AuditRecord], out: TextIO) -> None:
    """Aligned columns, a header first; cells cut to CELL characters."""
    rows = [HEADERS, *(_table_row(r) for r in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def _table_row(record: AuditRecord) -> tuple[str, ...]:
    user = record.user or ""
    if record.user_name:
        user = f"{record.user_name} ({user})" if user else record.user_name
    action = record.verb or ""
    if record.kind != AuditKind.ACTION:
        action = f"{record.kind} {action}".strip()
    decision = record.decision or ""
    if record.rule:
        decision = f"{decision}: {record.rule}" if decision else record.rule
    cells = (
        record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        user,
        record.surface or "",
        action,
        _incidents(record.incident_ids),
        decision,
        _outcomes(record),
        record.error_id or "",
    )
    return tuple(_cell(c) for c in cells)


def _incidents(ids: tuple[str, ...]) -> str:
    """Up to two ids, each cut to its first 8 characters; more as a count."""
    if len(ids) > 2:
        return f"{len(ids)} incidents"
    return ", ".join(i if len(i) <= 9 else i[:8] + "…" for i in ids)


def _outcomes(record: AuditRecord) -> str:
    """How many incidents came to each outcome; else why the action could not start; else the detail."""
    if record.outcomes:
        return ", ".join(f"{n} {outcome}" for outcome, n in Counter(record.outcomes.values()).items())
    if record.problem:
        return record.problem
    if record.detail:
        return ", ".join(f"{key}={value}" for key, value in record.detail.items())
    return ""


def _cell(text: str) -> str:
    """One line of printable text at most CELL long; "-" for nothing."""
    shown = "".join(c if c.isprintable() else " " for c in text).strip()
    if len(shown) > CELL:
        shown = shown[: CELL - 1] + "…"
    return shown or "-"
