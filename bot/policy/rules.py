"""What an access policy means: rules in order, the first that matches decides; else the default.

A rule matches an action when it lists the verb, names the actor (or names nobody: then anyone),
lists the channel (or none: then anywhere) and its incident filter matches (or it has none).
`Policy.decide` can be asked before the incident is read: it answers with a final `Decision`
whenever the incident cannot change whether the action is allowed, and `NeedsIncident` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.policy import words
from bot.policy.facts import Actor, IncidentFacts
from bot.services.actions import Verb

DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Which incidents (and cases) a rule is about: every filter given must match one of its values.
    Applications, subsystems, severities and priorities are kept in lower case and compared so; a
    case has no severity and an incident no priority, so such a filter never matches the other kind."""

    applications: tuple[str, ...] = ()
    subsystems: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    priorities: tuple[str, ...] = ()

    def matches(self, facts: IncidentFacts) -> bool:
        """Whether the incident is one this filter is about."""
        return (
            _among(facts.application, self.applications)
            and _among(facts.subsystem, self.subsystems)
            and _among(facts.severity, self.severities)
            and _among(facts.priority, self.priorities)
            and all(facts.labels.get(key) in values for key, values in self.labels)
        )


def _among(value: str | None, allowed: tuple[str, ...]) -> bool:
    return not allowed or (value is not None and value.lower() in allowed)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: `allow` (else deny) the `verbs` to its users and user groups, in its channels, on
    the incidents its filter is about. `usergroups` are as written (@handles and ids); `group_ids`
    are the ids they stand for, handles included once the policy is `resolved`."""

    number: int
    allow: bool
    verbs: frozenset[Verb]
    name: str | None = None
    users: tuple[str, ...] = ()
    usergroups: tuple[str, ...] = ()
    group_ids: frozenset[str] = frozenset()
    channels: tuple[str, ...] = ()
    incidents: IncidentFilter | None = None
    message: str | None = None

    @property
    def label(self) -> str:
        """How people are told which rule it was: `rule 3`, or `rule 3 (its name)`."""
        return f"rule {self.number}" + (f" ({self.name})" if self.name else "")

    @property
    def anyone(self) -> bool:
        """The rule names no user and no user group: it is about everyone."""
        return not self.users and not self.usergroups

    def names(self, actor: Actor) -> bool:
        """The actor is one of the people this rule is about."""
        return self.anyone or actor.user in self.users or not self.group_ids.isdisjoint(actor.usergroups)

    def holds_in(self, channel: str | None) -> bool:
        """The rule is about this place (an action from no channel is in none of a rule's channels)."""
        return not self.channels or channel in self.channels


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether the action is allowed, by which rule (`rule 3`, `rule 3 (name)` or `default`), and
    the rule's `message` (whom to ask), if it has one."""

    allowed: bool
    rule: str
    message: str | None = None
    verb: Verb = field(kw_only=True)

    @property
    def reason(self) -> str:
        """The sentence shown to the person: why they may (not) do this."""
        if self.rule == DEFAULT:
            if self.allowed:
                return f"The access policy lets you {self.verb} this (default: allow)."
            return f"No rule of the access policy allows you to {self.verb} this (default: deny)."
        if self.allowed:
            return f"Allowed by {self.rule} of the access policy."
        return f"Refused by {self.rule}: " + (self.message or f"the access policy does not let you {self.verb} this.")


@dataclass(frozen=True, slots=True)
class NeedsIncident:
    """No final decision without the incident's facts: `rule` is the first rule that needs them."""

    rule: str


@dataclass(frozen=True, slots=True)
class Policy:
    """An access policy: `rules` in order, and what happens when none matches."""

    rules: tuple[Rule, ...] = ()
    default_allow: bool = True

    @classmethod
    def allow_everyone(cls) -> Policy:
        """The policy without a file: everyone may do everything (in the bot's own workspace)."""
        return cls((), default_allow=True)

    def handles(self) -> frozenset[str]:
        """Every user-group handle the rules name, without the `@` and in lower case, as Slack's
        `usergroups.list` reports them: the caller looks them up and passes them to `resolved`."""
        return frozenset(g.removeprefix("@") for rule in self.rules for g in rule.usergroups if g.startswith("@"))

    def resolved(self, handle_to_id: Mapping[str, str]) -> Policy:
        """This policy with every handle replaced by its user group's id, for matching. Keys may be
        written with or without `@`, in any case. A handle missing from the mapping matches nobody."""
        ids = {handle.removeprefix("@").lower(): group for handle, group in handle_to_id.items()}
        rules = []
        for rule in self.rules:
            found = {ids.get(g.removeprefix("@").lower()) if g.startswith("@") else g for g in rule.usergroups}
            rules.append(replace(rule, group_ids=frozenset(g for g in found if g)))
        return replace(self, rules=tuple(rules))

    def decide(
        self, actor: Actor, verb: Verb, channel: str | None, incident: IncidentFacts | None
    ) -> Decision | NeedsIncident:
        """Whether `actor` may `verb` the incident (from `channel`, None when from no channel).

        Without the incident (`incident=None`), the answer is final when no incident could change
        whether the action is allowed (every rule that might apply agrees with the first one that
        applies whatever the incident, or the default): it then names that rule, or the default.
        Otherwise it is `NeedsIncident`: ask again with the incident's facts.
        """
        final, pending = self._walk(actor, verb, channel, incident)
        if any(rule.allow != final.allowed for rule in pending):
            return NeedsIncident(pending[0].label)
        return final

    def decide_for(self, actor: Actor, verb: Verb, channel: str | None, incident: IncidentFacts) -> Decision:
        """`decide` with the incident known: always final."""
        return self._walk(actor, verb, channel, incident)[0]

    def _walk(
        self, actor: Actor, verb: Verb, channel: str | None, incident: IncidentFacts | None
    ) -> tuple[Decision, list[Rule]]:
        """The first rule that applies whatever the incident (or the default), and before it, without
        the incident, the rules that would apply or not depending on it."""
        pending: list[Rule] = []
        for rule in self.rules:
            if verb not in rule.verbs or not rule.names(actor) or not rule.holds_in(channel):
                continue
            if rule.incidents is None or (incident is not None and rule.incidents.matches(incident)):
                return Decision(rule.allow, rule.label, rule.message, verb=verb), pending
            if incident is None:
                pending.append(rule)
        return Decision(self.default_allow, DEFAULT, verb=verb), pending

    def in_words(self) -> list[str]:
        """One line per rule in plain words, and a last line for the default (for `doctor`)."""
        return [*(words.rule_line(rule) for rule in self.rules), words.default_line(self.default_allow)]

    def summary_for(self, actor: Actor, verb: Verb) -> str:
        """What `actor` may `verb`, in one sentence of Slack mrkdwn (for App Home)."""
        return words.summary(self, actor, verb)
