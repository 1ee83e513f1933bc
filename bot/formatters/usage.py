"""Ephemeral texts for `/resolve-incident`: usage, the ack, and refusals. Pure functions."""

from __future__ import annotations

from bot.formatters.common import escape, truncate
from bot.ids import Command
from bot.parsing import MAX_IDS_PER_COMMAND, ParsedIds

EXAMPLE_ID = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"
MAX_INVALID_SHOWN = 10


def usage_text() -> str:
    """The whole help, in one scannable screen: command forms, buttons, thread commands, shortcut, Home."""
    cmd = Command.RESOLVE_INCIDENT.value
    return "\n".join(
        [
            "*Resolving Coralogix incidents from Slack*",
            f"• `{cmd}`: pick from the open incidents (most severe first), with an optional note.",
            f"• `{cmd} &lt;incident-id&gt; [&lt;incident-id&gt; …]`: resolve by id; ids separated by spaces, "
            f"commas or new lines (up to {MAX_IDS_PER_COMMAND:,}); pasted Coralogix links work too. "
            f"Example: `{cmd} {EXAMPLE_ID}`",
            f"• `{cmd} CASE-123 [CASE-124 …]`: Coralogix Cases, by their readable ids (ids of cases and "
            f"incidents may be mixed); `{cmd} close CASE-123` closes cases as false alarms.",
            f"• `{cmd} help`: this message.",
            "• *Alert messages*: *Resolve* (asks to confirm), *Acknowledge*, *Open in Coralogix*.",
            "• *In an alert's thread*: `@bot resolve [note]`, `@bot ack`, `@bot status`.",
            "• *On any message with incident ids*: ⋯ → *Resolve incidents*.",
            "• *App Home* (click the bot's name): the open incidents, each with a Resolve button.",
            "Where to find ids: the 36-character id in Coralogix under Alerts → Incidents, in the incident's "
            "URL, or on the bot's alert messages.",
        ]
    )


def _code_safe(token: str) -> str:
    """A user's token, escaped and cut, fit to sit inside a `code` span."""
    return escape(truncate(token, 60)).replace("`", "'")


def invalid_tokens_text(invalid: list[str]) -> str:
    """Name the tokens that are not incident ids, escaped and cut short."""
    shown = ", ".join(f"`{_code_safe(t)}`" for t in invalid[:MAX_INVALID_SHOWN])
    more = f" and {len(invalid) - MAX_INVALID_SHOWN} more" if len(invalid) > MAX_INVALID_SHOWN else ""
    noun = "is not an incident id" if len(invalid) == 1 else "are not incident ids"
    return f"{shown}{more} {noun} (expected a 36-character id like `{EXAMPLE_ID}`)."


def refusal_text(parsed: ParsedIds) -> str | None:
    """Why the command will make no API call, or None when it may go ahead."""
    if parsed.is_help:
        return usage_text()
    if parsed.too_many:
        return (
            f":warning: That is {len(parsed.ids):,} incident ids; one command resolves at most "
            f"{MAX_IDS_PER_COMMAND:,}. Split them over several commands.\n\n{usage_text()}"
        )
    if not parsed.ids and not parsed.invalid:  # `close` and nothing after it
        return f":warning: Name the cases to close, e.g. `{Command.RESOLVE_INCIDENT.value} close CASE-123`."
    if not parsed.ids:
        # Empty text opens the picker instead (see the command listener).
        return f":warning: {invalid_tokens_text(parsed.invalid)}\n\n{usage_text()}"
    return None


def resolving_text(parsed: ParsedIds) -> str:
    """The immediate ack: what the bot is about to do, and what it ignored."""
    n = len(parsed.ids)
    if parsed.close:
        text = (
            f":hourglass_flowing_sand: Closing {n} case{'s' if n != 1 else ''} as false alarm{'s' if n != 1 else ''}…"
        )
    else:
        text = f":hourglass_flowing_sand: Resolving {n} incident{'s' if n != 1 else ''}…"
    if parsed.invalid:
        text += f"\nSkipped: {invalid_tokens_text(parsed.invalid)}"
    return text


def not_in_channel_text(bot_user_id: str | None) -> str:
    """Tell the user how to let the bot post in this channel."""
    who = f"<@{escape(bot_user_id)}>" if bot_user_id else "the bot"
    return (
        f":information_source: I am not a member of this channel, so the summary above was posted for you. "
        f"To let me post here directly, invite me: /invite {who}"
    )
