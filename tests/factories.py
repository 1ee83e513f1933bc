"""Plain test values shared across the suite."""

from __future__ import annotations

from typing import Any

from bot.store import AlertRecord
from bot.store.alerts import AlertMessages


def uuid(n: int) -> str:
    """A distinct, valid (version 4) incident id for `n`: readable in a failure, `n` shows in both ends."""
    return f"{n:08x}-0000-4000-8000-{n:012x}"


async def posted_alert(
    alerts: AlertMessages,
    *,
    channel: str = "C0ALERTS",
    ts: str = "1700000000.000100",
    alert_id: str = "alert-1",
    incident_id: str | None = None,
    notification: dict[str, Any] | None = None,
) -> AlertRecord:
    """An alert message as the bot leaves it once posted: reserved, then given its ts.

    Each ts is a different alert occurrence (its group-by values), so a test may store several
    messages of one alert; one incident still has one message per channel, as in the bot.
    """
    given = dict(notification) if notification is not None else {"alert_id": alert_id, "alert_name": "CPU high"}
    record, created = await alerts.reserve(
        channel=channel,
        alert_id=alert_id,
        group_by=given.get("group_by") or f"ts={ts}",
        incident_id=incident_id,
        notification=given,
        job_id=None,
    )
    assert created, "a test message that the store already had"
    return await alerts.posted(record.id, channel=channel, ts=ts)
