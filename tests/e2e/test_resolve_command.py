"""/resolve-incident end to end: signed HTTP into the running bot, loopback fakes on both sides."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from tests.conftest import SIGNING_SECRET
from tests.e2e.harness import running_bot, sign
from tests.factories import uuid
from tests.fakes.coralogix import API_KEY, FakeCoralogix, make_incident
from tests.fakes.server import wait_for
from tests.fakes.slack import FakeSlack

ID_A = "11111111-1111-4111-8111-111111111111"
ID_B = "22222222-2222-4222-8222-222222222222"
UNKNOWN = "99999999-9999-4999-8999-999999999999"


def fake_with(*ids: str, **kwargs: str) -> FakeCoralogix:
    """A fake Coralogix holding a triggered incident per id."""
    cx = FakeCoralogix()
    cx.add(*(make_incident(i, f"Incident {n}", **kwargs) for n, i in enumerate(ids)))
    return cx


def blocks_text(blocks: list[dict]) -> str:
    """Every string inside `blocks`, for assertions on content."""
    return json.dumps(blocks)


async def test_two_ids_resolved_and_summarised() -> None:
    """Two ids: ack at once, one resolve call with both, a summary posted into the channel."""
    async with running_bot(fake_with(ID_A, ID_B)) as bot:
        status, body = await bot.command(f"{ID_A}, {ID_B}")
        assert status == 200
        assert "Resolving 2 incidents" in body
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        (post,) = bot.slack.called("chat.postMessage")
        assert post.params["channel"] == "C0ALERTS"
        assert "Resolved 2 of 2 incidents" in post.params["text"]
        content = blocks_text(post.params["blocks"])
        assert "Incident 0" in content and "Incident 1" in content
        assert "<@U0ONCALL>" in content and "<!date^" in content
        (resolve,) = bot.coralogix.calls_of("resolve")
        assert resolve.path == "/mgmt/openapi/v1/incidents:resolve"
        assert resolve.body == {"incidentIds": [ID_A, ID_B]}
        assert resolve.headers["Authorization"] == f"Bearer {API_KEY}"
        assert all(i["status"] == "INCIDENT_STATUS_RESOLVED" for i in bot.coralogix.incidents.values())


@pytest.mark.parametrize(
    ("secret", "age", "tamper"),
    [("wrong-secret", 0, False), (SIGNING_SECRET, 400, False), (SIGNING_SECRET, 0, True)],
    ids=["forged", "stale", "tampered"],
)
async def test_bad_signatures_are_refused(secret: str, age: int, tamper: bool) -> None:
    """Forged, stale (over 300 s) and tampered requests get 401 and cause no API call at all."""
    async with running_bot(fake_with(ID_A)) as bot:
        body = bot.command_body(ID_A)
        headers = sign(body, secret=secret, timestamp=int(time.time()) - age)
        if tamper:
            body = body.replace("U0ONCALL", "U0ATTACKR")
        status, _ = await bot.post(body, headers)
        assert status == 401
        await bot.settle()
        assert bot.coralogix.calls == []
        assert bot.slack.calls == [] and bot.slack.responses == []


async def test_ack_is_fast_while_coralogix_is_slow() -> None:
    """With Coralogix holding every call for up to 5 s, the ack still arrives before any of them is answered."""
    cx = fake_with(ID_A)
    cx.gate, cx.delay = asyncio.Event(), 5.0
    async with running_bot(cx) as bot:
        status, body = await bot.command(ID_A)
        assert status == 200 and "Resolving 1 incident" in body
        await wait_for(lambda: cx.in_flight == 1, what="the first Coralogix call to be in flight")
        assert cx.completed == 0 and not bot.slack.called("chat.postMessage")
        cx.gate.set()
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")


@pytest.mark.parametrize("failures", [[503], [429], [500], [503, 500, 503]])
async def test_transient_failures_are_retried(failures: list[int]) -> None:
    """503, 429 (with Retry-After) and 500 are retried and the user still gets a clean summary."""
    cx = fake_with(ID_A)
    cx.failures.extend(failures)
    async with running_bot(cx) as bot:
        await bot.command(ID_A)
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        assert len(cx.calls_of("resolve")) == len(failures) + 1
        assert "Resolved 1 of 1 incident" in bot.slack.called("chat.postMessage")[0].params["text"]


async def test_unknown_id_among_good_ones() -> None:
    """An unknown id is reported as not found and the good ones are still resolved."""
    async with running_bot(fake_with(ID_A, ID_B)) as bot:
        await bot.command(f"{ID_A} {UNKNOWN} {ID_B}")
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        post = bot.slack.called("chat.postMessage")[0]
        assert "Resolved 2 of 3 incidents (1 not found)" in post.params["text"]
        assert UNKNOWN in blocks_text(post.params["blocks"])
        for call in bot.coralogix.calls_of("resolve"):
            assert UNKNOWN not in call.body["incidentIds"]


async def test_unknown_id_rejected_by_resolve_is_bisected_out() -> None:
    """When resolve rejects a batch for an id reads still see, bisection resolves the rest and reports it failed."""
    cx = fake_with(ID_A, ID_B)
    cx.reject[ID_B] = 404
    async with running_bot(cx) as bot:
        await bot.command(f"{ID_A} {ID_B}")
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        bodies = [c.body["incidentIds"] for c in cx.calls_of("resolve")]
        assert bodies[0] == [ID_A, ID_B] and sorted(bodies[1:]) == [[ID_A], [ID_B]]
        assert "Resolved 1 of 2 incidents (1 failed)" in bot.slack.called("chat.postMessage")[0].params["text"]
        assert cx.incidents[ID_A]["status"] == "INCIDENT_STATUS_RESOLVED"


async def test_hostile_incident_name_is_escaped() -> None:
    """An incident named `<!channel>` with a disguised link pings nobody and links nowhere."""
    cx = FakeCoralogix()
    cx.add(make_incident(ID_A, "<!channel> db down <https://evil.example|click to resolve> & more"))
    async with running_bot(cx) as bot:
        await bot.command(ID_A)
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        post = bot.slack.called("chat.postMessage")[0]
        content = blocks_text(post.params["blocks"]) + post.params["text"]
        assert "<!channel>" not in content and "<https://evil" not in content
        assert "&lt;!channel&gt;" in content and "&amp; more" in content


async def test_five_hundred_ids() -> None:
    """500 ids: one resolve call, every id accounted for, and a message within Block Kit limits."""
    ids = [uuid(n + 1) for n in range(500)]
    async with running_bot(fake_with(*ids)) as bot:
        status, _ = await bot.command("\n".join(ids))
        assert status == 200
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        post = bot.slack.called("chat.postMessage")[0]
        assert "Resolved 500 of 500 incidents" in post.params["text"]
        blocks = post.params["blocks"]
        assert len(blocks) <= 50
        for block in blocks:
            texts = [block["text"]["text"]] if "text" in block else [e["text"] for e in block["elements"]]
            assert all(len(t) <= 3000 for t in texts)
        (resolve,) = bot.coralogix.calls_of("resolve")
        assert resolve.body["incidentIds"] == ids


async def test_api_version_5_uses_the_versioned_paths() -> None:
    """CORALOGIX_API_VERSION=5 sends the same body to /mgmt/openapi/5/…/all/resolve (and reads there first)."""
    async with running_bot(fake_with(ID_A, ID_B), CORALOGIX_API_VERSION="5") as bot:
        await bot.command(f"{ID_A} {ID_B}")  # several ids: read first, then resolved
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        (resolve,) = bot.coralogix.calls_of("resolve")
        assert resolve.path == "/mgmt/openapi/5/incidents/incidents/v1/all/resolve"
        assert resolve.body == {"incidentIds": [ID_A, ID_B]}
        batch = next(c for c in bot.coralogix.calls if c.method == "GET")
        assert batch.path == "/mgmt/openapi/5/incidents/incidents/v1" and ("ids", ID_A) in batch.query


async def test_help_and_garbage_make_no_api_call() -> None:
    """`help` and text without a valid id answer with usage and call nothing."""
    async with running_bot(fake_with(ID_A)) as bot:
        for text in ("help", "not-an-id <!here>"):
            status, body = await bot.command(text)
            assert status == 200
            assert "/resolve-incident" in body
        _, body = await bot.command("not-an-id <!here>")
        assert "&lt;!here&gt;" in body
        await bot.settle()
        assert bot.coralogix.calls == [] and not bot.slack.called("chat.postMessage")


async def test_private_channel_falls_back_to_response_url() -> None:
    """Where the bot is not in the channel, the summary goes in_channel via response_url, plus an invite hint."""
    slack = FakeSlack(channels_without_bot={"G0PRIVATE"})
    async with running_bot(fake_with(ID_A), slack=slack) as bot:
        await bot.command(ID_A, channel="G0PRIVATE")
        await wait_for(lambda: len(slack.responses) == 2, what="response_url posts")
        summary, hint = slack.responses
        assert summary["response_type"] == "in_channel" and "Resolved 1 of 1" in summary["text"]
        assert hint["response_type"] == "ephemeral" and "/invite" in hint["text"]


async def test_coralogix_down_tells_the_user_with_an_error_id(caplog: pytest.LogCaptureFixture) -> None:
    """When Coralogix refuses the key, the user gets the reason and an error id, and the log has the same id."""
    cx = fake_with(ID_A)
    async with running_bot(cx, CORALOGIX_API_KEY="cx-wrong-key") as bot:
        status, body = await bot.command(ID_A)
        assert status == 200  # the ack stands even though the work after it failed at once
        assert "Resolving 1 incident" in body
        await wait_for(lambda: bot.slack.responses, what="error reply")
        reply = bot.slack.responses[0]
        assert reply["response_type"] == "ephemeral"
        assert "CORALOGIX_API_KEY" in reply["text"] and "Error id: `E" in reply["text"]
        assert "cx-wrong-key" not in reply["text"]
        error_id = re.search(r"Error id: `(E[0-9A-F]{8})`", reply["text"]).group(1)  # type: ignore[union-attr]  # a miss fails the test
        assert any(getattr(r, "error_id", None) == error_id for r in caplog.records)
        assert not any("cx-wrong-key" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("error", ["ratelimited", "msg_too_long", "invalid_blocks"])
async def test_any_post_failure_falls_back_to_response_url(error: str) -> None:
    """Whatever chat.postMessage answers, the summary still reaches the channel through response_url."""
    slack = FakeSlack(post_errors={"C0ALERTS": error})
    async with running_bot(fake_with(ID_A), slack=slack) as bot:
        await bot.command(ID_A)
        await bot.settle()
        assert len(slack.responses) == 1
        assert slack.responses[0]["response_type"] == "in_channel"
        assert "Resolved 1 of 1" in slack.responses[0]["text"]


async def test_partial_failure_summary_and_log_share_the_error_id(caplog: pytest.LogCaptureFixture) -> None:
    """When some ids fail, the summary shows an error id and the warning in the log carries the same one."""
    cx = fake_with(ID_A, ID_B)
    cx.reject[ID_B] = 404
    async with running_bot(cx) as bot:
        await bot.command(f"{ID_A} {ID_B}")
        await wait_for(lambda: bot.slack.called("chat.postMessage"), what="summary")
        content = blocks_text(bot.slack.called("chat.postMessage")[0].params["blocks"])
        error_id = re.search(r"error id `(E[0-9A-F]{8})`", content).group(1)  # type: ignore[union-attr]  # a miss fails the test
        assert any(getattr(r, "error_id", None) == error_id for r in caplog.records)


async def test_healthz() -> None:
    """GET /healthz answers 200 with the version."""
    async with running_bot() as bot, bot.http.get(f"{bot.bot_url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True
