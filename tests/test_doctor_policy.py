"""Tests for `bot.doctor_policy`: the access policy and the app id, checked against the fake Slack on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.doctor import run_doctor
from bot.doctor_policy import CONCURRENCY, check_app_id, check_policy_file, check_policy_ids
from bot.ids import BOT_SCOPES
from bot.policy import parse_policy
from bot.settings import Settings
from tests.conftest import ROOT, make_settings
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import serving
from tests.fakes.slack import VALID_TOKEN, FakeSlack

POLICY = """\
rules:
  - allow: [resolve, acknowledge]
    usergroups: ["@oncall-payments", S0PLATFORM]
    channels: [C0PAYMENTS]
  - name: alice
    allow: [acknowledge]
    users: [U0ALICE]
  - deny: [resolve]
    incidents: {severities: [critical]}
    message: "Ask the incident commander."
default: deny
"""
GROUPS = [
    {"id": "S0PAYMENTS", "handle": "oncall-payments", "users": ["U0ALICE"]},
    {"id": "S0PLATFORM", "handle": "platform", "users": []},
]
ALICE = {"id": "U0ALICE", "name": "alice", "deleted": False}


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack granting the bot's scopes and channels:read, knowing the policy's people, groups and channel."""
    slack = FakeSlack(
        scopes=",".join(sorted(BOT_SCOPES | {"channels:read"})),
        usergroups=[dict(group) for group in GROUPS],
        people={"U0ALICE": dict(ALICE)},
        channels={"C0PAYMENTS": {"id": "C0PAYMENTS", "is_archived": False}},
    )
    async with serving(slack):
        yield slack


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    """An AsyncWebClient with the bot token, pointed at the fake Slack."""
    return AsyncWebClient(token=VALID_TOKEN, base_url=fake_slack.api_url, retry_handlers=[])


def policy_file(tmp_path: Path, text: str = POLICY) -> Path:
    """`text` written to a policy file."""
    path = tmp_path / "policy.yml"
    path.write_text(text)
    return path


def settings_with(path: Path | None = None, **overrides: Any) -> Settings:
    """Test settings, with ACCESS_POLICY at `path` when given."""
    return make_settings(ACCESS_POLICY=str(path) if path else None, **overrides)


async def doctor(settings: Settings, client: AsyncWebClient) -> tuple[int, list[str]]:
    """Run the whole doctor; its exit status and printed lines."""
    lines: list[str] = []
    status = await run_doctor(settings, client, transport=FakeCoralogix().transport(), echo=lines.append)
    return status, lines


async def id_lines(text: str, client: AsyncWebClient) -> list[str]:
    """What the id checks print for the policy written in `text`."""
    checks = await check_policy_ids(parse_policy(text), client)
    return [line for check in checks for line in check.lines()]


# -- the file -------------------------------------------------------------------------------------


async def test_valid_policy_prints_each_rule_in_words(
    client: AsyncWebClient, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A valid policy is one ✔ line with its rule count and default, each rule and the default indented beneath."""
    path = policy_file(tmp_path)
    status, lines = await doctor(settings_with(path), client)
    assert status == 0, lines
    start = lines.index(f"✔ Access policy {path}: 3 rules, default deny")
    assert lines[start + 1 : start + 5] == [
        "    rule 1: members of @oncall-payments, S0PLATFORM may resolve and acknowledge any incident "
        "in channel C0PAYMENTS",
        "    rule 2 (alice): U0ALICE may acknowledge any incident",
        "    rule 3: nobody may resolve incidents of severity critical (they are told: Ask the incident commander.)",
        "    default: deny (anything no rule decides is refused)",
    ]
    assert lines[start + 5] == "✔ Access policy: Slack knows the 1 user, 1 channel and 2 user groups it names"


def test_one_rule_is_counted_in_the_singular(tmp_path: Path) -> None:
    """A policy of one rule says `1 rule`, and `default allow` when it allows."""
    path = policy_file(tmp_path, "rules:\n  - allow: [resolve]\ndefault: allow\n")
    [check], _ = check_policy_file(settings_with(path))
    assert check.text == f"Access policy {path}: 1 rule, default allow"


def test_the_example_policy_is_valid_and_in_words() -> None:
    """access-policy.example.yml passes, its rules in words beneath (what the bot would apply)."""
    path = ROOT / "access-policy.example.yml"
    [check], policy = check_policy_file(settings_with(path))
    assert check.ok
    assert policy is not None
    assert check.details == tuple(policy.in_words())


async def test_bad_yaml_is_a_failure_with_its_line(client: AsyncWebClient, tmp_path: Path) -> None:
    """A file that is not YAML gives a ✘ line with the line number, and exit status 1."""
    path = policy_file(tmp_path, "rules:\n  - allow: [resolve\n    users: [U0ALICE]\n")
    status, lines = await doctor(settings_with(path), client)
    assert status == 1
    [failed] = [line for line in lines if line.startswith("✘")]
    assert failed.startswith("✘ Access policy: policy.yml line ")
    assert "not valid YAML" in failed


async def test_each_problem_is_its_own_line(client: AsyncWebClient, fake_slack: FakeSlack, tmp_path: Path) -> None:
    """An unknown key and a name where an id belongs are two ✘ lines, each with its line; no id is looked up."""
    path = policy_file(
        tmp_path, "rules:\n  - allow: [resolve]\n    userz: [U0ALICE]\n  - deny: [resolve]\n    users: [bob]\n"
    )
    status, lines = await doctor(settings_with(path), client)
    assert status == 1
    assert [line for line in lines if line.startswith("✘")] == [
        "✘ Access policy: policy.yml line 3: rules[0].userz: unknown key "
        "(a rule takes allow, deny, name, users, usergroups, channels, incidents, message)",
        "✘ Access policy: policy.yml line 5: rules[1].users[0]: 'bob' is not a user id like U0123ABCD "
        "(profile → ⋮ → Copy member ID), not a name",
    ]
    assert not fake_slack.called("users.info")


@pytest.mark.parametrize(
    ("allowed_teams", "who"),
    [(None, "the bot's own workspace"), ("T0OTHER", "the bot's own workspace and SLACK_ALLOWED_TEAMS")],
)
async def test_no_policy_says_who_may_act(
    client: AsyncWebClient, fake_slack: FakeSlack, allowed_teams: str | None, who: str
) -> None:
    """Without ACCESS_POLICY, one ✔ line says everyone who reaches the bot may act, and no id is looked up."""
    status, lines = await doctor(settings_with(SLACK_ALLOWED_TEAMS=allowed_teams), client)
    assert status == 0
    assert (
        f"✔ Access policy: none (ACCESS_POLICY is not set), so everyone in {who} "
        "may resolve and acknowledge any incident"
    ) in lines
    assert not fake_slack.called("users.info")
    assert not fake_slack.called("usergroups.list")


# -- the ids it names -----------------------------------------------------------------------------


async def test_unknown_user_names_the_rule(client: AsyncWebClient) -> None:
    """A user id Slack does not know is a ✘ naming every rule that names it."""
    text = """\
rules:
  - allow: [resolve]
    users: [U0NOBODY]
  - name: ack
    deny: [acknowledge]
    users: [U0NOBODY]
"""
    assert await id_lines(text, client) == [
        "✘ Access policy rule 1 and rule 2 (ack): user U0NOBODY does not exist in this workspace: "
        "check the id (profile → ⋮ → Copy member ID)"
    ]


async def test_deactivated_user_is_a_warning(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """A deactivated user is a ! line: the rule still works, the id is only dead weight."""
    fake_slack.people["U0GONE"] = {"id": "U0GONE", "deleted": True}
    lines = await id_lines("rules:\n  - allow: [resolve]\n    users: [U0GONE]\n", client)
    assert lines == ["! Access policy rule 1: user U0GONE is deactivated in Slack: remove the id"]


async def test_unknown_channel_names_the_rule(client: AsyncWebClient) -> None:
    """A channel id Slack does not know is a ✘ naming the rule and saying where the id is."""
    text = "rules:\n  - allow: [resolve]\n    channels: [C0PAYMENTS, C0NOWHERE]\n"
    assert await id_lines(text, client) == [
        "✘ Access policy rule 1: channel C0NOWHERE not found: check the id (channel details → bottom); "
        "a private channel shows only once the bot is in it"
    ]


async def test_channels_without_the_scope_are_a_warning(
    client: AsyncWebClient, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """Without channels:read (as in manifest.yml), a ! line says channels went unchecked and which scope would do."""
    fake_slack.scopes = ",".join(sorted(BOT_SCOPES))
    status, lines = await doctor(settings_with(policy_file(tmp_path)), client)
    assert status == 0, lines
    assert (
        "! Access policy: channel ids C0PAYMENTS were not checked: Slack shows channels only with the scope "
        "channels:read (groups:read for private channels), which the bot does not otherwise need; "
        "add it to manifest.yml and reinstall if you want doctor to check them"
    ) in lines
    assert "✔ Access policy: Slack knows the 1 user and 2 user groups it names" in lines


async def test_handle_matching_no_group(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """A handle or group id that matches no user group is a ✘ naming the rule; handles match in any case."""
    fake_slack.usergroups[0]["handle"] = "OnCall-Payments"
    text = """\
rules:
  - allow: [resolve]
    usergroups: ["@oncall-payments"]
  - allow: [acknowledge]
    usergroups: ["@ONCALL-DB", S0GONE]
"""
    lines = await id_lines(text, client)
    assert lines == [
        "✘ Access policy rule 2: @oncall-db matches no user group: check the handle "
        "(People → User groups; a disabled group matches nobody)",
        "✘ Access policy rule 2: S0GONE matches no user group: check the id "
        "(People → User groups; a disabled group matches nobody)",
    ]
    assert fake_slack.called("usergroups.list")[0].params.get("include_disabled") in {"false", "0"}


async def test_usergroups_list_refused_names_the_scope(
    client: AsyncWebClient, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A refused usergroups.list is one ✘ naming the scope usergroups:read, and the doctor fails."""
    fake_slack.usergroups_error = "missing_scope"
    status, lines = await doctor(settings_with(policy_file(tmp_path)), client)
    assert status == 1
    assert [line for line in lines if line.startswith("✘")] == [
        "✘ Access policy: usergroups.list failed (missing_scope), so the user groups the rules name were not "
        "checked: the bot needs the scope usergroups:read (manifest.yml; reinstall after adding it)"
    ]


async def test_users_info_failure_is_one_line(fake_slack: FakeSlack) -> None:
    """Any other users.info failure is one ✘ for all the ids it left unchecked, the first few named."""
    users = ", ".join(f"U0P{n:02d}" for n in range(7))
    policy = parse_policy(f"rules:\n  - allow: [resolve]\n    users: [{users}]\n")
    revoked = AsyncWebClient(token="xoxb-revoked", base_url=fake_slack.api_url, retry_handlers=[])
    [check] = await check_policy_ids(policy, revoked)
    assert check.render() == (
        "✘ Access policy: users.info failed (invalid_auth) for U0P00, U0P01, U0P02, U0P03, U0P04 and 2 more, "
        "so they were not checked: run doctor again once Slack answers"
    )


async def test_each_id_once_and_at_most_a_few_at_a_time(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """Many users, named twice, are each looked up once, never more than CONCURRENCY at a time."""
    users = [f"U0P{n:03d}" for n in range(40)]
    fake_slack.people = {user: {"id": user} for user in users}
    fake_slack.delay = 0.02
    policy = parse_policy("rules:\n" + f"  - allow: [resolve]\n    users: [{', '.join(users)}]\n" * 2)
    checks = await check_policy_ids(policy, client)
    assert [check.render() for check in checks] == ["✔ Access policy: Slack knows the 40 users it names"]
    assert sorted(call.params["user"] for call in fake_slack.called("users.info")) == users
    assert 1 < fake_slack.most_in_flight <= CONCURRENCY


# -- the app id -----------------------------------------------------------------------------------


async def test_app_id_from_settings(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """SLACK_APP_ID set: a ✔ line naming it and where it came from, and Slack is not asked."""
    [check] = await check_app_id(make_settings(SLACK_APP_ID="A0MINE"), client)
    assert check.render() == "✔ App id A0MINE (from SLACK_APP_ID): requests meant for another Slack app are refused"
    assert not fake_slack.calls


async def test_app_id_from_slack(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """SLACK_APP_ID unset: the app id bots.info gives, said to come from Slack."""
    [check] = await check_app_id(make_settings(), client)
    assert check.render() == "✔ App id A111 (from Slack's bots.info): requests meant for another Slack app are refused"
    assert fake_slack.called("bots.info")[0].params == {"bot": "B111"}


async def test_app_id_unknown_is_a_warning(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """Neither SLACK_APP_ID nor Slack gives the app id: a ! line says the check is skipped and to set SLACK_APP_ID."""
    fake_slack.app_id = None
    status, lines = await doctor(make_settings(), client)
    assert status == 0, lines
    assert (
        "! App id unknown: SLACK_APP_ID is not set and Slack's bots.info did not give it, so the check of "
        "requests meant for another Slack app is skipped; set SLACK_APP_ID "
        "(Basic Information → App Credentials → App ID)"
    ) in lines
