"""Handing an action to the pipeline: journaled before the ack, run at once, never twice."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import payloads
from bot.errors import record_failure
from bot.listeners.error_handler import error_text
from bot.services import Services
from bot.services.actions import Action
from bot.store import JobKind

logger = logging.getLogger(__name__)

UNAVAILABLE = "I cannot reach my database just now, so nothing was done. Try again in a minute."


async def submit(services: Services, action: Action) -> str | None:
    """Journal `action` (it then runs in the background, here or, after a crash, elsewhere).

    None when it is on its way, or when its key was journaled before (Slack retried, or the same
    click came twice): it runs once. Otherwise the text to tell the person, with an error id.
    """
    try:
        await services.worker.submit(JobKind.ACTION, action.key, action.model_dump(mode="json"))
    except (SQLAlchemyError, OSError) as e:
        return error_text(UNAVAILABLE, record_failure(logger, "could not journal an action", f"{type(e).__name__}"))
    return None


def click_key(body: dict[str, Any], user: str) -> str:
    """A click's idempotency key: Slack's action_ts (unique per click), else its trigger id."""
    when = payloads.optional_text(body, "actions", 0, "action_ts", what="action time", limit=64)
    trigger = payloads.optional_text(body, "trigger_id", what="trigger id", limit=200)
    return f"click:{user}:{when or trigger or uuid.uuid4().hex}"


def view_key(body: dict[str, Any], view: dict[str, Any]) -> str:
    """A modal submission's idempotency key: the view and its hash (a view is submitted once per state)."""
    view_id = payloads.optional_text(view, "id", what="view id", limit=64)
    state = payloads.optional_text(view, "hash", what="view hash", limit=200)
    trigger = payloads.optional_text(body, "trigger_id", what="trigger id", limit=200)
    return f"view:{view_id or ''}:{state or trigger or uuid.uuid4().hex}"
