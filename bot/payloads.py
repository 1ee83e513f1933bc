"""Reading what Slack sends. Anything we refuse is a `BadPayload` that says what was wrong with it.

Two steps, one error type:

- `parse` and `check` run on every verified `/slack/events` request before Bolt sees it. Bolt
  indexes into payloads without looking (`body["actions"][0]["action_id"]`, `body["view"]["type"]`,
  `body.get("event", {}).get(…)`), even while building its error handler's arguments, so a mangled
  payload would crash it where nothing could answer. The check makes sure the fields Bolt reads have
  the shapes it assumes, and that every request a person makes names that person.
- Listeners read the fields they use with `text`, `optional_text`, `slack_id`, `selected_values`
  and `metadata`, which raise `BadPayload` naming the field. `bot.listeners.error_handler.handle_error`
  answers every `BadPayload`: the person is told, a request without one gets a 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body

from bot import safe_json
from bot.errors import BadPayload
from bot.ids import ActionId, BlockId, EventType

# Slack's ids (U…, W…, C…, G…, D…, T…) are upper-case letters and digits; nothing else may pass
# for one, so an id can never smuggle mrkdwn into `<@…>` or `<#…>`.
SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{1,39}$")
# Field names in an error's location, as opposed to the union members pydantic adds (`str`, `_Scope`…).
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")
_TAGS = frozenset({"str", "int", "float", "bool", "none"})
# Events a person causes; the others the app may receive (url_verification, app_rate_limited) name none.
# Events a person does (the others, e.g. a user group's members changing, name nobody in particular).
_PERSONAL_EVENTS = frozenset(e.value for e in EventType) - {
    EventType.SUBTEAM_MEMBERS_CHANGED.value,
    EventType.SUBTEAM_UPDATED.value,
}


def nothing_done(what: str) -> str:
    """The sentence every refusal of a field ends in."""
    return f"The request from Slack carried no usable {what}, so nothing was done."


# -- before Bolt -----------------------------------------------------------------------------------


def parse(text: str, headers: dict[str, str]) -> dict[str, Any]:
    """The payload as Bolt will parse it (with Bolt's own functions); BadPayload when it is not a safe JSON object."""
    content_type = extract_content_type(build_normalized_headers(headers))  # type: ignore[arg-type]  # Bolt types it as Dict[str, …]
    try:
        body = parse_body(text, content_type)
    except RecursionError:
        raise BadPayload(_unreadable(f"the body is nested more than {safe_json.MAX_DEPTH} levels deep")) from None
    except ValueError:
        raise BadPayload(_unreadable("the body is not valid JSON")) from None
    if not isinstance(body, dict):
        raise BadPayload(_unreadable("the body is not a JSON object"))
    try:
        safe_json.check(body)
    except safe_json.UnsafeJson as e:
        raise BadPayload(_unreadable(str(e))) from None
    return body


def _unreadable(reason: str) -> str:
    return f"Slack sent a request the bot cannot read: {reason}. Nothing was done."


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# A Slack id where Bolt reads one into the request's context (the team's goes into Web API calls' queries).
_Id = str | None


class _Ids(_Open):
    """The ids Bolt reads from an object: its own, its team's, its organisation's."""

    id: _Id = None
    team_id: _Id = None
    enterprise_id: _Id = None
    app_installed_team_id: _Id = None


# How Bolt reads `user`, `team`, `enterprise` and `channel`: an object with an id, or the id itself.
_Ref = _Ids | str | None
# What Bolt skips when it is not an object.
_NotObject = str | int | float | bool | list[Any] | None


class _Scope(_Open):
    """The fields Bolt's context extraction reads, wherever it looks (body, event, message, authorizations)."""

    type: str | None = None
    user: _Ref = None
    team: _Ref = None
    enterprise: _Ref = None
    channel: _Ref = None
    user_id: _Id = None
    team_id: _Id = None
    enterprise_id: _Id = None
    channel_id: _Id = None
    authorizations: list[_Scope] | None = None
    event: _Scope | None = None
    view: _Ids | None = None
    message: _Scope | _NotObject = None
    previous_message: _Scope | _NotObject = None
    item: _Scope | _NotObject = None
    assistant_thread: _Scope | _NotObject = None
    response_url: str | None = None
    response_urls: list[dict[str, Any]] | None = None

    @field_validator("event", "view", mode="before")
    @classmethod
    def _object_when_present(cls, value: Any) -> Any:
        if value is None:  # Bolt reads `body.get("event", {}).get(…)` and `body["view"].get(…)`: absent, or an object
            raise ValueError("must be an object")
        return value


class _Action(_Open):
    action_id: str


class _BlockActions(_Open):
    actions: list[_Action] = Field(min_length=1)


class _View(_Open):
    callback_id: str
    type: Literal["modal"]  # a `workflow_step` view makes Bolt read fields this app never gets


class _ViewPayload(_Open):
    view: _View


class _Callback(_Open):
    callback_id: str


class _Event(_Open):
    type: str


class _EventCallback(_Open):
    event: _Event


class _Command(_Open):
    command: str


class _Challenge(_Open):
    challenge: str


# Every request kind the app serves, by `type`, with the fields Bolt routes it by; None: slash commands.
_KINDS: dict[str | None, type[BaseModel]] = {
    None: _Command,
    "block_actions": _BlockActions,
    "block_suggestion": _Action,  # an options request names its select like a click names its button
    "view_submission": _ViewPayload,
    "view_closed": _ViewPayload,
    "message_action": _Callback,
    "shortcut": _Callback,
    "event_callback": _EventCallback,
    "url_verification": _Challenge,
    "app_rate_limited": _Open,
}
_IMPERSONAL = frozenset({"url_verification", "app_rate_limited"})


def check(body: dict[str, Any]) -> None:
    """BadPayload unless Bolt can route `body` safely and, for what a person did, it names that person."""
    if body.get("ssl_check") == "1":
        return  # Slack's TLS check: Bolt answers it before routing
    try:
        _Scope.model_validate(body)
        kind = body.get("type")
        if kind not in _KINDS:
            raise BadPayload(f"The bot does not handle requests of type {str(kind)[:40]!r}.")
        if kind is None and "command" not in body:
            raise BadPayload("Slack sent a request with neither a type nor a command, so nothing was done.")
        _KINDS[kind].model_validate(body)
    except ValidationError as e:
        raise BadPayload(_unreadable(_shape_problems(e))) from None
    if kind in _IMPERSONAL or (kind == "event_callback" and body["event"]["type"] not in _PERSONAL_EVENTS):
        return
    if person(body) is None:
        raise BadPayload("The request names no Slack user, so nothing was done.")


def _shape_problems(error: ValidationError) -> str:
    """Which fields are missing or malformed, by path (`actions.0.action_id`), leaving out pydantic's union tags."""
    problems: dict[str, str] = {}
    for item in error.errors(include_input=False, include_url=False):
        path = ".".join(str(p) for p in item["loc"] if isinstance(p, int) or (_FIELD.match(p) and p not in _TAGS))
        problems.setdefault(path or "the body", "is missing" if item["type"] == "missing" else "is malformed")
    return "; ".join(f"{path} {problem}" for path, problem in problems.items())


def person(body: dict[str, Any]) -> str | None:
    """Who acted: `user.id` (interactivity), `user_id` (commands) or `event.user` (events), when it is a Slack id."""
    for value in (get(body, "user", "id"), body.get("user_id"), get(body, "event", "user")):
        if isinstance(value, str) and SLACK_ID.match(value):
            return value
    return None


# -- in listeners ----------------------------------------------------------------------------------


def get(data: Any, *path: str | int) -> Any:
    """The value at `path` (keys and list indexes), or None when any step is missing or of another type."""
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict):
            data = data.get(step)
        else:
            return None
    return data


def optional_text(data: Any, *path: str | int, what: str, limit: int = 255) -> str | None:
    """The text at `path`, None when absent, null or blank; BadPayload when it is there but not text or too long."""
    value = get(data, *path)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadPayload(nothing_done(what))
    return value


def text(data: Any, *path: str | int, what: str, limit: int = 255) -> str:
    """The non-blank text at `path`; BadPayload naming `what` otherwise."""
    value = optional_text(data, *path, what=what, limit=limit)
    if value is None:
        raise BadPayload(nothing_done(what))
    return value


def slack_id(data: Any, *path: str | int, what: str) -> str:
    """A Slack id (user, channel) at `path`; BadPayload naming `what` when it is missing or not an id."""
    value = get(data, *path)
    if not isinstance(value, str) or not SLACK_ID.match(value):
        raise BadPayload(nothing_done(what))
    return value


def metadata(raw: Any) -> dict[str, Any]:
    """A view's `private_metadata` (which the bot wrote as a JSON object); BadPayload when it came back damaged."""
    if raw is None or raw == "":
        return {}
    try:
        data = safe_json.loads(raw) if isinstance(raw, str) else None
    except safe_json.UnsafeJson:
        data = None
    if not isinstance(data, dict):
        raise BadPayload("The modal's saved state came back damaged, so nothing was done. Close it and start again.")
    return data


def selected_values(values: Any, block_id: str, action_ids: Iterable[str]) -> list[str]:
    """The option values picked in a submitted multi-select (whichever of `action_ids` it is); BadPayload
    under `block_id`, shown in the modal, when an option carries anything but text."""
    block = get(values, block_id)
    for action_id in action_ids:
        options = get(block, action_id, "selected_options")
        if options is None:
            continue
        picked = options if isinstance(options, list) else [options]
        found = [get(option, "value") for option in picked]
        for value in found:
            if not isinstance(value, str):
                shown = json.dumps(value)[:40]
                message = f"A picked option carried {shown} instead of an id, so nothing was done."
                raise BadPayload(message, block_id=block_id)
        return found
    return []


# Slack's limit for a plain_text_input, and so for a resolution note.
NOTE_LIMIT = 3000


def note(values: Any) -> str | None:
    """The resolution note of a submitted resolving modal, without surrounding space; None when blank."""
    typed = optional_text(values, BlockId.NOTE.value, ActionId.NOTE.value, "value", what="note", limit=NOTE_LIMIT)
    return typed.strip() if typed else None
