"""`doctor`'s checks of who may act: the access-policy file, the Slack ids it names, and the app id.

The file is read as the bot reads it at start (`load_policy`), and each rule is printed in plain
words. Then every id the rules name is looked up, read-only and each once: users with `users.info`
(scope users:read), channels with `conversations.info` (channels:read, groups:read: scopes the bot
does not otherwise need, so without them this is a `!` line, not a failure), and user groups in
one `usergroups.list` (usergroups:read), @handles compared as Slack keeps them: lower case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.check import Check
from bot.errors import PolicyError
from bot.policy import Policy, Rule, load_policy
from bot.policy.words import joined
from bot.settings import Settings
from bot.slack_directory import SLACK_FAILURES, SlackDirectory, why

# At most this many Slack lookups at once: a policy may name hundreds of people.
CONCURRENCY = 8
# Ids named in one line before "and N more".
SHOWN = 5
OK = "ok"
CHANNEL_SCOPES = "channels:read (groups:read for private channels)"


def check_policy_file(settings: Settings) -> tuple[list[Check], Policy | None]:
    """The policy in ACCESS_POLICY in words (one ✔ line, the rules beneath it), or one ✘ line per
    problem in the file; without ACCESS_POLICY, one line saying who may act. Also the policy, when
    there is a file and it is valid, for `check_policy_ids`."""
    path = settings.ACCESS_POLICY
    if path is None:
        who = "the bot's own workspace" + (" and SLACK_ALLOWED_TEAMS" if settings.SLACK_ALLOWED_TEAMS else "")
        return [
            Check(
                True,
                f"Access policy: none (ACCESS_POLICY is not set), so everyone in {who} "
                "may resolve and acknowledge any incident",
            )
        ], None
    try:
        policy = load_policy(path)
    except PolicyError as e:
        return [Check(False, f"Access policy: {problem}") for problem in e.problems], None
    return [summary(path, policy)], policy


def summary(path: Path, policy: Policy) -> Check:
    """`✔ Access policy <path>: 3 rules, default deny`, each rule and the default in words beneath."""
    count = len(policy.rules)
    rules = f"{count} rule{'' if count == 1 else 's'}"
    default = "allow" if policy.default_allow else "deny"
    return Check(True, f"Access policy {path}: {rules}, default {default}", details=tuple(policy.in_words()))


async def check_policy_ids(policy: Policy, client: AsyncWebClient) -> list[Check]:
    """A ✘ (or !) line for every id the rules name that Slack does not know (or cannot say), and
    one ✔ line for the kinds of ids Slack knows all of."""
    users = _named(policy, lambda rule: rule.users)
    channels = _named(policy, lambda rule: rule.channels)
    groups = _named(policy, lambda rule: rule.usergroups)
    checks: list[Check] = []
    known: list[str] = []
    for kind, named, check in (
        ("user", users, _check_users),
        ("channel", channels, _check_channels),
        ("user group", groups, _check_groups),
    ):
        if not named:
            continue
        found = await check(named, client)
        checks += found
        if not found:
            known.append(f"{len(named)} {kind}{'' if len(named) == 1 else 's'}")
    if known:
        checks.insert(0, Check(True, f"Access policy: Slack knows the {joined(known, 'and')} it names"))
    return checks


async def check_app_id(settings: Settings, client: AsyncWebClient) -> list[Check]:
    """Whether requests meant for another Slack app can be told apart: the bot knows its own app id
    from SLACK_APP_ID, or from Slack (`auth.test`, then `bots.info`) as the running bot asks it."""
    refused = "requests meant for another Slack app are refused"
    if settings.SLACK_APP_ID:
        return [Check(True, f"App id {settings.SLACK_APP_ID} (from SLACK_APP_ID): {refused}")]
    app_id = await SlackDirectory(client).app_id()
    if app_id:
        return [Check(True, f"App id {app_id} (from Slack's bots.info): {refused}")]
    return [
        Check.warn(
            "App id unknown: SLACK_APP_ID is not set and Slack's bots.info did not give it, so the check "
            "of requests meant for another Slack app is skipped; set SLACK_APP_ID "
            "(Basic Information → App Credentials → App ID)"
        )
    ]


# Who names what: each id (as written) with the rules that name it, in the order of the file.
Named = dict[str, list[Rule]]


def _named(policy: Policy, ids_of: Callable[[Rule], Sequence[str]]) -> Named:
    named: Named = {}
    for rule in policy.rules:
        for each in ids_of(rule):
            named.setdefault(each, []).append(rule)
    return named


def _where(rules: Sequence[Rule]) -> str:
    """`rule 2`, `rule 1 and rule 4 (platform staging)`."""
    return joined([rule.label for rule in rules], "and")


def _listed(ids: Sequence[str]) -> str:
    """`U0A, U0B`, or the first few `and 7 more`."""
    shown = ", ".join(ids[:SHOWN])
    return shown if len(ids) <= SHOWN else f"{shown} and {len(ids) - SHOWN} more"


async def _each(ids: Sequence[str], ask: Callable[[str], Awaitable[str]]) -> dict[str, str]:
    """`ask` about every id, at most CONCURRENCY at a time: id → `ok`, or what is wrong."""
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(each: str) -> str:
        async with limit:
            return await ask(each)

    return dict(zip(ids, await asyncio.gather(*(one(each) for each in ids)), strict=True))


def _failed(method: str, answers: dict[str, str], handled: set[str], scope: str | None = None) -> list[Check]:
    """One ✘ line per error no other line explains (a refused scope, the network), naming its ids."""
    errors: dict[str, list[str]] = {}
    for each, answer in answers.items():
        if answer not in handled:
            errors.setdefault(answer, []).append(each)
    checks = []
    for error, ids in errors.items():
        if error == "missing_scope" and scope:
            fix = f"the bot needs the scope {scope} (manifest.yml; reinstall after adding it)"
        else:
            fix = "run doctor again once Slack answers"
        what = f"Access policy: {method} failed ({error}) for {_listed(ids)}"
        checks.append(Check(False, f"{what}, so they were not checked: {fix}"))
    return checks


async def _check_users(named: Named, client: AsyncWebClient) -> list[Check]:
    async def ask(user: str) -> str:
        try:
            answer = await client.users_info(user=user)
        except SLACK_FAILURES as e:
            return why(e)
        person = answer.get("user")
        return "deactivated" if isinstance(person, dict) and person.get("deleted") else OK

    answers = await _each(list(named), ask)
    checks: list[Check] = []
    for user, answer in answers.items():
        if answer == "user_not_found":
            checks.append(
                Check(
                    False,
                    f"Access policy {_where(named[user])}: user {user} does not exist in this workspace: "
                    "check the id (profile → ⋮ → Copy member ID)",
                )
            )
        elif answer == "deactivated":
            checks.append(
                Check.warn(f"Access policy {_where(named[user])}: user {user} is deactivated in Slack: remove the id")
            )
    return checks + _failed("users.info", answers, {OK, "user_not_found", "deactivated"}, "users:read")


async def _check_channels(named: Named, client: AsyncWebClient) -> list[Check]:
    async def ask(channel: str) -> str:
        try:
            answer = await client.conversations_info(channel=channel)
        except SLACK_FAILURES as e:
            return why(e)
        found = answer.get("channel")
        return "archived" if isinstance(found, dict) and found.get("is_archived") else OK

    answers = await _each(list(named), ask)
    checks: list[Check] = []
    for channel, answer in answers.items():
        if answer == "channel_not_found":
            checks.append(
                Check(
                    False,
                    f"Access policy {_where(named[channel])}: channel {channel} not found: check the id "
                    "(channel details → bottom); a private channel shows only once the bot is in it",
                )
            )
        elif answer == "archived":
            checks.append(
                Check.warn(
                    f"Access policy {_where(named[channel])}: channel {channel} is archived: "
                    "no action comes from it any more"
                )
            )
    if unchecked := [channel for channel, answer in answers.items() if answer == "missing_scope"]:
        checks.append(
            Check.warn(
                f"Access policy: channel ids {_listed(unchecked)} were not checked: Slack shows channels "
                f"only with the scope {CHANNEL_SCOPES}, which the bot does not otherwise need; "
                "add it to manifest.yml and reinstall if you want doctor to check them"
            )
        )
    return checks + _failed("conversations.info", answers, {OK, "channel_not_found", "archived", "missing_scope"})


async def _check_groups(named: Named, client: AsyncWebClient) -> list[Check]:
    try:
        answer = await client.usergroups_list(include_disabled=False)
    except SLACK_FAILURES as e:
        if isinstance(e, SlackApiError):  # Slack said no: most likely the scope is missing
            fix = "the bot needs the scope usergroups:read (manifest.yml; reinstall after adding it)"
        else:
            fix = "run doctor again once Slack answers"
        unchecked = "so the user groups the rules name were not checked"
        return [Check(False, f"Access policy: usergroups.list failed ({why(e)}), {unchecked}: {fix}")]
    groups = [g for g in answer.get("usergroups") or [] if isinstance(g, dict)]
    ids = {str(g["id"]) for g in groups if g.get("id")}
    handles = {str(g["handle"]).lower() for g in groups if g.get("handle")}
    checks = []
    for group, rules in named.items():
        handle = group.startswith("@")
        if (group.removeprefix("@").lower() in handles) if handle else (group in ids):
            continue
        fix = "check the handle" if handle else "check the id"
        checks.append(
            Check(
                False,
                f"Access policy {_where(rules)}: {group} matches no user group: {fix} "
                "(People → User groups; a disabled group matches nobody)",
            )
        )
    return checks
