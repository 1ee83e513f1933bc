"""What operators see: /readyz follows the database, /metrics is guarded and counts what happens."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import make_url

from tests.e2e.harness import Harness, running_bot
from tests.fakes.coralogix import make_incident
from tests.fakes.server import wait_for
from tests.fakes.tcp_proxy import tcp_proxy

TOKEN = "metrics-token-0123456789"
ID_A = "11111111-1111-4111-8111-111111111111"


async def get(bot: Harness, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET a path of the running bot."""
    async with bot.http.get(bot.bot_url + path, headers=headers or {}) as response:
        return response.status, await response.text()


async def ready(bot: Harness) -> tuple[int, dict[str, Any]]:
    """/readyz's status and JSON body."""
    async with bot.http.get(bot.bot_url + "/readyz") as response:
        return response.status, await response.json()


async def test_readyz_follows_the_database_connection(postgres_url: str) -> None:
    """/readyz is 200, turns 503 naming the database within 5 s of losing it, and 200 again once it is back."""
    target = make_url(postgres_url)
    async with tcp_proxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        via_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with running_bot(DATABASE_URL=via_proxy) as bot:
            assert await ready(bot) == (200, {"ok": True, "down": {}})
            proxy.cut()
            loop = asyncio.get_running_loop()
            cut_at = loop.time()
            while (answer := await ready(bot))[0] != 503:
                assert loop.time() - cut_at < 5, "still ready 5 s after the database went away"
            assert set(answer[1]["down"]) == {"database"}
            assert loop.time() - cut_at < 5
            proxy.restore()
            await wait_for_ready(bot)
            assert (await get(bot, "/healthz"))[0] == 200  # liveness never depended on the database


async def wait_for_ready(bot: Harness, within: float = 5.0) -> None:
    """Until /readyz answers 200."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (await ready(bot))[0] != 200:
        assert loop.time() < deadline, "not ready again after the database came back"


async def test_metrics_are_off_without_a_token() -> None:
    """Without METRICS_TOKEN, /metrics answers 404 as if it did not exist."""
    async with running_bot() as bot:
        assert (await get(bot, "/metrics"))[0] == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", TOKEN, "Basic " + TOKEN])
async def test_metrics_refuse_anything_but_the_bearer_token(header: str | None) -> None:
    """With METRICS_TOKEN set, /metrics answers 401 without `Authorization: Bearer <token>` exactly."""
    async with running_bot(METRICS_TOKEN=TOKEN) as bot:
        status, body = await get(bot, "/metrics", {"Authorization": header} if header else None)
        assert status == 401
        assert "bot_" not in body


async def test_metrics_count_coralogix_calls_slack_errors_webhooks_and_acks() -> None:
    """After a command, a webhook and a Slack refusal, /metrics shows each as a moving series."""
    async with running_bot(METRICS_TOKEN=TOKEN) as bot:
        bot.coralogix.add(make_incident(ID_A))
        bot.slack.post_errors["C0NOPE"] = "channel_not_found"
        status, _ = await bot.command(ID_A, channel="C0NOPE")
        assert status == 200
        await wait_for(lambda: bot.slack.responses, what="summary through response_url")
        assert (await bot.webhook({"alert_id": "a1", "alert_name": "Disk full"}))[0] == 202
        await wait_for(lambda: len(bot.slack.called("chat.postMessage")) >= 2, what="alert message")
        status, text = await get(bot, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert 'bot_coralogix_request_seconds_count{operation="resolve",status="200"} 1.0' in text
    assert 'bot_slack_api_errors_total{error="channel_not_found",method="chat.postMessage"} 1.0' in text
    assert 'bot_webhook_notifications_total{result="accepted"} 1.0' in text
    assert 'bot_ack_seconds_count{surface="command"} 1.0' in text
    assert "bot_background_tasks " in text
