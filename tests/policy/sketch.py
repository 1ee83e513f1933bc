"""The access policy sketched in the issue, verbatim: it must keep loading exactly as written."""

from __future__ import annotations

from bot.policy import Actor, Policy, parse_policy

SKETCH = """\
rules:                      # the first rule that matches the actor and the incident decides
  - allow: [resolve, acknowledge]
    usergroups: ["@oncall-payments", S0123ABCD]   # handles or ids
    channels: [C0PAYMENTS]                        # where the action is taken (optional)
    incidents: {applications: [payments]}        # optional: by label, severity
  - allow: [acknowledge]
    users: [U0ALICE]
  - deny: [resolve]
    incidents: {severities: [critical]}
    message: "Critical incidents are resolved by the incident commander: ask in #inc-room."
default: deny               # or allow
"""
ONCALL_ID = "S0ONCALL"  # what Slack would answer for @oncall-payments
ONCALL = Actor("U0CAROL", frozenset({ONCALL_ID}))  # a member of @oncall-payments
LEAD = Actor("U0DAVE", frozenset({"S0123ABCD"}))  # a member of the group named by id
ALICE = Actor("U0ALICE")
BOB = Actor("U0BOB", frozenset({"S0OTHER"}))  # named by no rule


def sketch(*, default: str = "deny") -> Policy:
    """The sketch, with @oncall-payments resolved to ONCALL_ID (and another default, if asked)."""
    text = SKETCH.replace("default: deny ", f"default: {default} ")
    return parse_policy(text, "access-policy.yml").resolved({"oncall-payments": ONCALL_ID})
