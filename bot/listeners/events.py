"""`@bot resolve [note]`, `@bot ack`, `@bot status` in an alert's thread; help anywhere else.

Slack retries an event it thinks was not delivered (same `event_id`); the store remembers event
ids, so a retry never acts twice.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import payloads
from bot.formatters.alert import AlertState
from bot.formatters.replies import mention_help_text, outcome_text, thread_status_text
from bot.ids import EventType
from bot.listeners.error_handler import reported
from bot.services import Services
from bot.services.alerts import Action

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
VERBS = {
    "resolve": Action.RESOLVE,
    "resolved": Action.RESOLVE,
    "ack": Action.ACKNOWLEDGE,
    "acknowledge": Action.ACKNOWLEDGE,
}


def parse_mention(text: str) -> tuple[str, str | None]:
    """(verb, note) from the mention text, with every user mention removed."""
    words = _MENTION.sub(" ", text).strip()
    verb, _, rest = words.partition(" ")
    return verb.lower(), (rest.strip() or None)


async def app_mentioned(
    body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Act on the thread's alert, or explain what the bot understands."""
    channel = payloads.slack_id(event, "channel", what="channel id")
    user = payloads.slack_id(event, "user", what="user id")
    ts = payloads.text(event, "ts", what="message timestamp", limit=32)
    thread_ts = payloads.optional_text(event, "thread_ts", what="thread timestamp", limit=32)
    text = payloads.optional_text(event, "text", what="message text", limit=40_000) or ""
    event_id = payloads.optional_text(body, "event_id", what="event id", limit=128)
    event_ts = payloads.optional_text(event, "event_ts", what="event time", limit=32)
    if not await services.store.first_time(event_id or event_ts or ts):
        return
    record = await services.alerts.record_for_thread(channel, thread_ts) if thread_ts else None
    verb, note = parse_mention(text)
    reply_ts = thread_ts or ts
    if record is None:  # a bare mention, or one outside an alert thread: help, only to the asker
        await client.chat_postEphemeral(
            channel=channel,
            user=user,
            thread_ts=thread_ts,
            text=mention_help_text(False, in_thread=thread_ts is not None),
        )
        return
    if verb == "status":
        text = thread_status_text(AlertState.of(record), record.incident_id)
        await client.chat_postMessage(channel=channel, thread_ts=reply_ts, text=text)
        return
    action = VERBS.get(verb)
    if action is None:
        await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=mention_help_text(True))
        return
    outcome = await services.alerts.act(
        channel=channel, ts=record.ts, action=action, user=user, via="thread", note=note
    )
    reply = outcome_text(outcome, action.value)
    if reply:
        await client.chat_postMessage(channel=channel, thread_ts=reply_ts, text=reply)


def register(app: AsyncApp) -> None:
    """Attach the event listeners."""
    app.event(EventType.APP_MENTION.value)(reported(app_mentioned))
