"""Loading the access-policy file: the sketch as written, and every problem named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import BotError
from bot.policy import IncidentFilter, Policy, PolicyError, Rule, load_policy, parse_policy
from bot.services.actions import Verb
from tests.policy.sketch import SKETCH

CRITICAL_MESSAGE = "Critical incidents are resolved by the incident commander: ask in #inc-room."


def problems(text: str) -> list[str]:
    """The problems the loader names in `text`, read as policy.yml (failing the test if it loads)."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.yml")
    return caught.value.problems


def test_the_sketch_loads_exactly_as_written() -> None:
    """Every key of the issue's sketch means what it says: three rules in order, and default deny."""
    assert parse_policy(SKETCH, "access-policy.yml") == Policy(
        (
            Rule(
                1,
                allow=True,
                verbs=frozenset({Verb.RESOLVE, Verb.ACKNOWLEDGE}),
                usergroups=("@oncall-payments", "S0123ABCD"),
                group_ids=frozenset({"S0123ABCD"}),
                channels=("C0PAYMENTS",),
                incidents=IncidentFilter(applications=("payments",)),
            ),
            Rule(2, allow=True, verbs=frozenset({Verb.ACKNOWLEDGE}), users=("U0ALICE",)),
            Rule(
                3,
                allow=False,
                verbs=frozenset({Verb.RESOLVE}),
                incidents=IncidentFilter(severities=("critical",)),
                message=CRITICAL_MESSAGE,
            ),
        ),
        default_allow=False,
    )


def test_every_form_a_rule_may_take() -> None:
    """Names, labels, subsystems, W… users, G… channels, verbs and words in any case all load."""
    policy = parse_policy(
        "rules:\n"
        "- name: night shift\n"
        "  deny: [Acknowledge]\n"
        "  users: [W0ENTERPRISE]\n"
        "  channels: [G0PRIVATE]\n"
        "  incidents:\n"
        "    subsystems: [API]\n"
        "    labels: {env: [prod, 0123]}\n"
        "default: ALLOW\n",
        "policy.yml",
    )
    [rule] = policy.rules
    assert (rule.name, rule.allow, rule.verbs, rule.users, rule.channels) == (
        "night shift",
        False,
        frozenset({Verb.ACKNOWLEDGE}),
        ("W0ENTERPRISE",),
        ("G0PRIVATE",),
    )
    assert rule.incidents == IncidentFilter(subsystems=("api",), labels=(("env", ("prod", "0123")),))
    assert policy.default_allow


def test_every_problem_is_named_at_once_with_its_line() -> None:
    """Unknown keys, allow with deny, a bad verb, ids of the wrong shape and a scalar for a list: one line each."""
    text = (
        "rules:\n"  # 1
        "  - allow: [resolve, reopen]\n"  # 2
        "    deny: [acknowledge]\n"  # 3
        "    colour: blue\n"  # 4
        "  - allow: [acknowledge]\n"  # 5
        "    users: U0ALICE\n"  # 6
        "    usergroups: [oncall, S0123ABCD]\n"  # 7
        "    channels: ['#payments']\n"  # 8
        "  - deny: [resolve]\n"  # 9
        "    users: [alice]\n"  # 10
        "    incidents:\n"  # 11
        "      severities: [urgent]\n"  # 12
        "      owner: me\n"  # 13
        "default: maybe\n"  # 14
        "extra: 1\n"  # 15
    )
    assert problems(text) == [
        "policy.yml line 2: rules[0]: has both allow and deny: a rule does one of them (split it in two)",
        "policy.yml line 2: rules[0].allow[1]: must be resolve, acknowledge or close, not 'reopen'",
        "policy.yml line 4: rules[0].colour: unknown key "
        "(a rule takes allow, deny, name, users, usergroups, channels, incidents, message)",
        "policy.yml line 6: rules[1].users: must be a list, like [a, b], not 'U0ALICE'",
        "policy.yml line 7: rules[1].usergroups[0]: 'oncall' is not a user group: "
        'write its @handle (quoted: "@oncall") or its id like S0123ABCD',
        "policy.yml line 8: rules[1].channels[0]: '#payments' is not a channel id like C0123ABCD "
        "(channel details → bottom), not a #name",
        "policy.yml line 10: rules[2].users[0]: 'alice' is not a user id like U0123ABCD "
        "(profile → ⋮ → Copy member ID), not a name",
        "policy.yml line 12: rules[2].incidents.severities[0]: must be critical, error, warning, info or low, "
        "not 'urgent'",
        "policy.yml line 13: rules[2].incidents.owner: unknown key "
        "(incidents takes applications, subsystems, severities, labels, priorities)",
        "policy.yml line 14: default: must be allow or deny, not 'maybe'",
        "policy.yml line 15: extra: unknown key (the file takes rules, default)",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules:\n- users: [U0A]\n", "line 2: rules[0]: needs allow or deny"),
        ("rules:\n- allow: []\n", "line 2: rules[0].allow: must not be empty (list resolve, acknowledge or both)"),
        ("rules:\n- allow: [resolve]\n  users: []\n", "line 3: rules[0].users: must not be empty (leave the key out"),
        ("rules:\n- allow: [resolve]\n  incidents:\n", "line 3: rules[0].incidents: is empty"),
        ("rules:\n- allow: [resolve]\n  incidents: {}\n", "line 3: rules[0].incidents: names no filter"),
        ("rules:\n- allow: [resolve]\n  incidents: [payments]\n", "line 3: rules[0].incidents: must be a mapping"),
        ("rules: {allow: [resolve]}\n", "line 1: rules: must be a list, like [a, b], not a mapping"),
        ("rules:\n- resolve\n", "line 2: rules[0]: must be a mapping of keys to values, not 'resolve'"),
        ("- allow: [resolve]\n", "line 1: the file must be a mapping of rules: and default:, not a list"),
        ("default:\n", "line 1: default: must be allow or deny, not empty"),
        ("rules: []\ndefault: deny\ndefault: allow\n", "line 3: default: appears twice (first on line 2)"),
        (
            "rules:\n- allow: [resolve]\n  name: x\n- allow: [resolve]\n  name: X\n",
            "line 5: rules[1].name: 'X' is already the name of rule 1",
        ),
        (
            "rules:\n- allow: [resolve]\n  incidents: {labels: {k8s.io/app: [{a: b}]}}\n",
            'line 3: rules[0].incidents.labels["k8s.io/app"][0]: must be text, not a mapping',
        ),
    ],
)
def test_each_kind_of_problem(text: str, problem: str) -> None:
    """Each mistake is reported where it is, saying what to write instead."""
    [found] = problems(text)
    assert found.startswith(f"policy.yml {problem}")


def test_a_yaml_syntax_error_names_its_line_and_where_it_began() -> None:
    """An unclosed list: the line PyYAML stopped on, and the line the list began on."""
    assert problems("rules:\n  - allow: [resolve\n    users: [U0A]\n") == [
        "policy.yml line 3: not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 2)"
    ]


def test_an_unquoted_handle_is_told_to_be_quoted() -> None:
    """YAML reserves a leading @: the message says to quote the handle."""
    [problem] = problems("rules:\n  - allow: [resolve]\n    usergroups: [@oncall]\n")
    assert problem.startswith("policy.yml line 3: not valid YAML: found character '@'")
    assert problem.endswith('(an @handle must be quoted: "@oncall")')


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_an_empty_file_is_a_problem(text: str) -> None:
    """A file with nothing in it is refused rather than read as a policy."""
    assert problems(text) == [
        "policy.yml line 1: the file is empty: write rules: and default: (see access-policy.example.yml)"
    ]


def test_the_error_is_one_message_naming_the_file_first(tmp_path: Path) -> None:
    """PolicyError is a BotError; its message starts with the path and lists each problem on its own line."""
    path = tmp_path / "access-policy.yml"
    path.write_text("rules:\n- allow: [resolve]\n  users: [bob]\ndefault: perhaps\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert isinstance(caught.value, BotError)
    assert caught.value.user_message.splitlines() == [
        f"The access policy {path} is not valid; fix these (see access-policy.example.yml):",
        f"  - {caught.value.problems[0]}",
        f"  - {caught.value.problems[1]}",
    ]
    assert [p.split(":")[0] for p in caught.value.problems] == ["access-policy.yml line 3", "access-policy.yml line 4"]


def test_a_missing_file(tmp_path: Path) -> None:
    """A path that names no file is one problem, naming the setting to check."""
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "nowhere.yml")
    assert caught.value.problems == ["nowhere.yml: no such file (check ACCESS_POLICY)"]


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a problem, not a traceback."""
    path = tmp_path / "policy.yml"
    path.write_bytes(b"rules: []\n\xff\xfe")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.problems == ["policy.yml: is not UTF-8 text (byte 10)"]


def test_a_file_loads_from_its_path(tmp_path: Path) -> None:
    """load_policy reads the file and gives the same policy as its text."""
    path = tmp_path / "policy.yml"
    path.write_text(SKETCH)
    assert load_policy(str(path)) == parse_policy(SKETCH, "policy.yml")


def test_a_shared_name_is_reported_alongside_other_problems() -> None:
    """Two rules of one name are named even when a rule also has another problem."""
    assert problems("rules:\n- allow: [resolve]\n  name: x\n- deny: [reopen]\n  name: X\n") == [
        "policy.yml line 4: rules[1].deny[0]: must be resolve, acknowledge or close, not 'reopen'",
        "policy.yml line 5: rules[1].name: 'X' is already the name of rule 1",
    ]
