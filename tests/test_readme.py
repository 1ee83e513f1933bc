"""README.md keeps its promises: the two fresh-machine commands, and CI runs the test one."""

from __future__ import annotations

import re

from bot.settings import FIELD_NAMES
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.S)


def test_readme_has_the_two_fresh_machine_commands() -> None:
    """The first two shell blocks are one line each: start the bot, and run the tests."""
    start, test = (block.strip() for block in SHELL_BLOCKS[:2])
    assert "\n" not in start
    assert start.endswith("python -m bot")
    assert "\n" not in test
    assert test.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run contains the README's test command exactly."""
    test_command = SHELL_BLOCKS[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_configuration_table_lists_every_setting() -> None:
    """Every variable the settings read has a row in the README's configuration table."""
    rows = set(re.findall(r"^\| `([A-Z_]+)` \|", README, re.M))
    assert rows == set(FIELD_NAMES)
