"""The access policy applied: user groups looked up only when a rule names one, handles resolved as
Slack knows them now, incidents read only when a rule looks at them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.api import Incident
from bot.policy import Decision, NeedsIncident, Policy, parse_policy
from bot.services.access import Access, NeedsIncidentError
from bot.services.actions import Outcome, Verb
from tests.fakes.coralogix import make_incident

RESOLVE = Verb.RESOLVE
POLICY = """\
rules:
  - allow: [resolve]
    usergroups: ["@oncall"]
    incidents: {applications: [payments]}
  - deny: [resolve]
    users: [U0INTERN]
default: deny
"""


@dataclass
class Groups:
    """User groups as a dict, counting lookups."""

    members: dict[str, set[str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=lambda: {"@oncall": "S0ONCALL"})
    lookups: int = 0

    async def groups_of(self, user: str) -> frozenset[str]:
        """The groups `user` is in."""
        self.lookups += 1
        return frozenset(g for g, users in self.members.items() if user in users)

    async def handles(self) -> dict[str, str]:
        """Handle to id."""
        return dict(self.ids)


def incident(incident_id: str, application: str) -> Incident:
    """A spec-valid incident of `application`."""
    return Incident.model_validate(make_incident(incident_id, application=application))


async def test_without_a_policy_everyone_may_and_nothing_is_looked_up() -> None:
    """The default policy allows every id at once, with no group lookup and no read."""
    groups = Groups()
    access = Access(Policy.allow_everyone(), groups)
    assert await access.first_look("U0X", RESOLVE, "C0A") == Decision(True, "default", verb=RESOLVE)
    verdicts = await access.sort("U0X", RESOLVE, "C0A", ["a", "b", "a"], None)
    assert verdicts.allowed == ["a", "b"] and groups.lookups == 0
    assert await access.summary("U0X", RESOLVE) is None


async def test_a_final_decision_needs_no_incident() -> None:
    """The intern is refused by rule 2 before any incident is read."""
    access = Access(parse_policy(POLICY), Groups())
    first = await access.first_look("U0INTERN", RESOLVE, None)
    assert isinstance(first, Decision) and not first.allowed and first.rule == "rule 2"
    verdicts = await access.sort("U0INTERN", RESOLVE, None, ["a"], None)
    assert [(r.id, r.outcome, r.rule) for r in verdicts.settled] == [("a", Outcome.REFUSED, "rule 2")]


async def test_a_rule_on_the_incident_asks_for_it_and_decides_per_id() -> None:
    """A member of @oncall needs the incidents: payments allowed, others refused, unknown ids not found."""
    groups = Groups(members={"S0ONCALL": {"U0ON"}})
    access = Access(parse_policy(POLICY), groups)
    assert isinstance(await access.first_look("U0ON", RESOLVE, None), NeedsIncident)
    with pytest.raises(NeedsIncidentError):
        await access.sort("U0ON", RESOLVE, None, ["p"], None)
    read = {"p": incident("p", "payments"), "c": incident("c", "checkout")}
    verdicts = await access.sort("U0ON", RESOLVE, None, ["p", "c", "gone"], read)
    assert verdicts.allowed == ["p"] and verdicts.rules == {"p": "rule 1", "c": "default"}
    assert {r.id: r.outcome for r in verdicts.settled} == {"c": Outcome.REFUSED, "gone": Outcome.NOT_FOUND}


async def test_handles_are_resolved_again_when_slack_renames_a_group() -> None:
    """A handle that moves to another group id applies at the next decision."""
    groups = Groups(members={"S0ONCALL": {"U0ON"}, "S0NEW": {"U0NEW"}})
    access = Access(parse_policy(POLICY), groups)
    read = {"p": incident("p", "payments")}
    assert (await access.sort("U0NEW", RESOLVE, None, ["p"], read)).allowed == []
    groups.ids = {"@oncall": "S0NEW"}
    assert (await access.sort("U0NEW", RESOLVE, None, ["p"], read)).allowed == ["p"]
    assert await access.may("U0NEW", RESOLVE, None, list(read.values())) == {"p"}
