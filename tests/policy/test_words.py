"""The policy in words: one line per rule for `doctor`, and what one person may do for App Home."""

from __future__ import annotations

from bot.policy import Actor, Policy, parse_policy
from bot.services.actions import Verb
from tests.policy.sketch import ALICE, BOB, LEAD, ONCALL, SKETCH, sketch

RESOLVE, ACKNOWLEDGE = Verb.RESOLVE, Verb.ACKNOWLEDGE
ASK_COMMANDER = "Critical incidents are resolved by the incident commander: ask in #inc-room."


def test_the_sketch_in_words() -> None:
    """Each rule reads as who may (not) do what to which incidents where, then the default."""
    assert parse_policy(SKETCH, "access-policy.yml").in_words() == [
        "rule 1: members of @oncall-payments, S0123ABCD may resolve and acknowledge "
        "incidents of application payments in channel C0PAYMENTS",
        "rule 2: U0ALICE may acknowledge any incident",
        f"rule 3: nobody may resolve incidents of severity critical (they are told: {ASK_COMMANDER})",
        "default: deny (anything no rule decides is refused)",
    ]


def test_every_form_in_words() -> None:
    """Names, users with groups, a deny for some, every filter kind, several values, an allow's message."""
    policy = parse_policy(
        "rules:\n"
        "- name: night shift\n"
        "  deny: [acknowledge, resolve]\n"
        "  users: [U0A, U0B]\n"
        "  usergroups: [S0X]\n"
        "  channels: [C0A, G0B]\n"
        "- allow: [resolve]\n"
        "  incidents:\n"
        "    applications: [Payments, billing]\n"
        "    subsystems: [api]\n"
        "    severities: [info, low]\n"
        "    labels: {env: [prod, staging], team: [pay]}\n"
        "  message: 'ask in #payments'\n"
        "default: allow\n",
        "policy.yml",
    )
    assert policy.in_words() == [
        "rule 1 (night shift): U0A, U0B and members of S0X may not resolve and acknowledge "
        "any incident in channel C0A or G0B",
        "rule 2: anyone may resolve incidents of application payments or billing, subsystem api "
        "and severity info or low, labelled env: prod or staging and team: pay (message: ask in #payments)",
        "default: allow (anything no rule decides is allowed)",
    ]


def test_no_policy_file_in_words() -> None:
    """Without a file: no rules, and a default that allows everything."""
    assert Policy.allow_everyone().in_words() == ["default: allow (anything no rule decides is allowed)"]


def test_summaries_for_the_sketch() -> None:
    """On-call may act on payments incidents in their channel; Alice may acknowledge; others are told whom to ask."""
    policy = sketch()
    payments = "incidents of application payments in <#C0PAYMENTS>"
    assert policy.summary_for(ONCALL, RESOLVE) == f"You may resolve {payments}."
    assert policy.summary_for(LEAD, ACKNOWLEDGE) == f"You may acknowledge {payments}."
    assert policy.summary_for(ALICE, ACKNOWLEDGE) == "You may acknowledge any incident."
    assert policy.summary_for(BOB, RESOLVE) == f"You may not resolve incidents here. {ASK_COMMANDER}"
    assert policy.summary_for(BOB, ACKNOWLEDGE) == "You may not acknowledge incidents here; ask whoever runs the bot."


def test_summaries_carve_out_what_an_earlier_deny_takes_away() -> None:
    """With default allow, what follows the deny of critical incidents excepts them; what precedes it does not."""
    policy = sketch(default="allow")
    assert policy.summary_for(ONCALL, RESOLVE) == (
        "You may resolve: incidents of application payments in <#C0PAYMENTS>; "
        "any other incident except those of severity critical."
    )
    assert policy.summary_for(BOB, RESOLVE) == "You may resolve any incident except those of severity critical."
    assert policy.summary_for(BOB, ACKNOWLEDGE) == "You may acknowledge any incident."


def test_a_deny_for_everything_ends_the_summary() -> None:
    """A rule denying any incident anywhere stops the walk: later rules and the default grant nothing more."""
    policy = parse_policy(
        "rules:\n"
        "- allow: [resolve]\n  users: [U0BOB]\n  incidents: {applications: [web]}\n"
        "- deny: [resolve]\n  users: [U0BOB]\n"
        "- allow: [resolve]\n"
        "default: allow\n",
        "policy.yml",
    )
    assert policy.summary_for(BOB, RESOLVE) == "You may resolve incidents of application web."
    assert policy.summary_for(Actor("U0EVE"), RESOLVE) == "You may resolve any incident."


def test_everyone_may_resolve_any_incident_without_a_file() -> None:
    """The default policy's summary is the shortest one."""
    assert Policy.allow_everyone().summary_for(BOB, RESOLVE) == "You may resolve any incident."


def test_summary_escapes_the_files_own_words() -> None:
    """A message or application name with mrkdwn control characters reaches App Home escaped."""
    policy = parse_policy(
        "rules:\n"
        "- deny: [resolve]\n"
        "  incidents: {applications: ['a<b>&c']}\n"
        "  message: 'ask <!channel> & co'\n"
        "default: deny\n"
    )
    text = policy.summary_for(Actor("U0X"), RESOLVE)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text
