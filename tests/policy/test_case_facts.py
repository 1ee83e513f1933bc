"""Policy rules on Coralogix Cases: a case's priority and labels are facts like an incident's severity."""

from __future__ import annotations

from bot.api.case_models import Case
from bot.policy import Actor, IncidentFacts, parse_policy
from bot.services.actions import Verb

POLICY = """\
rules:
  - name: p1
    deny: [resolve, close]
    incidents: {priorities: [P1]}
  - name: payments cases
    allow: [resolve]
    incidents: {labels: {team: [payments]}}
default: deny
"""


def case(priority: str, **labels: str) -> Case:
    """A case with this priority and labels."""
    return Case.model_validate(
        {"id": "c1", "priority": priority, "labels": [{"key": k, "value": v} for k, v in labels.items()]}
    )


def test_a_case_gives_its_priority_and_labels() -> None:
    """`CASE_PRIORITY_P1` is the fact `p1`; labels are the case's; there is no severity."""
    facts = IncidentFacts.of_case(case("CASE_PRIORITY_P1", team="payments"))
    assert facts.priority == "p1" and facts.severity is None
    assert dict(facts.labels) == {"team": "payments"}


def test_rules_match_cases_by_priority_and_label() -> None:
    """P1 is refused by the priority rule; a P2 of team payments is allowed by the label rule; others fall to
    the default."""
    policy = parse_policy(POLICY, "policy.yml")
    actor = Actor("U1")
    p1 = policy.decide_for(actor, Verb.RESOLVE, None, IncidentFacts.of_case(case("CASE_PRIORITY_P1", team="payments")))
    assert not p1.allowed and p1.rule == "rule 1 (p1)"
    p2 = policy.decide_for(actor, Verb.RESOLVE, None, IncidentFacts.of_case(case("CASE_PRIORITY_P2", team="payments")))
    assert p2.allowed and p2.rule == "rule 2 (payments cases)"
    other = policy.decide_for(actor, Verb.RESOLVE, None, IncidentFacts.of_case(case("CASE_PRIORITY_P3")))
    assert not other.allowed and other.rule == "default"


def test_a_priority_filter_never_matches_an_incident() -> None:
    """An incident has no priority: a `priorities` rule does not apply to it."""
    policy = parse_policy(POLICY, "policy.yml")
    decision = policy.decide_for(Actor("U1"), Verb.RESOLVE, None, IncidentFacts(severity="critical"))
    assert decision.rule == "default"
