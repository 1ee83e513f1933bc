"""`@bot resolve [note]`, `@bot ack`, `@bot status` in an alert's thread; in a storm message's thread
`resolve` and `ack` get the storm's open count and a pointer to Resolve all; help anywhere else.

Slack retries an event it thinks was not delivered (same `event_id`): an action's journal key is
the event id, and other answers are given once per event id, so a retry never acts twice.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import payloads
from bot.api import ApiError
from bot.formatters.alert import AlertState
from bot.formatters.case_message import case_thread_status
from bot.formatters.replies import mention_help_text, storm_mention_text, thread_status_text
from bot.ids import EventType
from bot.listeners.error_handler import reported
from bot.listeners.submit import submit
from bot.services import Services
from bot.services.actions import Action, Surface, Verb
from bot.services.case_lifecycle import status_word
from bot.store.tables import MessageKind

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
VERBS = {"resolve": Verb.RESOLVE, "resolved": Verb.RESOLVE, "ack": Verb.ACKNOWLEDGE, "acknowledge": Verb.ACKNOWLEDGE}


def parse_mention(text: str) -> tuple[str, str | None]:
    """(verb, note) from the mention text, with every user mention removed."""
    words = _MENTION.sub(" ", text).strip()
    verb, _, rest = words.partition(" ")
    return verb.lower(), (rest.strip() or None)


async def app_mentioned(body: dict[str, Any], event: dict[str, Any], services: Services) -> None:
    """Act on the thread's alert, or explain what the bot understands."""
    channel = payloads.slack_id(event, "channel", what="channel id")
    user = payloads.slack_id(event, "user", what="user id")
    ts = payloads.text(event, "ts", what="message timestamp", limit=32)
    thread_ts = payloads.optional_text(event, "thread_ts", what="thread timestamp", limit=32)
    text = payloads.optional_text(event, "text", what="message text", limit=40_000) or ""
    event_id = payloads.optional_text(body, "event_id", what="event id", limit=128)
    event_ts = payloads.optional_text(event, "event_ts", what="event time", limit=32)
    key = event_id or event_ts or ts
    record = await services.alerts.record_for_thread(channel, thread_ts) if thread_ts else None
    verb, note = parse_mention(text)
    action_verb = VERBS.get(verb)
    if record is not None and action_verb is not None:
        action = Action(
            key=f"event:{key}",
            surface=Surface.THREAD,
            verb=action_verb,
            user=user,
            team=payloads.optional_text(body, "team_id", what="team id"),
            channel=channel,
            message_ts=record.ts,
            thread_ts=thread_ts,
            note=note,
        )
        if problem := await submit(services, action):
            await services.writer.ephemeral(channel, user, thread_ts=thread_ts, text=problem)
        return
    storm_open = None
    if record is None and thread_ts and action_verb is not None and services.storms is not None:
        storm_open = await services.storms.open_in_thread(channel, thread_ts)
    if not await services.store.first_time(key):
        return
    if storm_open is not None:
        await services.writer.ephemeral(channel, user, thread_ts=thread_ts, text=storm_mention_text(storm_open))
    elif record is None:  # a bare mention, or one outside an alert thread: help, only to the asker
        help_text = mention_help_text(False, in_thread=thread_ts is not None)
        await services.writer.ephemeral(channel, user, thread_ts=thread_ts, text=help_text)
    elif verb == "status":
        await services.writer.post(channel, thread_ts=thread_ts, text=await _status(record, services))
    else:
        await services.writer.ephemeral(channel, user, thread_ts=thread_ts, text=mention_help_text(True))


async def _status(record: Any, services: Services) -> str:
    """The message's state, with the incident's (or case's) status as Coralogix has it now (never only the store)."""
    if record.kind is MessageKind.CASE:
        try:
            case = (await services.cases.lookup([record.incident_id])).get(record.incident_id)
        except ApiError:
            case = None
        return case_thread_status(AlertState.of(record), record.incident_id, status_word(case) if case else None)
    incident = None
    if record.incident_id:
        try:
            incident = (await services.incidents.lookup([record.incident_id])).get(record.incident_id)
        except ApiError:
            incident = None
    return thread_status_text(AlertState.of(record), record.incident_id, incident)


async def members_changed(event: dict[str, Any], services: Services) -> None:
    """A user group's members changed: the access policy sees it at the next action, no restart."""
    group = payloads.slack_id(event, "subteam_id", what="user group id")
    added = [u for u in payloads.get(event, "added_users") or [] if isinstance(u, str)]
    removed = [u for u in payloads.get(event, "removed_users") or [] if isinstance(u, str)]
    services.directory.members_changed(group, added, removed)


async def group_updated(services: Services) -> None:
    """A user group was renamed or refilled: read the groups again at the next use."""
    services.directory.group_changed()


def register(app: AsyncApp) -> None:
    """Attach the event listeners."""
    app.event(EventType.APP_MENTION.value)(reported(app_mentioned))
    app.event(EventType.SUBTEAM_MEMBERS_CHANGED.value)(reported(members_changed))
    app.event(EventType.SUBTEAM_UPDATED.value)(reported(group_updated))
