"""`Policy.decide`: the first matching rule decides, else the default; facts asked for only when they matter."""

from __future__ import annotations

import json

import pytest

from bot.api import Incident
from bot.policy import Actor, Decision, IncidentFacts, NeedsIncident, Policy, parse_policy
from bot.services.actions import Verb
from tests.fakes.coralogix import FIXTURES
from tests.policy.sketch import ALICE, BOB, LEAD, ONCALL, ONCALL_ID, SKETCH, sketch

RESOLVE, ACKNOWLEDGE = Verb.RESOLVE, Verb.ACKNOWLEDGE
PAYMENTS = IncidentFacts(severity="error", application="payments")
CRITICAL_PAYMENTS = IncidentFacts(severity="critical", application="payments")
CRITICAL_BILLING = IncidentFacts(severity="critical", application="billing")
WARNING_BILLING = IncidentFacts(severity="warning", application="billing")


def policy(text: str) -> Policy:
    """A policy from YAML text, as the loader reads it."""
    return parse_policy(text, "access-policy.yml")


def decided(result: Decision | NeedsIncident) -> Decision:
    """The decision, failing the test when the policy asked for the incident instead."""
    assert isinstance(result, Decision), result
    return result


def test_everyone_may_do_everything_without_a_policy_file() -> None:
    """The default policy allows any verb to anyone, anywhere, before any incident is read."""
    everyone = Policy.allow_everyone()
    for verb in Verb:
        result = decided(everyone.decide(BOB, verb, None, None))
        assert result.allowed and result.rule == "default"


def test_the_first_matching_rule_decides() -> None:
    """Of an allow and a deny rule that both match, the earlier one wins, whichever it is."""
    allow_first = policy("rules:\n- allow: [resolve]\n  users: [U0BOB]\n- deny: [resolve]\ndefault: allow\n")
    deny_first = policy("rules:\n- deny: [resolve]\n- allow: [resolve]\n  users: [U0BOB]\ndefault: allow\n")
    assert decided(allow_first.decide(BOB, RESOLVE, "C0X", None)) == Decision(True, "rule 1", verb=RESOLVE)
    assert decided(deny_first.decide(BOB, RESOLVE, "C0X", None)) == Decision(False, "rule 1", verb=RESOLVE)


def test_a_rule_decides_only_the_verbs_it_lists() -> None:
    """A deny of resolve leaves acknowledge to the next rule or the default."""
    only_resolve = policy("rules:\n- deny: [resolve]\ndefault: allow\n")
    assert not decided(only_resolve.decide(BOB, RESOLVE, None, None)).allowed
    assert decided(only_resolve.decide(BOB, ACKNOWLEDGE, None, None)) == Decision(True, "default", verb=ACKNOWLEDGE)


@pytest.mark.parametrize("default", ["allow", "deny"])
def test_the_default_decides_what_no_rule_matches(default: str) -> None:
    """With no rule for the actor, `default:` decides, and the decision names it."""
    only_alice = policy(f"rules:\n- deny: [resolve]\n  users: [U0ALICE]\ndefault: {default}\n")
    assert decided(only_alice.decide(BOB, RESOLVE, None, None)) == Decision(default == "allow", "default", verb=RESOLVE)


def test_default_is_deny_when_the_file_does_not_say() -> None:
    """A file without `default:` refuses what no rule allows."""
    assert not decided(policy("rules: []\n").decide(BOB, RESOLVE, None, None)).allowed


def test_users_and_usergroup_ids_name_the_actor() -> None:
    """A rule for users matches those users; a rule for a group id matches its members; others pass by."""
    rules = policy("rules:\n- allow: [resolve]\n  users: [U0BOB, W0ENTERPRISE]\n  usergroups: [S0LEADS]\n")
    assert decided(rules.decide(BOB, RESOLVE, None, None)).allowed
    assert decided(rules.decide(Actor("W0ENTERPRISE"), RESOLVE, None, None)).allowed
    assert decided(rules.decide(Actor("U0EVE", frozenset({"S0X", "S0LEADS"})), RESOLVE, None, None)).allowed
    assert not decided(rules.decide(Actor("U0EVE", frozenset({"S0X"})), RESOLVE, None, None)).allowed


def test_channels_limit_a_rule_to_where_the_action_is_taken() -> None:
    """A rule with channels matches actions from those channels, not others, nor actions from no channel."""
    rules = policy("rules:\n- allow: [resolve]\n  channels: [C0PAYMENTS, G0PRIVATE]\n")
    assert decided(rules.decide(BOB, RESOLVE, "C0PAYMENTS", None)).allowed
    assert decided(rules.decide(BOB, RESOLVE, "G0PRIVATE", None)).allowed
    assert not decided(rules.decide(BOB, RESOLVE, "C0ELSEWHERE", None)).allowed
    assert not decided(rules.decide(BOB, RESOLVE, None, None)).allowed


@pytest.mark.parametrize(
    ("incidents", "matching", "other"),
    [
        ("{applications: [Payments, billing]}", IncidentFacts(application="PAYMENTS"), IncidentFacts(application="x")),
        ("{subsystems: [api]}", IncidentFacts(subsystem="API"), IncidentFacts(subsystem="worker")),
        ("{severities: [Critical, error]}", IncidentFacts(severity="error"), IncidentFacts(severity="warning")),
        ("{labels: {env: [prod, staging]}}", IncidentFacts(labels={"env": "staging"}), IncidentFacts(labels={})),
        (
            "{labels: {env: [prod], team: [pay]}}",
            IncidentFacts(labels={"env": "prod", "team": "pay"}),
            IncidentFacts(labels={"env": "prod", "team": "ops"}),
        ),
        (
            "{applications: [payments], severities: [critical]}",
            CRITICAL_PAYMENTS,
            CRITICAL_BILLING,
        ),
        ("{applications: [payments]}", PAYMENTS, IncidentFacts()),
        ("{labels: {env: [prod]}}", IncidentFacts(labels={"env": "prod"}), IncidentFacts(labels={"env": "Prod"})),
    ],
    ids=["application", "subsystem", "severity", "label", "every-label", "every-filter", "unset", "label-case"],
)
def test_incident_filters(incidents: str, matching: IncidentFacts, other: IncidentFacts) -> None:
    """Each filter matches one of its values (applications, subsystems, severities in any case; labels exactly),
    every filter given must match, and an incident without the fact does not."""
    rules = policy(f"rules:\n- deny: [resolve]\n  incidents: {incidents}\ndefault: allow\n")
    assert decided(rules.decide(BOB, RESOLVE, None, matching)) == Decision(False, "rule 1", verb=RESOLVE)
    assert decided(rules.decide(BOB, RESOLVE, None, other)) == Decision(True, "default", verb=RESOLVE)


def test_handles_match_once_resolved_to_ids() -> None:
    """A handle names nobody until resolved; then the members of that group; mapping keys may carry @ and capitals."""
    written = parse_policy(SKETCH, "access-policy.yml")
    assert written.handles() == frozenset({"oncall-payments"})
    assert not decided(written.decide(ONCALL, RESOLVE, "C0PAYMENTS", PAYMENTS)).allowed
    for mapping in ({"oncall-payments": ONCALL_ID}, {"@OnCall-Payments": ONCALL_ID}):
        resolved = written.resolved(mapping)
        assert decided(resolved.decide(ONCALL, RESOLVE, "C0PAYMENTS", PAYMENTS)) == Decision(
            True, "rule 1", verb=RESOLVE
        )
    # The group named by id matches whether or not handles were resolved.
    assert decided(written.decide(LEAD, RESOLVE, "C0PAYMENTS", PAYMENTS)).allowed


def test_an_unknown_handle_matches_nobody() -> None:
    """A rule whose only group is a handle Slack does not know matches no one: it never becomes "anyone"."""
    rules = policy('rules:\n- allow: [resolve]\n  usergroups: ["@gone"]\ndefault: deny\n').resolved({"other": "S0X"})
    assert rules.decide(Actor("U0EVE", frozenset({"S0X"})), RESOLVE, None, None) == Decision(
        False, "default", verb=RESOLVE
    )


def test_an_actor_no_rule_names_is_refused_without_the_incident() -> None:
    """Rules about other people need no facts: the refusal is final before any Coralogix call."""
    rules = policy("rules:\n- allow: [resolve]\n  users: [U0ALICE]\n  incidents: {applications: [payments]}\n")
    assert rules.decide(BOB, RESOLVE, "C0X", None) == Decision(False, "default", verb=RESOLVE)


def test_a_deny_by_severity_needs_the_incident_for_those_it_could_apply_to() -> None:
    """Where the severity decides between the deny and an allow, the answer is NeedsIncident naming the rule."""
    rules = policy("rules:\n- deny: [resolve]\n  incidents: {severities: [critical]}\ndefault: allow\n")
    assert rules.decide(BOB, RESOLVE, "C0X", None) == NeedsIncident("rule 1")
    assert rules.decide(BOB, ACKNOWLEDGE, "C0X", None) == Decision(True, "default", verb=ACKNOWLEDGE)
    assert not decided(rules.decide(BOB, RESOLVE, "C0X", CRITICAL_BILLING)).allowed
    assert decided(rules.decide(BOB, RESOLVE, "C0X", WARNING_BILLING)).allowed


def test_the_sketch_asks_for_facts_only_where_they_can_change_the_answer() -> None:
    """Refused either way (no allow rule can apply) is final; an on-call member in the payments channel needs facts."""
    policy = sketch()
    assert policy.decide(BOB, RESOLVE, "C0PAYMENTS", None) == Decision(False, "default", verb=RESOLVE)
    assert policy.decide(ALICE, ACKNOWLEDGE, None, None) == Decision(True, "rule 2", verb=ACKNOWLEDGE)
    assert policy.decide(ONCALL, RESOLVE, "C0ELSEWHERE", None) == Decision(False, "default", verb=RESOLVE)
    assert policy.decide(ONCALL, RESOLVE, "C0PAYMENTS", None) == NeedsIncident("rule 1")
    assert sketch(default="allow").decide(BOB, RESOLVE, "C0X", None) == NeedsIncident("rule 3")


def test_allowed_either_way_is_final_without_the_incident() -> None:
    """An allow rule with a filter followed by an allow for everything cannot change the answer: no facts needed."""
    rules = policy("rules:\n- allow: [resolve]\n  incidents: {applications: [payments]}\ndefault: allow\n")
    assert rules.decide(BOB, RESOLVE, None, None) == Decision(True, "default", verb=RESOLVE)


def test_the_sketch_with_facts() -> None:
    """Rule 1 lets on-call resolve payments incidents in its channel, critical ones too; rule 3 refuses the rest."""
    policy = sketch()
    assert policy.decide(ONCALL, RESOLVE, "C0PAYMENTS", CRITICAL_PAYMENTS) == Decision(True, "rule 1", verb=RESOLVE)
    refused = decided(policy.decide(ONCALL, RESOLVE, "C0PAYMENTS", CRITICAL_BILLING))
    assert refused.rule == "rule 3" and refused.message is not None and "incident commander" in refused.message
    assert policy.decide(ONCALL, RESOLVE, "C0PAYMENTS", WARNING_BILLING) == Decision(False, "default", verb=RESOLVE)


def test_reasons_say_which_rule_refused_and_whom_to_ask() -> None:
    """The sentence names the rule (and its name) and carries its message; the default's sentences name the default."""
    critical = decided(sketch().decide(BOB, RESOLVE, None, CRITICAL_BILLING))
    assert critical.reason == (
        "Refused by rule 3: Critical incidents are resolved by the incident commander: ask in #inc-room."
    )
    assert decided(sketch().decide(BOB, RESOLVE, None, WARNING_BILLING)).reason == (
        "No rule of the access policy allows you to resolve this (default: deny)."
    )
    assert decided(sketch().decide(ALICE, ACKNOWLEDGE, None, None)).reason == "Allowed by rule 2 of the access policy."
    assert decided(Policy.allow_everyone().decide(BOB, RESOLVE, None, None)).reason == (
        "The access policy lets you resolve this (default: allow)."
    )
    named = policy("rules:\n- deny: [acknowledge]\n  name: quiet hours\n")
    assert decided(named.decide(BOB, ACKNOWLEDGE, None, None)).reason == (
        "Refused by rule 1 (quiet hours): the access policy does not let you acknowledge this."
    )


def test_facts_of_a_coralogix_incident() -> None:
    """Severity as its lower-case word, application and subsystem from the labels, every label by its key."""
    incident = Incident.model_validate(json.loads((FIXTURES / "incident_full.json").read_text()))
    facts = IncidentFacts.of(incident)
    assert (facts.severity, facts.application, facts.subsystem) == ("critical", "checkout", "payments-api")
    assert facts.labels["team"] == "payments" and facts.labels["env"] == "production"
    assert all(facts.labels[key] == value for key, value in incident.display_labels.items())


def test_facts_prefer_display_then_contextual_then_meta_labels() -> None:
    """A key in several label sets takes the display label's value; an unset severity is None."""
    incident = Incident.model_validate(
        {
            "id": "i-1",
            "severity": "INCIDENT_SEVERITY_UNSPECIFIED",
            "displayLabels": {"env": "display"},
            "contextualLabels": {"env": "contextual", "team": "contextual"},
            "metaLabels": [{"key": "env", "value": "meta"}, {"key": "team", "value": "meta"}, {"key": "owner"}],
        }
    )
    facts = IncidentFacts.of(incident)
    assert dict(facts.labels) == {"env": "display", "team": "contextual"}
    assert facts.severity is None
