"""Parsing what a user typed after `/resolve-incident` into incident and case ids.

Incident ids are UUIDs (36 characters, per the newest spec in tests/contracts/coralogix); a Coralogix
Case also has a readable id (`CASE-123`, pattern `[A-Z]+-[0-9]+` in cases-v5.yaml), kept as typed.
Users paste them separated by spaces, commas or newlines, or paste Coralogix links that contain one;
Slack may deliver a pasted link as `<https://…|label>`. A first word `close` asks to close cases as
false alarms instead of resolving.

The shape of a case's page URL is not in the spec (deep links come from the API): a link counts as a
case link when the id follows a `case`/`cases` path segment or parameter (`…/#/cases/CASE-123`).
In a message (the shortcut), readable ids are taken only with the `CASE-` prefix outside links, so
words like `SHA-256` or `UTF-8` are not mistaken for cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.api.case_ids import is_case_id

# Slack's message box takes 40 000 characters: room for 2 000 readable case ids (or ~1 000 UUIDs).
MAX_IDS_PER_COMMAND = 2000
CLOSE_WORD = "close"  # `/resolve-incident close CASE-1`: close as a false alarm (cases only)
HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EXACT_UUID = re.compile(rf"^{UUID.pattern}$")
_SLACK_LINK = re.compile(r"<(https?://[^<>|\s]+)(?:\|[^<>]*)?>")
_SEPARATORS = re.compile(r"[\s,;]+")
_INCIDENT_IN_LINK = re.compile(rf"incidents?(?:[/=:]|Id=|_id=|%2F)+({UUID.pattern})", re.IGNORECASE)
_READABLE = r"[A-Z]+-[0-9]+"
_CASE_IN_LINK = re.compile(rf"(?i:cases?)(?:[/=:]|(?i:Id)=|_id=|%2F)+({UUID.pattern}|{_READABLE})(?![0-9A-Za-z-])")
_CASE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z-])CASE-[0-9]+(?![0-9A-Za-z-])")


@dataclass(frozen=True, slots=True)
class ParsedIds:
    """Valid ids in first-seen order, and the tokens that were not ids."""

    ids: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    is_help: bool = False
    close: bool = False  # the text began with CLOSE_WORD

    @property
    def too_many(self) -> bool:
        """More ids than one command may resolve."""
        return len(self.ids) > MAX_IDS_PER_COMMAND


def is_incident_id(value: str) -> bool:
    """Whether `value` is exactly one incident id."""
    return bool(_EXACT_UUID.match(value))


def parse_incident_ids(text: str) -> ParsedIds:
    """Split `text` into incident and case ids (UUIDs lower-cased, readable case ids as typed,
    de-duplicated, order kept) and invalid tokens; a first word `close` sets `close`."""
    stripped = text.strip()
    if stripped.lower() in HELP_WORDS:
        return ParsedIds(is_help=True)
    first, _, rest = stripped.partition(" ")
    close = first.lower() == CLOSE_WORD
    if close:
        stripped = rest.strip()
    unwrapped = _SLACK_LINK.sub(lambda m: f" {m.group(1)} ", stripped)
    ids: list[str] = []
    seen: set[str] = set()
    invalid: list[str] = []
    for token in filter(None, _SEPARATORS.split(unwrapped)):
        found = [token] if is_incident_id(token) or is_case_id(token) else _ids_in_link(token)
        if not found:
            if token not in invalid:
                invalid.append(token)
            continue
        for raw in found:
            incident_id = raw if is_case_id(raw) else raw.lower()
            if incident_id not in seen:
                seen.add(incident_id)
                ids.append(incident_id)
    return ParsedIds(ids=ids, invalid=invalid, close=close)


def _ids_in_link(token: str) -> list[str]:
    """The incident id inside a pasted link: the one after an `incident` path segment or parameter
    when there is one (the link may also carry an alert id), else every id it names."""
    if "://" not in token and "coralogix" not in token.lower():
        return []
    marked = [m.group(1) for m in _INCIDENT_IN_LINK.finditer(token)]
    marked += [m.group(1) for m in _CASE_IN_LINK.finditer(token)]
    return list(dict.fromkeys(marked or [m.group(0) for m in UUID.finditer(token)]))


def ids_in_message(message: dict[str, Any]) -> list[str]:
    """Incident and case ids anywhere in a Slack message: its text, blocks and attachments (any nesting),
    in order: UUIDs, `CASE-…` ids, and readable ids in case links."""
    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str):
            hits = [(m.start(), m.group(0).lower()) for m in UUID.finditer(value)]
            hits += [(m.start(), m.group(0)) for m in _CASE_IN_TEXT.finditer(value)]
            hits += [(m.start(1), m.group(1)) for m in _CASE_IN_LINK.finditer(value) if is_case_id(m.group(1))]
            found.update((hit, None) for _, hit in sorted(hits))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in {"ts", "thread_ts", "user", "bot_id", "app_id", "team", "client_msg_id", "block_id"}:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({k: message.get(k) for k in ("text", "blocks", "attachments")})
    return list(found)
