"""An access policy in plain words: one line per rule (for `doctor`), and what one person may do
(for App Home, in Slack mrkdwn: channels as `<#C…>` links, which Slack shows by name, and the file's
own words escaped)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.formatters.common import escape
from bot.services.actions import Verb

if TYPE_CHECKING:  # rules.py renders itself with these functions
    from bot.policy.facts import Actor
    from bot.policy.rules import IncidentFilter, Policy, Rule

WHOEVER_RUNS_THE_BOT = "whoever runs the bot"


def joined(items: Sequence[str], last: str = "or") -> str:
    """`a`, `a or b`, `a, b or c`."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def verbs(listed: Iterable[Verb]) -> str:
    """`resolve`, `resolve and acknowledge`: in the order of `Verb`, whatever order the file gave."""
    chosen = set(listed)
    return joined([verb.value for verb in Verb if verb in chosen], "and")


def who(rule: Rule) -> str:
    """`anyone`, `U0ALICE`, `members of @oncall, S0123ABCD`, `U0ALICE and members of @oncall`."""
    people = [", ".join(rule.users)] if rule.users else []
    if rule.usergroups:
        people.append(f"members of {', '.join(rule.usergroups)}")
    return " and ".join(people) or "anyone"


def incidents(found: IncidentFilter) -> str:
    """`of application payments, subsystem api and severity critical or error, labelled env: prod`."""
    of = [
        f"{kind} {joined(values)}"
        for kind, values in (
            ("application", found.applications),
            ("subsystem", found.subsystems),
            ("severity", found.severities),
            ("priority", tuple(p.upper() for p in found.priorities)),
        )
        if values
    ]
    labelled = [f"{key}: {joined(values)}" for key, values in found.labels]
    parts = ([f"of {joined(of, 'and')}"] if of else []) + ([f"labelled {joined(labelled, 'and')}"] if labelled else [])
    return ", ".join(parts)


def place(channels: Sequence[str], *, mrkdwn: bool) -> str:
    """`in channel C0123ABCD`, `in channel C0A or C0B`; in mrkdwn `in <#C0123ABCD>`."""
    if mrkdwn:
        return "in " + joined([f"<#{c}>" for c in channels])
    return f"in channel {joined(channels)}"


def scope(rule: Rule, *, mrkdwn: bool) -> str:
    """What the rule is about beyond people and verbs (`of application payments in <#C0…>`); empty
    when it is about any incident anywhere."""
    parts = [(escape(incidents(rule.incidents)) if mrkdwn else incidents(rule.incidents))] if rule.incidents else []
    if rule.channels:
        parts.append(place(rule.channels, mrkdwn=mrkdwn))
    return " ".join(parts)


def rule_line(rule: Rule) -> str:
    """`rule 3: nobody may resolve incidents of severity critical (they are told: …)`."""
    subject = f"{who(rule)} may" if rule.allow else "nobody may" if rule.anyone else f"{who(rule)} may not"
    about = scope(rule, mrkdwn=False)
    what = f"incidents {about}" if rule.incidents else f"any incident{' ' + about if about else ''}"
    told = f" ({'they are told' if not rule.allow else 'message'}: {rule.message})" if rule.message else ""
    return f"{rule.label}: {subject} {verbs(rule.verbs)} {what}{told}"


def default_line(allow: bool) -> str:
    """The last line of `in_words`: what happens when no rule matches."""
    if allow:
        return "default: allow (anything no rule decides is allowed)"
    return "default: deny (anything no rule decides is refused)"


def summary(policy: Policy, actor: Actor, verb: Verb) -> str:
    """What `actor` may `verb`, walking the rules in order as `decide` does, in any channel:

    each allow rule adds what it is about, less what earlier deny rules took away; a rule about any
    incident anywhere (or the default) ends the walk. "You may resolve: incidents of application
    payments in <#C0PAYMENTS>; any other incident except those of severity critical."
    """
    granted: list[str] = []
    taken: list[str] = []  # what earlier deny rules take away from later allow rules
    messages: list[str] = []
    rest_allowed = policy.default_allow
    for rule in policy.rules:
        if verb not in rule.verbs or not rule.names(actor):
            continue
        if rule.message:
            messages.append(rule.message)
        about = scope(rule, mrkdwn=True)
        if not about:
            rest_allowed = rule.allow
            break
        if rule.allow:
            granted.append(_except(f"incidents {about}", taken))
        else:
            taken.append(about)
    if rest_allowed:
        granted.append(_except("any other incident" if granted else "any incident", taken))
    if not granted:
        ask = f" {escape(messages[0])}" if messages else f"; ask {WHOEVER_RUNS_THE_BOT}."
        return f"You may not {verb} incidents here{'.' if messages else ''}{ask}"
    if len(granted) == 1:
        return f"You may {verb} {granted[0]}."
    return f"You may {verb}: {'; '.join(granted)}."


def _except(what: str, taken: Sequence[str]) -> str:
    return f"{what} except those {joined(taken)}" if taken else what
