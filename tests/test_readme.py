"""README.md keeps its promises: the two fresh-machine commands, and CI runs the test one."""

from __future__ import annotations

import re
from pathlib import Path

from bot.doctor import run_doctor
from bot.ids import BOT_SCOPES
from bot.policy import parse_policy
from bot.settings import FIELD_NAMES
from bot.store import Store
from tests.conftest import ROOT, make_settings
from tests.fakes.coralogix import FakeCoralogix
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.policy.sketch import SKETCH

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


async def test_doctor_sample_is_what_doctor_prints(tmp_path: Path) -> None:
    """The README's doctor sample is the doctor's real output for a working setup, but for names and hosts."""
    sample = re.search(r"python -m bot doctor\n```\n\n```\n(.*?)```", README, re.S)
    assert sample is not None
    slack, coralogix = FakeSlack(scopes=",".join(sorted(BOT_SCOPES)), app_id="A0123ABCD"), FakeCoralogix()
    database = f"sqlite:///{tmp_path}/coralogix-bot.sqlite3"
    await Store.migrate(database)
    printed: list[str] = []
    async with serving(slack, coralogix):
        settings = make_settings(
            SLACK_API_URL=slack.api_url,
            CORALOGIX_API_URL=coralogix.base_url,
            DATABASE_URL=database,
            CORALOGIX_WEBHOOK_SECRET="x" * 24,
            SLACK_ALERT_CHANNEL="C0123ABCD",
        )
        assert await run_doctor(settings, echo=printed.append) == 0
    # Only what differs between this test and a real deployment is replaced.
    real = {coralogix.base_url: "https://api.coralogix.com", "Test Team": "Acme", str(tmp_path): "/srv/bot"}
    output = "\n".join(printed)
    for fake, shown in real.items():
        output = output.replace(fake, shown)
    assert sample.group(1).strip() == output


def test_the_who_may_act_example_loads_as_written() -> None:
    """The policy shown under "Who may act" is a valid policy file, and it is the issue's sketch."""
    section = README.split("## Who may act", 1)[1]
    example = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    assert parse_policy(example).in_words() == parse_policy(SKETCH).in_words()
