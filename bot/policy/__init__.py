"""The access policy: who may resolve or acknowledge which incidents, and from where.

Pure code: `load_policy` reads one YAML file (ACCESS_POLICY; see access-policy.example.yml) and
raises `PolicyError` naming every problem with its line; everything else only computes.

    policy = load_policy(path).resolved(handle_to_id)     # or Policy.allow_everyone() without a file
    policy.decide(actor, verb, channel, None)             # before reading the incident: final, or NeedsIncident
    policy.decide(actor, verb, channel, IncidentFacts.of(incident))
    policy.in_words()                                     # doctor: one line per rule, then the default
    policy.summary_for(actor, verb)                       # App Home: what this person may do
"""

from bot.errors import PolicyError
from bot.policy.facts import Actor, IncidentFacts
from bot.policy.rules import Decision, IncidentFilter, NeedsIncident, Policy, Rule
from bot.policy.source import load_policy, parse_policy

__all__ = [
    "Actor",
    "Decision",
    "IncidentFacts",
    "IncidentFilter",
    "NeedsIncident",
    "Policy",
    "PolicyError",
    "Rule",
    "load_policy",
    "parse_policy",
]
