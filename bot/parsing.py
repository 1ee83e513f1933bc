"""Parsing what a user typed after `/resolve-incident` into incident ids.

Incident ids are UUIDs (36 characters, per the newest spec in tests/contracts/coralogix). Users paste
them separated by spaces, commas or newlines, or paste Coralogix links that contain one; Slack may
deliver a pasted link as `<https://…|label>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_IDS_PER_COMMAND = 1000
HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EXACT_UUID = re.compile(rf"^{UUID.pattern}$")
_SLACK_LINK = re.compile(r"<(https?://[^<>|\s]+)(?:\|[^<>]*)?>")
_SEPARATORS = re.compile(r"[\s,;]+")
_INCIDENT_IN_LINK = re.compile(rf"incidents?(?:[/=:]|Id=|_id=|%2F)+({UUID.pattern})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedIds:
    """Valid ids in first-seen order, and the tokens that were not ids."""

    ids: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    is_help: bool = False

    @property
    def too_many(self) -> bool:
        """More ids than one command may resolve."""
        return len(self.ids) > MAX_IDS_PER_COMMAND


def is_incident_id(value: str) -> bool:
    """Whether `value` is exactly one incident id."""
    return bool(_EXACT_UUID.match(value))


def parse_incident_ids(text: str) -> ParsedIds:
    """Split `text` into incident ids (lower-cased, de-duplicated, order kept) and invalid tokens."""
    stripped = text.strip()
    if stripped.lower() in HELP_WORDS:
        return ParsedIds(is_help=True)
    unwrapped = _SLACK_LINK.sub(lambda m: f" {m.group(1)} ", stripped)
    ids: list[str] = []
    seen: set[str] = set()
    invalid: list[str] = []
    for token in filter(None, _SEPARATORS.split(unwrapped)):
        found = [token] if is_incident_id(token) else _ids_in_link(token)
        if not found:
            if token not in invalid:
                invalid.append(token)
            continue
        for raw in found:
            incident_id = raw.lower()
            if incident_id not in seen:
                seen.add(incident_id)
                ids.append(incident_id)
    return ParsedIds(ids=ids, invalid=invalid)


def _ids_in_link(token: str) -> list[str]:
    """The incident id inside a pasted link: the one after an `incident` path segment or parameter
    when there is one (the link may also carry an alert id), else every id it names."""
    if "://" not in token and "coralogix" not in token.lower():
        return []
    marked = [m.group(1) for m in _INCIDENT_IN_LINK.finditer(token)]
    return list(dict.fromkeys(marked or [m.group(0) for m in UUID.finditer(token)]))


def ids_in_message(message: dict[str, Any]) -> list[str]:
    """Incident ids anywhere in a Slack message: its text, blocks and attachments (any nesting), in order."""
    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.update((m.group(0).lower(), None) for m in UUID.finditer(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in {"ts", "thread_ts", "user", "bot_id", "app_id", "team", "client_msg_id", "block_id"}:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({k: message.get(k) for k in ("text", "blocks", "attachments")})
    return list(found)
