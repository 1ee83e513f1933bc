"""Alert notifications from Coralogix (outbound webhook or Notification Center), as the bot reads them.

The body is whatever the user's template produced, so the model is tolerant: known fields are
typed and normalised, unknown ones are kept for display only and never drive any decision.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.api.models import IncidentSeverity
from bot.parsing import is_incident_id
from bot.settings import CONVERSATION_ID


class AlertAction(StrEnum):
    """Whether the alert fired or ended."""

    TRIGGER = "trigger"
    RESOLVE = "resolve"


_ACTION_WORDS = {
    "trigger": AlertAction.TRIGGER,
    "triggered": AlertAction.TRIGGER,
    "firing": AlertAction.TRIGGER,
    "fire": AlertAction.TRIGGER,
    "open": AlertAction.TRIGGER,
    "alert": AlertAction.TRIGGER,
    "resolve": AlertAction.RESOLVE,
    "resolved": AlertAction.RESOLVE,
    "recovered": AlertAction.RESOLVE,
    "ok": AlertAction.RESOLVE,
    "close": AlertAction.RESOLVE,
    "closed": AlertAction.RESOLVE,
}
# A template variable left unreplaced, whatever the template language: `$ALERT_ID`, `$alert_id`,
# `${alert.id}`, `{{ alertDef.id }}`, `{% … %}`; or what an unset value renders as (`NaN`, `null`…).
_PLACEHOLDER = re.compile(r"\$\{?[A-Za-z_][\w.]*\}?|\{\{.*\}\}|\{%.*%\}|(?i:nan|null|none|undefined)", re.DOTALL)
# The last epoch second of year 9999; epoch numbers above 1e11 are read as milliseconds.
_LAST_EPOCH_SECOND = 253_402_300_799
_SEVERITY_WORDS = {
    "critical": IncidentSeverity.CRITICAL,
    "p1": IncidentSeverity.CRITICAL,
    "error": IncidentSeverity.ERROR,
    "p2": IncidentSeverity.ERROR,
    "warning": IncidentSeverity.WARNING,
    "p3": IncidentSeverity.WARNING,
    "info": IncidentSeverity.INFO,
    "p4": IncidentSeverity.INFO,
    "low": IncidentSeverity.LOW,
    "p5": IncidentSeverity.LOW,
}


def slack_channel(value: str | None) -> str | None:
    """A notification's channel, refused unless it is a Slack channel id (names change; ids do not)."""
    if value is not None and not CONVERSATION_ID.match(value):
        raise ValueError("must be a Slack channel id like C0123ABCD, not a #name")
    return value


def _absent(value: str) -> bool:
    """Empty, or a template variable left unreplaced (`$ALERT_URL`, `{{ alert.url }}`); "$5 over budget" is kept."""
    return not value.strip() or bool(_PLACEHOLDER.fullmatch(value.strip()))


def _number(text: str) -> float | None:
    """`text` as a number when it is one, else None."""
    try:
        return float(text)
    except ValueError:
        return None


def _epoch(value: int | float) -> datetime:
    """Epoch seconds or milliseconds as a UTC datetime; ValueError when out of range (negative, past year 9999)."""
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        number = math.inf
    seconds = number / 1000 if number > 1e11 else number
    if not 0 <= seconds <= _LAST_EPOCH_SECOND:  # also false for NaN
        raise ValueError("is out of range: epoch seconds or milliseconds from 1970 to 9999 are accepted")
    return datetime.fromtimestamp(seconds, UTC)


class AlertNotification(BaseModel):
    """One notification; `extras` are the fields the bot does not know, kept for display."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)

    alert_id: str = Field(min_length=1, max_length=255)
    # Coralogix has two alert ids ($ALERT_UNIQUE_IDENTIFIER, $ALERT_ID); which one incidents carry as
    # their `alert_id` label is unconfirmed, so the template sends both and the lookup tries both.
    alert_version_id: str | None = Field(default=None, max_length=255)
    alert_name: str = Field(min_length=1, max_length=1000)
    alert_action: AlertAction = AlertAction.TRIGGER
    severity: str | None = None
    description: str | None = None
    alert_url: str | None = None
    application: str | None = None
    subsystem: str | None = None
    timestamp: datetime | None = None
    incident_id: str | None = None
    channel: str | None = None
    group_by: str | None = None

    @classmethod
    def stored(cls, data: dict[str, Any]) -> AlertNotification:
        """A notification read back from the store. It was accepted once: a rule added since (say, a new
        placeholder syntax) must never make a message already posted impossible to re-render."""
        return cls.model_validate(data, context={"stored": True})

    @field_validator("alert_id", "alert_name", mode="before")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # a JSON NaN arrives as a float: "nan", refused below
        if (info.context or {}).get("stored"):
            return value
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty")
        if isinstance(value, str) and _PLACEHOLDER.fullmatch(value.strip()):
            # Unreplaced, it would be shared by every alert: their messages would be merged into one.
            raise ValueError(f"is the unreplaced template placeholder {value.strip()[:100]}")
        return value

    @field_validator("alert_action", mode="before")
    @classmethod
    def _action(cls, value: Any) -> Any:
        if value is None or value == "":
            return AlertAction.TRIGGER
        word = str(value).strip().lower()
        if word not in _ACTION_WORDS:
            raise ValueError("must be trigger or resolve (triggered/resolved are accepted too)")
        return _ACTION_WORDS[word]

    @field_validator(
        "severity", "description", "alert_url", "application", "subsystem", "channel", "alert_version_id", mode="before"
    )
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and _absent(value)):
            return None  # an empty or unreplaced `$PLACEHOLDER` means "not given"
        return str(value) if isinstance(value, int | float) else value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return slack_channel(value)

    @field_validator("group_by", mode="before")
    @classmethod
    def _group_by(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return ", ".join(f"{k}={v}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return cls._optional_text(value)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        if isinstance(value, str) and _absent(value):
            return None
        if isinstance(value, bool):
            raise ValueError("must be ISO 8601 or epoch seconds or milliseconds")
        if isinstance(value, int | float):
            return _epoch(value)
        if isinstance(value, str) and (number := _number(value)) is not None:
            return _epoch(number)  # an epoch as text: "1700000000", "1e300", "-1"
        return value  # ISO 8601, parsed by pydantic

    @field_validator("incident_id", mode="before")
    @classmethod
    def _incident_id(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and _absent(value)):
            return None
        if not isinstance(value, str) or not is_incident_id(value.strip()):
            raise ValueError("must be a Coralogix incident id (36-character UUID)")
        return value.strip().lower()

    @property
    def incident_severity(self) -> IncidentSeverity | None:
        """The severity word mapped onto Coralogix's scale (P1 to P5 too)."""
        return _SEVERITY_WORDS.get((self.severity or "").strip().lower())

    @property
    def alert_ids(self) -> list[str]:
        """Every id an incident's `alert_id` label may hold for this alert."""
        return list(dict.fromkeys(i for i in (self.alert_id, self.alert_version_id) if i))

    @property
    def extras(self) -> dict[str, str]:
        """Fields the bot does not know, as text (for display only)."""
        return {k: str(v) for k, v in (self.model_extra or {}).items() if v not in (None, "")}
