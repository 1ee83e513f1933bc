"""Reading an access-policy file: YAML, then its structure (`bot.policy.schema`), then a `Policy`.

Every problem is reported at once, each with the line it is on: the YAML is composed into nodes
(which keep their line) and turned into plain values by hand, remembering where each key and
item was, so that each pydantic error's location leads back to a line. Scalars stay the text they
were written as (`default: no` is the word "no", not False; `0123` keeps its zero).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.errors import PolicyError
from bot.policy.rules import IncidentFilter, Policy, Rule
from bot.policy.schema import KEYS, IncidentsSpec, PolicySpec, RuleSpec, decision_problem

Loc = tuple[str | int, ...]
_NULL = "tag:yaml.org,2002:null"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_EMPTY_HINTS = {
    "allow": " (list resolve, acknowledge or both)",
    "deny": " (list resolve, acknowledge or both)",
    "users": " (leave the key out to match anyone)",
    "usergroups": " (leave the key out to match anyone)",
    "channels": " (leave the key out to match any channel)",
}


@dataclass
class _Read:
    """What walking the YAML found: the line of each location, and the problems it met."""

    name: str
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def problem(self, loc: Loc, message: str, line: int | None = None) -> None:
        line = line if line is not None else self.line_of(loc)
        where = dotted(loc)
        self.problems.append((line, f"{self.name} line {line}: {where + ': ' if where else ''}{message}"))

    def line_of(self, loc: Loc) -> int:
        """The line of the deepest part of `loc` the file has (a missing key: its mapping's line)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def load_policy(path: Path | str) -> Policy:
    """The policy in the file at `path`; `PolicyError` naming every problem in it (and its line)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise PolicyError(str(path), [f"{path.name}: is not UTF-8 text (byte {e.start})"]) from None
    except FileNotFoundError:
        raise PolicyError(str(path), [f"{path.name}: no such file (check ACCESS_POLICY)"]) from None
    except OSError as e:
        raise PolicyError(str(path), [f"{path.name}: cannot be read ({e.strerror or e})"]) from None
    return parse_policy(text, path.name, source=str(path))


def parse_policy(text: str, name: str = "access-policy.yml", *, source: str | None = None) -> Policy:
    """The policy written in `text` (`name` is how problems name the file; `source`, how the
    error's first line does: the path, by default `name`). Raises `PolicyError`."""
    read = _Read(name)
    spec = _checked(text, read)
    if spec is None or read.problems:
        problems = dict.fromkeys(problem for _, problem in sorted(read.problems, key=lambda p: p[0]))
        raise PolicyError(source or name, list(problems))
    return Policy(
        tuple(_rule(number, rule) for number, rule in enumerate(spec.rules, start=1)),
        default_allow=spec.default == "allow",
    )


def _checked(text: str, read: _Read) -> PolicySpec | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "unreadable"
        if "'@'" in what:
            what += ' (an @handle must be quoted: "@oncall")'
        elif e.problem and e.context and e.context_mark:  # where it began: often the line to fix
            what += f" ({e.context} on line {e.context_mark.line + 1})"
        read.problem((), f"not valid YAML: {what}", line=mark.line + 1 if mark else 1)
        return None
    except yaml.YAMLError as e:
        read.problems.append((1, f"{read.name}: not valid YAML: {e}"))
        return None
    if root is None:
        read.problem((), "the file is empty: write rules: and default: (see access-policy.example.yml)", line=1)
        return None
    data = _value(root, (), read, set())
    _rules_as_written(data, read)
    try:
        return PolicySpec.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        locs = [tuple(error["loc"]) for error in errors]
        for loc, error in zip(locs, errors, strict=True):
            # A list with a bad item is also "too short" when no item is good: the item says it all.
            if error["type"] != "too_short" or not any(
                len(other) > len(loc) and other[: len(loc)] == loc for other in locs
            ):
                read.problem(loc, _message(error))
        return None


def _rules_as_written(data: Any, read: _Read) -> None:
    """What pydantic would not say of rules with other problems: each has exactly one of allow and
    deny (its model check runs only once every field is valid; said twice, it is reported once),
    and no two share a name."""
    rules = data.get("rules") if isinstance(data, dict) else None
    names: dict[str, int] = {}
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        if problem := decision_problem(allow="allow" in rule, deny="deny" in rule):
            read.problem(("rules", index), problem)
        name = rule.get("name")
        if isinstance(name, str) and name.strip() and (first := names.setdefault(name.strip().lower(), index)) != index:
            read.problem(("rules", index, "name"), f"{name.strip()!r} is already the name of rule {first + 1}")


def _value(node: yaml.Node, loc: Loc, read: _Read, walking: set[int]) -> Any:
    """The plain value of `node`, noting the line of every key and item below it."""
    read.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL else str(node.value)
    if id(node) in walking:
        read.problem(loc, "refers to itself (an alias inside its own anchor)")
        return None
    walking.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            return [_value(item, (*loc, index), read, walking) for index, item in enumerate(node.value)]
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                read.problem(loc, "a key must be a plain word, not a list or mapping", line=line)
                continue
            key = str(key_node.value)
            if key in mapping:
                read.problem((*loc, key), f"appears twice (first on line {read.lines[(*loc, key)]})", line=line)
                continue
            read.lines[(*loc, key)] = line
            mapping[key] = _value(value_node, (*loc, key), read, walking)
        return mapping
    finally:
        walking.discard(id(node))


def dotted(loc: Loc) -> str:
    """`rules[1].usergroups[0]`, `rules[0].incidents.labels["k8s.io/app"]`: where in the file."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _message(error: ErrorDetails) -> str:
    """A pydantic error in the words of the file's author."""
    kind, loc, given = error["type"], error["loc"], error.get("input")
    expected = str(error.get("ctx", {}).get("expected", "")).replace("'", "")
    last = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if kind == "extra_forbidden":
        owner = "policy" if len(loc) == 1 else "incidents" if loc[-2] == "incidents" else "rule"
        what = {"policy": "the file", "rule": "a rule", "incidents": "incidents"}[owner]
        return f"unknown key ({what} takes {', '.join(KEYS[owner])})"
    if kind in {"tuple_type", "list_type"}:
        return f"must be a list, like [a, b], not {_kind(given)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if not loc:
            return f"the file must be a mapping of rules: and default:, not {_kind(given)}"
        return f"must be a mapping of keys to values, not {_kind(given)}"
    if kind == "string_type":
        return f"must be text, not {_kind(given)}"
    if kind == "too_short":
        return f"must not be empty{_EMPTY_HINTS.get(str(last), '')}"
    if kind in {"enum", "literal_error"}:
        return f"must be {expected}, not {_kind(given)}"
    if kind == "missing":
        return "is required"
    return error["msg"].removeprefix("Value error, ")


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, str):
        return repr(value)
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def _rule(number: int, spec: RuleSpec) -> Rule:
    return Rule(
        number=number,
        allow=bool(spec.allow),
        verbs=frozenset(spec.allow or spec.deny),
        name=spec.name,
        users=spec.users,
        usergroups=spec.usergroups,
        group_ids=frozenset(group for group in spec.usergroups if not group.startswith("@")),
        channels=spec.channels,
        incidents=_filter(spec.incidents) if spec.incidents else None,
        message=spec.message,
    )


def _filter(spec: IncidentsSpec) -> IncidentFilter:
    return IncidentFilter(
        applications=spec.applications,
        subsystems=spec.subsystems,
        severities=spec.severities,
        labels=tuple((key, values) for key, values in spec.labels.items()),
        priorities=spec.priorities,
    )
