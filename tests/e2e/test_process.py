"""The bot as it is deployed: `python -m bot` as a process (HTTP mode), and Socket Mode in-process."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest
from sqlalchemy import update

from bot.app import Timings, build_runtime
from bot.run import serve
from bot.store import AlertStatus, AuditKind, AuditRecord, Store
from bot.store.tables import AlertMessageRow
from tests.conftest import SIGNING_SECRET, make_settings
from tests.e2e.harness import sign
from tests.e2e.processes import bot_environment, start_bot
from tests.factories import posted_alert
from tests.fakes.coralogix import API_KEY, FakeCoralogix, make_incident
from tests.fakes.server import free_port, serving, wait_for
from tests.fakes.slack import VALID_TOKEN, FakeSlack

ID_A = "11111111-1111-4111-8111-111111111111"


async def test_python_m_bot_serves_resolves_and_stops_cleanly(tmp_path: Path) -> None:
    """`python -m bot` binds PORT, answers /healthz, resolves a signed command, exits 0 on SIGTERM, logs no secret."""
    slack, cx = FakeSlack(), FakeCoralogix()
    cx.add(make_incident(ID_A))
    alerted = make_incident("22222222-2222-4222-8222-222222222222")
    alerted["contextualLabels"]["alert_id"] = "a1"  # found at once: no lookup retries to sit out at SIGTERM
    cx.add(alerted)
    port = free_port()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving(slack, cx))
        env = bot_environment(
            SLACK_API_URL=slack.api_url,
            CORALOGIX_API_URL=cx.base_url,
            PORT=port,
            LOG_LEVEL="DEBUG",
            DATABASE_URL=f"sqlite:///{tmp_path}/bot.sqlite3",
            CORALOGIX_WEBHOOK_SECRET="process-test-webhook-secret",
            SLACK_ALERT_CHANNELS_ALLOWED="C0OPS, C0DISK",  # the channel the notification below names
        )
        bot = await start_bot(env)
        try:
            await bot.wait_serving()
            http = await stack.enter_async_context(aiohttp.ClientSession())
            body = "&".join(
                f"{k}={v}"
                for k, v in {
                    "command": "%2Fresolve-incident",
                    "text": ID_A,
                    "user_id": "U1",
                    "channel_id": "C1",
                    "team_id": "T111",
                    "response_url": slack.response_url,
                    "trigger_id": "x",
                }.items()
            )
            async with http.post(
                f"{bot.url}/slack/events",
                data=body,
                headers={**sign(body), "Content-Type": "application/x-www-form-urlencoded"},
            ) as response:
                assert response.status == 200
            await wait_for(lambda: slack.called("chat.postMessage"), what="summary")
            assert dict(parse_qsl(body))["text"] == ID_A
            # The webhook with its secret in the query string: answered, and the secret never logged.
            webhook = f"{bot.url}/coralogix/webhook?token=process-test-webhook-secret"
            async with http.post(webhook, json={"alert_id": "a1", "alert_name": "Disk full", "channel": "C0DISK"}) as r:
                assert r.status == 202
            async with http.post(f"{bot.url}/coralogix/webhook?token=wrong-token-wrong-token", json={}) as r:
                assert r.status == 401
        finally:
            code = await bot.stop()
    log = bot.log
    assert code == 0, log
    assert "Traceback" not in log
    for secret in (VALID_TOKEN, SIGNING_SECRET, API_KEY, "process-test-webhook-secret"):
        assert secret not in log


async def test_socket_mode_acks_over_the_socket_and_serves_healthz(tmp_path: Path) -> None:
    """Socket Mode: commands arrive and are acked over the socket; /healthz and the webhook still answer on PORT."""
    slack, cx = FakeSlack(), FakeCoralogix()
    cx.add(make_incident(ID_A))
    port = free_port()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving(slack, cx))
        settings = make_settings(
            SLACK_APP_TOKEN="xapp-1-test",
            SLACK_SIGNING_SECRET=None,
            SLACK_API_URL=slack.api_url,
            CORALOGIX_API_URL=cx.base_url,
            PORT=port,
            DATABASE_URL=f"sqlite:///{tmp_path}/bot.sqlite3",
            CORALOGIX_WEBHOOK_SECRET="socket-mode-webhook-secret",
            SLACK_ALERT_CHANNELS_ALLOWED="C0DISK",
        )
        runtime = await build_runtime(settings, timings=Timings(lookup_interval=0.01))
        stop = asyncio.Event()
        server = asyncio.create_task(serve(runtime, stop))
        try:
            await wait_for(lambda: slack.socket is not None, what="socket connection")
            await slack.send_envelope(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": {
                        "command": "/resolve-incident",
                        "text": ID_A,
                        "user_id": "U1",
                        "channel_id": "C1",
                        "team_id": "T111",
                        "response_url": slack.response_url,
                        "trigger_id": "x",
                    },
                }
            )
            await wait_for(lambda: slack.socket_received, what="ack over the socket")
            assert slack.socket_received[0]["envelope_id"] == "env-1"
            assert "Resolving 1 incident" in str(slack.socket_received[0].get("payload"))
            await wait_for(lambda: slack.called("chat.postMessage"), what="summary")
            http = await stack.enter_async_context(aiohttp.ClientSession())
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data="x") as response:
                assert response.status in (404, 405)  # Slack traffic comes over the socket only
            async with http.post(
                f"http://127.0.0.1:{port}/coralogix/webhook?token=socket-mode-webhook-secret",
                json={"alert_id": "a1", "alert_name": "Disk full", "channel": "C0DISK"},
            ) as response:
                assert response.status == 202  # the webhook is served on PORT in Socket Mode too
            await wait_for(lambda: len(slack.called("chat.postMessage")) == 2, what="alert message")
        finally:
            stop.set()
            await asyncio.wait_for(server, timeout=10)


async def test_serve_prunes_old_records_at_start_and_stops_promptly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """serve() prunes at once (an alert message resolved long ago goes, an open one stays; an audit record past
    AUDIT_RETENTION_DAYS goes, a recent one stays), and stopping does not wait for the next prune six hours later."""
    caplog.set_level(logging.INFO, logger="bot.store")
    database = f"sqlite:///{tmp_path}/bot.sqlite3"
    store = await Store.open(database)
    for ts in ("1.1", "1.2"):
        await posted_alert(store.alerts, channel="C0OLD", ts=ts, alert_id="a")
    async with store.engine.begin() as connection:
        long_ago = datetime.now(UTC) - timedelta(days=31)
        resolved = update(AlertMessageRow).where(AlertMessageRow.ts == "1.1")
        await connection.execute(resolved.values(status=AlertStatus.RESOLVED.value, status_at=long_ago))
    for days, note in ((41, "old"), (39, "recent")):
        await store.audit.record(
            AuditRecord(kind=AuditKind.ACTION, at=datetime.now(UTC) - timedelta(days=days), note=note)
        )
    await store.close()
    settings = make_settings(PORT=free_port(), DATABASE_URL=database, RETENTION_DAYS=30, AUDIT_RETENTION_DAYS=40)
    runtime = await build_runtime(settings)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(runtime, stop))
    try:
        await wait_for(lambda: "pruned 1 audit records" in caplog.text or server.done(), what="the first prune")
    finally:
        stop.set()
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(server, timeout=5)
    assert asyncio.get_running_loop().time() - started < 2
    store = await Store.open(database)
    try:
        assert await store.alerts.by_message("C0OLD", "1.1") is None
        assert await store.alerts.by_message("C0OLD", "1.2") is not None
        assert [r.note for r in await store.audit.query()] == ["recent"]
    finally:
        await store.close()
