"""access-policy.example.yml, shipped at the repository root, loads and is the issue's sketch extended."""

from __future__ import annotations

from bot.policy import load_policy, parse_policy
from tests.conftest import ROOT
from tests.policy.sketch import SKETCH

EXAMPLE = ROOT / "access-policy.example.yml"


def test_the_example_file_loads() -> None:
    """The shipped example is a valid policy: a rule per form, and default deny."""
    policy = load_policy(EXAMPLE)
    assert [rule.number for rule in policy.rules] == [1, 2, 3, 4]
    assert not policy.default_allow


def test_the_example_begins_with_the_sketch() -> None:
    """Its first three rules and its default are the sketch's, so the README's sketch and the file agree."""
    example, sketch = load_policy(EXAMPLE), parse_policy(SKETCH, "access-policy.yml")
    assert example.rules[:3] == sketch.rules
    assert example.default_allow == sketch.default_allow


def test_the_example_keeps_every_line_of_the_sketch() -> None:
    """Each line of the sketch appears in the example as written (comments added, nothing renamed)."""
    example = EXAMPLE.read_text().splitlines()
    assert [line for line in SKETCH.splitlines() if line not in example] == []
