"""The access policy applied to people: who is acting (their user groups), and what they may do.

Slack-free: user groups come from a `Groups` source (the Slack directory implements it), read
again on every decision, so a membership change applies to the next action with no restart.
The policy's `@handles` are resolved to group ids whenever the known handles change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.api import Case, Incident
from bot.policy import Actor, Decision, NeedsIncident, Policy
from bot.policy.facts import facts_of
from bot.services.actions import IdResult, Outcome, Verb

NOT_FOUND_REASON = "no such incident in Coralogix"
CASE_NOT_FOUND_REASON = "no such case in Coralogix"
# What the policy decides on: an incident, or a Coralogix Case (its priority and labels).
Target = Incident | Case


class Groups(Protocol):
    """Where user groups and their members come from."""

    async def groups_of(self, user: str) -> frozenset[str]:
        """The ids of the user groups `user` belongs to."""

    async def handles(self) -> dict[str, str]:
        """Every group's `@handle` → id."""


@dataclass(slots=True)
class Verdicts:
    """An action's incidents sorted by the policy: those it may act on (with the rule that allowed
    each), those refused or not found (as results), and the incidents (or cases) read to decide."""

    allowed: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # id -> the rule that decided ("default" included)
    settled: list[IdResult] = field(default_factory=list)  # refused, or not found when read to decide
    read: dict[str, Target] = field(default_factory=dict)


class NeedsIncidentError(RuntimeError):
    """`sort` was asked without the incidents where the policy needs them (a bug in the caller)."""


class Access:
    """One policy, applied with the user groups as Slack knows them now."""

    def __init__(self, policy: Policy, groups: Groups) -> None:
        self.written = policy
        self.groups = groups
        self._resolved: tuple[dict[str, str], Policy] | None = None

    @property
    def open(self) -> bool:
        """The policy has no rules and allows by default: nothing to look up, everyone may act."""
        return not self.written.rules and self.written.default_allow

    async def policy(self) -> Policy:
        """The policy with its handles resolved to the group ids Slack knows now."""
        if not self.written.handles():
            return self.written
        handles = await self.groups.handles()
        if self._resolved is None or self._resolved[0] != handles:
            self._resolved = (handles, self.written.resolved(handles))
        return self._resolved[1]

    async def actor(self, user: str) -> Actor:
        """The person, with the user groups they are in now (none looked up when no rule names one)."""
        if not any(rule.usergroups for rule in self.written.rules):
            return Actor(user)
        return Actor(user, await self.groups.groups_of(user))

    async def first_look(self, user: str, verb: Verb, channel: str | None) -> Decision | NeedsIncident:
        """The decision before any incident is read: final, or `NeedsIncident`."""
        if self.open:
            return Decision(True, "default", verb=verb)
        return (await self.policy()).decide(await self.actor(user), verb, channel, None)

    async def sort(
        self,
        user: str,
        verb: Verb,
        channel: str | None,
        ids: Sequence[str],
        read: Mapping[str, Target] | None,
        *,
        cases: frozenset[str] = frozenset(),
    ) -> Verdicts:
        """Each id allowed or refused. `read`: the incidents and cases read from Coralogix (an id missing
        from it is not found), needed when `first_look` said `NeedsIncident`; None when it was final.
        `cases`: the ids that name cases (a missing one is "no such case")."""
        policy = self.written if self.open else await self.policy()
        actor = Actor(user) if self.open else await self.actor(user)
        verdicts = Verdicts(read=dict(read or {}))
        for incident_id in dict.fromkeys(ids):
            incident = verdicts.read.get(incident_id)
            if read is None:
                decision = policy.decide(actor, verb, channel, None)
                if isinstance(decision, NeedsIncident):
                    raise NeedsIncidentError(decision.rule)
            elif incident is None:
                why = CASE_NOT_FOUND_REASON if incident_id in cases else NOT_FOUND_REASON
                verdicts.settled.append(IdResult(incident_id, Outcome.NOT_FOUND, reason=why))
                continue
            else:
                decision = policy.decide_for(actor, verb, channel, facts_of(incident))
            verdicts.rules[incident_id] = decision.rule
            if decision.allowed:
                verdicts.allowed.append(incident_id)
            else:
                verdicts.settled.append(_refused(incident_id, incident, decision))
        return verdicts

    async def may(self, user: str, verb: Verb, channel: str | None, incidents: Sequence[Target]) -> set[str]:
        """The ids among `incidents` (or cases, already read) that `user` may `verb` (App Home)."""
        if self.open:
            return {i.id for i in incidents}
        found = await self.sort(user, verb, channel, [i.id for i in incidents], {i.id: i for i in incidents})
        return set(found.allowed)

    async def summary(self, user: str, verb: Verb) -> str | None:
        """What `user` may `verb`, in one mrkdwn sentence; None when everyone may do everything."""
        if self.open:
            return None
        return (await self.policy()).summary_for(await self.actor(user), verb)


def _refused(target_id: str, target: Target | None, decision: Decision) -> IdResult:
    """The policy said no: the result names the rule, and carries what was read."""
    if isinstance(target, Case):
        return IdResult(target_id, Outcome.REFUSED, reason=decision.reason, rule=decision.rule, case=target)
    return IdResult(target_id, Outcome.REFUSED, target, reason=decision.reason, rule=decision.rule)
