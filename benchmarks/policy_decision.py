"""What the access policy adds to an action: the decision itself, and the command end to end.

1. In process: `Access.sort` on a policy of RULES rules naming GROUPS user groups, for one id decided
   before any read (a rule about people), and for 50 ids decided on their incidents' facts.
2. End to end: /resolve-incident → summary posted, through the real bot on loopback with every
   Coralogix call taking DELAY s, with no policy, a policy decided on people only, and a policy
   that looks at the incident (one extra read of the incidents).

    .venv/bin/python -m benchmarks.policy_decision [--delay 0.05] [--commands 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.ack_latency import describe
from bot.api import Incident
from bot.policy import parse_policy
from bot.services.access import Access
from bot.services.actions import Verb
from tests.e2e.harness import running_bot
from tests.fakes.coralogix import FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack

RULES, GROUPS = 50, 200
PEOPLE = (
    "rules:\n  - deny: [resolve]\n    users: [U0INTERN]\n"
    "  - allow: [resolve]\n    usergroups: ['@sre']\ndefault: deny\n"
)
FACTS = (
    "rules:\n  - allow: [resolve]\n    usergroups: ['@sre']\n    incidents: {applications: [checkout]}\n"
    "  - deny: [resolve]\n    incidents: {severities: [critical]}\ndefault: allow\n"
)


class Groups:
    """GROUPS user groups, the actor in five of them (as the Slack directory answers from its cache)."""

    async def groups_of(self, user: str) -> frozenset[str]:
        """Five groups."""
        return frozenset(f"S{n:04d}" for n in range(5))

    async def handles(self) -> dict[str, str]:
        """Every handle."""
        return {f"@group-{n}": f"S{n:04d}" for n in range(GROUPS)}


def big_policy() -> str:
    """RULES rules, each about a few groups and an application, then a deny on critical."""
    rules = [
        f"  - allow: [resolve, acknowledge]\n    usergroups: ['@group-{n}', '@group-{n + 1}']\n"
        f"    incidents: {{applications: [app-{n}], severities: [error, warning]}}\n"
        for n in range(10, 10 + RULES - 1)
    ]
    last = "  - deny: [resolve]\n    incidents: {severities: [critical]}\ndefault: allow\n"
    return "rules:\n" + "".join(rules) + last


async def in_process(rounds: int = 2000) -> None:
    """µs per decision."""
    people = Access(parse_policy(PEOPLE.replace("@sre", "@group-1")), Groups())
    facts = Access(parse_policy(big_policy()), Groups())
    incidents = {
        f"{n:08d}-0000-4000-8000-000000000000": Incident.model_validate(
            make_incident(f"{n:08d}-0000-4000-8000-000000000000", application=f"app-{n % 60}")
        )
        for n in range(50)
    }
    ids = list(incidents)
    for name, access, asked, read in (
        ("people only, 1 id", people, ids[:1], None),
        (f"{RULES} rules on facts, 50 ids", facts, ids, incidents),
    ):
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            await access.sort("U0X", Verb.RESOLVE, "C0A", asked, read)
            samples.append((time.perf_counter() - start) * 1e6)
        samples.sort()
        p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
        print(f"Access.sort, {name}: p50 {p50:.0f} µs, p99 {p99:.0f} µs")


async def end_to_end(delay: float, commands: int) -> None:
    """Command → summary, p50 and p99, per policy."""
    with tempfile.TemporaryDirectory() as folder:
        for name, text in (("no policy", None), ("decided on people", PEOPLE), ("decided on the incident", FACTS)):
            settings: dict[str, Any] = {}
            if text is not None:
                path = Path(folder) / f"{len(name)}.yml"
                path.write_text(text)
                settings["ACCESS_POLICY"] = str(path)
            cx, slack = FakeCoralogix(), FakeSlack()
            slack.usergroups = [{"id": "S0SRE", "handle": "sre", "users": ["U0SRE"]}]
            ids = [f"{n:08d}-1111-4111-8111-111111111111" for n in range(commands)]
            for incident_id in ids:
                cx.add(make_incident(incident_id, severity="INCIDENT_SEVERITY_ERROR"))
            async with running_bot(cx, slack, **settings) as bot:
                await bot.command(ids[0], user="U0SRE")  # warm up: groups loaded, connections open
                await bot.settle()
                cx.delay = delay
                samples = []
                for n, incident_id in enumerate(ids[1:], start=2):
                    start = time.perf_counter()
                    await bot.command(incident_id, user="U0SRE")
                    await wait_for(lambda n=n: len(bot.slack.called("chat.postMessage")) >= n, within=30)  # type: ignore[misc]
                    samples.append(time.perf_counter() - start)
                reads = sum(1 for c in cx.calls if c.operation == "batch_get")
            print(f"{name}: {describe(samples)}; reads of incidents: {reads}")
            print(f"  mean {statistics.mean(samples) * 1000:.0f} ms")


def main() -> None:
    """Parse options and run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds every Coralogix call takes")
    parser.add_argument("--commands", type=int, default=30)
    options = parser.parse_args()
    asyncio.run(in_process())
    asyncio.run(end_to_end(options.delay, options.commands))


if __name__ == "__main__":
    main()
