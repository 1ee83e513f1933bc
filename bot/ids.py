"""Every Slack identifier the bot declares (manifest) or renders (Block Kit), in one place."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands, as declared in manifest.yml."""

    RESOLVE_INCIDENT = "/resolve-incident"


class BlockId(StrEnum):
    """Block ids of the messages the bot posts."""

    SUMMARY_HEADER = "summary_header"
    SUMMARY_RESOLVED = "summary_resolved"
    SUMMARY_ALREADY = "summary_already"
    SUMMARY_NOT_FOUND = "summary_not_found"
    SUMMARY_FAILED = "summary_failed"
    SUMMARY_FOOTER = "summary_footer"
    USAGE = "usage"


# Bot scopes the features need, and nothing more; manifest.yml declares exactly these (tested).
BOT_SCOPES = frozenset({"commands", "chat:write"})
