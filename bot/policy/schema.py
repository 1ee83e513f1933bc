"""The structure of the access-policy file, as pydantic models: every key known, every id shaped.

Only the structure lives here; what a rule means is `bot.policy.rules`. Every list must be
non-empty: `users: []` would otherwise read as "anyone", the opposite of what it says.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.services.actions import Verb

# Slack's ids are upper-case letters and digits after a one-letter kind; names change, ids do not.
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,39}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,39}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,39}$")
# A user group's handle as people type it (`@oncall-payments`); Slack keeps handles in lower case.
HANDLE = re.compile(r"^@[a-z0-9][a-z0-9._-]{0,79}$", re.IGNORECASE)
SEVERITIES = ("critical", "error", "warning", "info", "low")


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _shaped(pattern: re.Pattern[str], hint: str) -> AfterValidator:
    def check(value: str) -> str:
        value = value.strip()
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {hint}")
        return value

    return AfterValidator(check)


def _usergroup(value: str) -> str:
    value = value.strip()
    if USERGROUP_ID.match(value):
        return value
    if HANDLE.match(value):
        return value.lower()
    raise ValueError(f'{value!r} is not a user group: write its @handle (quoted: "@oncall") or its id like S0123ABCD')


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


UserId = Annotated[str, _shaped(USER_ID, "a user id like U0123ABCD (profile → ⋮ → Copy member ID), not a name")]
Usergroup = Annotated[str, AfterValidator(_usergroup)]
ChannelId = Annotated[str, _shaped(CHANNEL_ID, "a channel id like C0123ABCD (channel details → bottom), not a #name")]
Text = Annotated[str, AfterValidator(_text)]
LowerText = Annotated[str, AfterValidator(_text), AfterValidator(_lower)]
VerbName = Annotated[Verb, BeforeValidator(_lower)]
Priority = Annotated[Literal["p1", "p2", "p3", "p4", "p5"], BeforeValidator(_lower)]
Severity = Annotated[Literal["critical", "error", "warning", "info", "low"], BeforeValidator(_lower)]


class Spec(BaseModel):
    """Unknown keys are errors (a misspelt key would otherwise be a rule that silently matches more)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class IncidentsSpec(Spec):
    """Which incidents a rule is about; every listed filter must match (any of its values)."""

    applications: tuple[LowerText, ...] = Field(default=(), min_length=1)
    subsystems: tuple[LowerText, ...] = Field(default=(), min_length=1)
    severities: tuple[Severity, ...] = Field(default=(), min_length=1)
    labels: dict[Text, Annotated[tuple[Text, ...], Field(min_length=1)]] = Field(default_factory=dict, min_length=1)
    priorities: tuple[Priority, ...] = Field(default=(), min_length=1)  # a Coralogix Case's: P1 … P5

    @model_validator(mode="after")
    def _some_filter(self) -> IncidentsSpec:
        if not (self.applications or self.subsystems or self.severities or self.labels or self.priorities):
            raise ValueError(
                "names no filter: give applications, subsystems, severities, priorities or labels, or leave it out"
            )
        return self


class RuleSpec(Spec):
    """One rule as written: what it decides (allow or deny), for whom, where and about which incidents."""

    allow: tuple[VerbName, ...] = Field(default=(), min_length=1)
    deny: tuple[VerbName, ...] = Field(default=(), min_length=1)
    name: Text | None = None
    users: tuple[UserId, ...] = Field(default=(), min_length=1)
    usergroups: tuple[Usergroup, ...] = Field(default=(), min_length=1)
    channels: tuple[ChannelId, ...] = Field(default=(), min_length=1)
    incidents: IncidentsSpec | None = None
    message: Text | None = None

    @field_validator("name", "incidents", "message", mode="before")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        # `incidents:` with nothing after it would otherwise read as "any incident".
        if value is None:
            raise ValueError("is empty: give it a value, or leave the key out")
        return value

    @model_validator(mode="after")
    def _one_decision(self) -> RuleSpec:
        if problem := decision_problem(allow=bool(self.allow), deny=bool(self.deny)):
            raise ValueError(problem)
        return self


def decision_problem(*, allow: bool, deny: bool) -> str | None:
    """What is wrong with a rule that has (or lacks) these keys: it must have exactly one. The loader
    also asks this of the keys as written, since pydantic runs `_one_decision` only once every field
    of the rule is valid, and every problem is reported at once."""
    if allow and deny:
        return "has both allow and deny: a rule does one of them (split it in two)"
    if not (allow or deny):
        return "needs allow or deny: the list of verbs (resolve, acknowledge, close) it decides"
    return None


class PolicySpec(Spec):
    """The whole file: rules in order (the first that matches decides), and what happens otherwise."""

    rules: tuple[RuleSpec, ...] = ()
    default: Annotated[Literal["allow", "deny"], BeforeValidator(_lower)] = "deny"


# What each mapping of the file may hold, by where it is: for "unknown key" messages.
KEYS: dict[str, tuple[str, ...]] = {
    "policy": tuple(PolicySpec.model_fields),
    "rule": tuple(RuleSpec.model_fields),
    "incidents": tuple(IncidentsSpec.model_fields),
}
