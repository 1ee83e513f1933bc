"""Small pure helpers shared by the formatters: escaping, severity markers, date tokens, packing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.api.models import IncidentSeverity
from bot.ids import ActionId, BlockId
from bot.payloads import NOTE_LIMIT


@dataclass(frozen=True, slots=True)
class Message:
    """What `chat.postMessage` / `chat.update` need: a notification/fallback text, blocks, attachments."""

    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]] | None = None


SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
URL_LIMIT = 3000  # a button's `url`
# Whitespace, the characters that end or split a Slack link, and control characters (C0, DEL, C1).
_URL_REFUSED = re.compile(r"[\s<>|\x00-\x1f\x7f-\x9f]")

SEVERITY_MARKERS: dict[IncidentSeverity, str] = {
    IncidentSeverity.CRITICAL: ":red_circle:",
    IncidentSeverity.ERROR: ":large_orange_circle:",
    IncidentSeverity.WARNING: ":large_yellow_circle:",
    IncidentSeverity.INFO: ":large_blue_circle:",
    IncidentSeverity.LOW: ":white_circle:",
}


def escape(text: str) -> str:
    """Neutralise Slack mrkdwn control characters so outside text cannot ping, link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: object) -> str | None:
    """`url` when Slack accepts it in a Block Kit element, else None: the one check for every URL the bot
    puts into blocks (one bad link makes Slack refuse the whole message or view).

    http or https with a host, at most 3 000 characters, no whitespace, `<`, `>`, `|` or control characters.
    """
    if not isinstance(url, str) or not url or len(url) > URL_LIMIT or _URL_REFUSED.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return url if parts.scheme.lower() in {"http", "https"} and parts.hostname else None


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis; never splits an escape sequence."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def severity_marker(severity: IncidentSeverity | None) -> str:
    """An emoji per severity; a plain circle for unknown or unset ones."""
    return SEVERITY_MARKERS.get(severity, ":white_circle:") if severity else ":white_circle:"


def severity_word(severity: IncidentSeverity | None) -> str:
    """`Critical`, `Warning`…; `Unknown severity` for unset values."""
    if severity is None or severity is IncidentSeverity.UNSPECIFIED:
        return "Unknown severity"
    return severity.value.removeprefix("INCIDENT_SEVERITY_").capitalize()


def age(since: datetime | None, now: datetime) -> str:
    """How long ago, compactly: `45s`, `12m`, `3h 05m`, `2d 4h`; `?` when unknown."""
    if since is None:
        return "?"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes}m"
    if days == 0:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{days}d {hours % 24}h"


def date_token(when: datetime, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A `<!date^…>` token that shows `when` in each reader's time zone, with a UTC fallback."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    fallback = aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(aware.timestamp())}^{fmt}|{fallback}>"


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    """A mrkdwn section block; the caller guarantees `text` is escaped and within limits."""
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str, block_id: str | None = None) -> dict[str, Any]:
    """A context block with one mrkdwn element."""
    block: dict[str, Any] = {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(action_id: str, text: str, **extra: Any) -> dict[str, Any]:
    """A Block Kit button (`value`, `url`, `style`, `confirm` as keyword arguments)."""
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, **extra}


def confirm_resolve(name: str, consequence: str) -> dict[str, Any]:
    """The confirm dialog of a Resolve button; `name` is escaped already (the text is capped at 300)."""
    return {
        "title": {"type": "plain_text", "text": "Resolve this incident?"},
        "text": {"type": "mrkdwn", "text": f"*{truncate(name, 250)}* {consequence}"},
        "confirm": {"type": "plain_text", "text": "Resolve"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    """An actions block."""
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def pack_lines(lines: Iterable[str], limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Join lines into as few texts as possible, each at most `limit` characters."""
    texts: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            texts.append(current)
            current = line
        else:
            current = candidate
    if current:
        texts.append(current)
    return texts


MODAL_TITLE = "Resolve incidents"


def modal(callback_id: str, metadata: str, blocks: list[dict[str, Any]], *, submit: bool) -> dict[str, Any]:
    """A modal that resolves incidents: Resolve and Cancel when there is something to submit, else Close."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": MODAL_TITLE},
        "close": {"type": "plain_text", "text": "Cancel" if submit else "Close"},
        "private_metadata": metadata,
        "blocks": blocks,
    }
    if submit:
        view["submit"] = {"type": "plain_text", "text": "Resolve"}
    return view


def note_input() -> dict[str, Any]:
    """The optional resolution note of a resolving modal (read back with `bot.payloads.note`)."""
    return {
        "type": "input",
        "block_id": BlockId.NOTE.value,
        "optional": True,
        "label": {"type": "plain_text", "text": "Resolution note"},
        "element": {"type": "plain_text_input", "action_id": ActionId.NOTE.value, "max_length": NOTE_LIMIT},
    }
