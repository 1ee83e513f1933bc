"""Case notifications from Coralogix's Notification Center (entity type Cases), as the bot reads them.

They arrive at the same `POST /coralogix/webhook` as alert notifications. `is_case_body` tells the
two apart on the raw JSON, before either model sees it, so an alert body is never validated as a
case and a case body never as an alert:

1. an entity type, when the body names one (`_context.entityType`, `entity_type`, `entityType` or
   `entity`), decides: `cases` or `case` (any case) is a case, anything else an alert;
2. otherwise a top-level `case` object or a `case_id` / `caseId` key makes it a case;
3. everything else is an alert notification.

Which variables Coralogix fills in for Cases is not confirmed, so the README's template dumps the
case and the context, and `CaseNotification.from_body` accepts the documented field names: the
Cases API's own (`id`, `readableId`, `title`, `status`, `priority`, `assignee`, `labels`,
`createTime`, `updateTime`), in a `case` object or at the top level, plus a few plain synonyms.
Unknown values (a new status, an event kind the bot does not know) are tolerated, never fatal.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.api.case_ids import case_ref
from bot.api.enums import CasePriority, CaseStatus
from bot.services.notifications import _PLACEHOLDER, _absent, _epoch, _number, slack_channel

_NOT_A_LETTER = re.compile(r"[^a-z]")
ENTITY_KEYS = ("entity_type", "entityType", "entity")
CASE_ENTITY = frozenset({"cases", "case"})


class CaseEvent(StrEnum):
    """What happened to the case (the Notification Center's case notification kinds)."""

    ACTIVATED = "activated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ASSIGNEE_CHANGED = "assignee_changed"
    UPDATED = "updated"  # a kind the bot does not know: the message shows the case as sent


_EVENT_WORDS = {
    "activated": CaseEvent.ACTIVATED,
    "active": CaseEvent.ACTIVATED,
    "created": CaseEvent.ACTIVATED,
    "opened": CaseEvent.ACTIVATED,
    "triggered": CaseEvent.ACTIVATED,
    "acknowledged": CaseEvent.ACKNOWLEDGED,
    "ack": CaseEvent.ACKNOWLEDGED,
    "resolved": CaseEvent.RESOLVED,
    "closed": CaseEvent.CLOSED,
    "assigneechanged": CaseEvent.ASSIGNEE_CHANGED,
    "assigned": CaseEvent.ASSIGNEE_CHANGED,
    "unassigned": CaseEvent.ASSIGNEE_CHANGED,
    "reassigned": CaseEvent.ASSIGNEE_CHANGED,
    "assignmentchanged": CaseEvent.ASSIGNEE_CHANGED,
}
_BY_STATUS = {
    CaseStatus.ACTIVE: CaseEvent.ACTIVATED,
    CaseStatus.ACKNOWLEDGED: CaseEvent.ACKNOWLEDGED,
    CaseStatus.RESOLVED: CaseEvent.RESOLVED,
    CaseStatus.CLOSED: CaseEvent.CLOSED,
}
# Accepted names of each field, first match wins; the top level is read before the `case` object.
NAMES: dict[str, tuple[str, ...]] = {
    "case_id": ("case_id", "caseId", "id"),
    "readable_id": ("readable_id", "readableId", "case_readable_id"),
    "title": ("title", "case_title", "name"),
    "event": ("event", "event_type", "eventType", "entity_sub_type", "entitySubType"),
    "status": ("status", "case_status"),
    "priority": ("priority", "case_priority"),
    "assignee": ("assignee", "assigned_to", "assignedTo"),
    "labels": ("labels",),
    "link": ("link", "url", "case_url", "caseUrl", "deep_link", "deepLink"),
    "created_at": ("created_at", "create_time", "createTime"),
    "updated_at": ("updated_at", "update_time", "updateTime", "timestamp"),
    "channel": ("channel",),
}


def entity_type(body: dict[str, Any]) -> str | None:
    """The entity type the body names (lower case), or None when it names none."""
    context = body.get("_context")
    if isinstance(context, dict) and isinstance(context.get("entityType"), str):
        return str(context["entityType"]).strip().lower()
    for key in ENTITY_KEYS:
        if isinstance(body.get(key), str) and not _absent(body[key]):
            return str(body[key]).strip().lower()
    return None


def is_case_body(body: dict[str, Any]) -> bool:
    """Whether a webhook body is a case notification (the rule in the module docstring)."""
    entity = entity_type(body)
    if entity is not None:
        return entity in CASE_ENTITY
    return isinstance(body.get("case"), dict) or "case_id" in body or "caseId" in body


def _word(value: str) -> str:
    """`CASE_STATUS_ACTIVE`, `caseActivated`, `Assignee changed` → `active`, `activated`, `assigneechanged`."""
    word = _NOT_A_LETTER.sub("", value.lower())
    for prefix in ("casestatus", "case"):
        word = word.removeprefix(prefix)
    return word


_STATUS_WORDS = {_word(s.value): s for s in CaseStatus}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pick(sources: list[dict[str, Any]], names: tuple[str, ...]) -> Any:
    for source in sources:
        for name in names:
            if source.get(name) not in (None, ""):
                return source[name]
    return None


class CaseNotification(BaseModel):
    """One case notification, in the bot's own field names (see `from_body` for the accepted ones)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="ignore")

    case_id: str = Field(min_length=1, max_length=64)  # the UUID, else the readable id
    readable_id: str | None = Field(default=None, max_length=64)
    title: str = Field(default="", max_length=1000)
    event: CaseEvent = CaseEvent.UPDATED
    status: CaseStatus | None = None
    priority: CasePriority | None = None
    assignee: str | None = Field(default=None, max_length=320)
    labels: dict[str, str] = Field(default_factory=dict)
    link: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    channel: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any], *, stored: bool = False) -> CaseNotification:
        """Validate a webhook body: each field under any of its accepted names (`NAMES`), at the top level
        or in a `case` object. Raises pydantic's ValidationError with the bot's field names."""
        if stored:
            return cls.model_validate(body)
        case = _object(body.get("case"))
        context = _object(body.get("_context"))
        sources = [body, case]
        data = {field: _pick(sources, names) for field, names in NAMES.items()}
        data["case_id"] = _pick([body], ("case_id", "caseId")) or _pick([case], ("id", "case_id", "caseId"))
        data["event"] = data["event"] or context.get("entitySubType")
        links = case.get("deepLinks") or body.get("deepLinks")
        if data["link"] is None and isinstance(links, dict):
            data["link"] = links.get("detail")
        if data["case_id"] is None:
            data["case_id"] = data["readable_id"]
        return cls.model_validate({k: v for k, v in data.items() if v is not None})

    @field_validator("case_id", mode="before")
    @classmethod
    def _case_id(cls, value: Any) -> Any:
        text = str(value).strip() if isinstance(value, str | int) else value
        if isinstance(text, str) and _PLACEHOLDER.fullmatch(text):
            raise ValueError(f"is the unreplaced template placeholder {text[:100]}")
        ref = case_ref(text) if isinstance(text, str) else None
        if ref is None:
            raise ValueError("must be a Coralogix case id: a UUID or a readable id like CASE-123")
        return ref

    @field_validator("readable_id", "title", "assignee", "link", "channel", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        if isinstance(value, dict):  # an assignee as {"userId": …, "email": …}
            value = value.get("email") or value.get("name") or value.get("userId") or value.get("user_id")
        if value is None or (isinstance(value, str) and _absent(value)):
            return None
        return str(value) if isinstance(value, int | float) else value

    @field_validator("readable_id")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        return value if value is None or case_ref(value) == value else None  # kept only when it is one

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return slack_channel(value)

    @field_validator("event", mode="before")
    @classmethod
    def _event(cls, value: Any) -> Any:
        if isinstance(value, CaseEvent):
            return value
        word = _word(value) if isinstance(value, str) else ""
        return _EVENT_WORDS.get(word, CaseEvent.UPDATED)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        if not isinstance(value, str) or _absent(value):
            return None
        return _STATUS_WORDS.get(_word(value), CaseStatus(value.strip()))  # an unknown status is kept as sent

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> Any:
        if not isinstance(value, str) or _absent(value):
            return None
        word = value.strip().upper().removeprefix("CASE_PRIORITY_")
        return CasePriority(f"CASE_PRIORITY_{word}") if re.fullmatch(r"P[1-5]", word) else CasePriority(value.strip())

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        if isinstance(value, list):
            pairs = [(i.get("key"), i.get("value")) for i in value if isinstance(i, dict)]
            return {str(k): str(v) for k, v in pairs if k}
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items() if v is not None}
        return {}

    @field_validator("created_at", "updated_at", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, str) and _absent(value):
            return None
        if isinstance(value, bool):
            raise ValueError("must be ISO 8601 or epoch seconds or milliseconds")
        if isinstance(value, int | float):
            return _epoch(value)
        if isinstance(value, str) and (number := _number(value)) is not None:
            return _epoch(number)
        return value

    @model_validator(mode="after")
    def _event_from_status(self) -> CaseNotification:
        """No (known) event kind: the status says what happened."""
        if self.event is CaseEvent.UPDATED and self.status in _BY_STATUS:
            object.__setattr__(self, "event", _BY_STATUS[self.status])
        return self

    @property
    def ref(self) -> str:
        """The id people read: the readable id when there is one."""
        return self.readable_id or self.case_id
