"""The audit trail of a real run: two `python -m bot` processes under an access policy, every kind of
attempt, then `python -m bot audit --format csv` lists each one, and no secret."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from pathlib import Path

from bot.ids import ActionId
from tests.conftest import ROOT, SIGNING_SECRET
from tests.e2e.cluster import cluster
from tests.e2e.harness import WEBHOOK_SECRET
from tests.fakes.coralogix import API_KEY, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import VALID_TOKEN

POLICY = """\
rules:
  - name: interns
    deny: [resolve, acknowledge]
    users: [U0INTERN]
    message: "Interns ask in #sre-help."
default: allow
"""
ALERTED = "33333333-3333-4333-8333-333333333333"
COMMANDED = "44444444-4444-4444-8444-444444444444"
RESOLVED = "INCIDENT_STATUS_RESOLVED"


async def audit_csv(env: dict[str, str], folder: Path) -> tuple[int, str, str]:
    """`python -m bot audit --format csv` with the bot's environment: (status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "audit",
        "--format",
        "csv",
        cwd=folder,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, out.decode(), err.decode()


async def test_audit_csv_after_a_run_lists_every_action_and_no_secret(postgres_url: str, tmp_path: Path) -> None:
    """Notification, command, click, refused mention, refused guest and a refused webhook: one row each."""
    policy = tmp_path / "access-policy.yml"
    policy.write_text(POLICY)
    async with cluster(postgres_url, tmp_path, ACCESS_POLICY=str(policy)) as group:
        alerted = make_incident(ALERTED)
        alerted["contextualLabels"]["alert_id"] = "a1"
        group.coralogix.add(alerted)
        group.coralogix.add(make_incident(COMMANDED))
        group.slack.people = {"U0SRE": {"id": "U0SRE", "real_name": "Sam Sre", "profile": {"email": "sam@example.com"}}}
        one, two = group.to(0), group.to(1)
        assert (await one.webhook({"alert_id": "a1", "alert_name": "Disk full", "incident_id": ALERTED}))[0] == 202
        ts = await group.alert_posted()
        await group.settle()
        await two.command(COMMANDED, user="U0SRE")
        await one.click(ActionId.ACKNOWLEDGE, ts=ts, user="U0SRE")
        await group.settle()
        mention = {
            "type": "app_mention",
            "user": "U0INTERN",
            "text": "<@UBOT0001> resolve",
            "ts": "1700000100.000100",
            "thread_ts": ts,
            "channel": "C0ALERTS",
            "event_ts": "1700000100.000100",
        }
        await two.event(mention, event_id="EvIntern")
        await one.command(COMMANDED, user="U0GUEST", team="T0GUEST")
        refused = await two.webhook({"alert_id": "a2", "alert_name": "Elsewhere", "channel": "C0NOTALLOWED"})
        assert refused[0] == 403
        await group.settle()
        await wait_for(lambda: group.coralogix.incidents[COMMANDED]["status"] == RESOLVED, what="the command")
        code, out, err = await audit_csv(group.env, tmp_path)
    assert code == 0 and err == "", err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted((r["kind"], r["surface"], r["user"], r["decision"]) for r in rows) == [
        ("action", "button", "U0SRE", "allowed"),
        ("action", "command", "U0SRE", "allowed"),
        ("action", "thread", "U0INTERN", "refused"),
        ("notification", "webhook", "", ""),  # the alert posted
        ("notification", "webhook", "", ""),  # the one refused for its channel
        ("refusal", "command", "U0GUEST", "refused"),
    ]
    by_surface = {(r["kind"], r["surface"], r["user"]): r for r in rows}
    command = by_surface[("action", "command", "U0SRE")]
    assert (command["user_name"], command["user_email"], command["team"]) == ("Sam Sre", "sam@example.com", "T111")
    assert json.loads(command["outcomes"]) == {COMMANDED: "resolved"}
    assert int(command["coralogix_ms"]) >= 0
    click = by_surface[("action", "button", "U0SRE")]
    assert (click["verb"], json.loads(click["outcomes"])) == ("acknowledge", {ALERTED: "acknowledged"})
    intern = by_surface[("action", "thread", "U0INTERN")]
    assert intern["rule"] == "rule 1 (interns)" and json.loads(intern["outcomes"]) == {ALERTED: "refused"}
    dids = sorted(json.loads(r["detail"])["did"] for r in rows if r["kind"] == "notification")
    assert dids[0] == "posted" and dids[1].startswith("refused (403): channel C0NOTALLOWED is not allowed")
    for secret in (VALID_TOKEN, SIGNING_SECRET, API_KEY, WEBHOOK_SECRET):
        assert secret not in out
