"""The Coralogix webhook refuses bad input with the status and reason it deserves, never a 500.

Unreadable bodies and fields are 400 naming the field, a notification with nowhere to go is 422,
and one naming a channel the operator did not allow (or a DM) is 403 naming the setting.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import Harness, running_bot
from tests.e2e.test_alerts import cx_with_incident, notification, settled


@pytest.fixture(autouse=True)
def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After each test: no log record, at any level, carries a traceback."""
    caplog.set_level(logging.DEBUG)
    yield
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def refused(bot: Harness, raw: bytes) -> tuple[int, str]:
    """POST `raw` with the right secret; the status and the reason, after checking nothing was posted."""
    status, body = await bot.webhook(None, raw=raw)
    await settled(bot)
    assert not bot.slack.calls
    return status, str(body.get("error"))


def raw(**overrides: Any) -> bytes:
    """A notification's bytes with `overrides` (None removes a field)."""
    return json.dumps({k: v for k, v in notification(**overrides).items() if v is not None}).encode()


# -- unreadable bodies and fields: 400 -------------------------------------------------------------


async def test_a_hundred_thousand_brackets_are_400_not_a_recursion_error() -> None:
    """Deeply nested JSON is refused with the reason; the recursion never reaches Python's limit."""
    async with running_bot(cx_with_incident()) as bot:
        status, reason = await refused(bot, b"[" * 100_000 + b"]" * 100_000)
        assert status == 400 and "nested more than" in reason


async def test_nesting_inside_an_unknown_field_is_400_too() -> None:
    """An extra field nested past the limit is refused (it would otherwise be stored and shown)."""
    async with running_bot(cx_with_incident()) as bot:
        deep: Any = "x"
        for _ in range(100):
            deep = {"x": deep}
        status, reason = await refused(bot, raw(labels=deep))
        assert status == 400 and "nested more than" in reason


@pytest.mark.parametrize(
    "timestamp",
    [1e300, -1e18, int("9" * 400), "9" * 400, "1e300", "-1e18"],
    ids=["1e300", "-1e18", "400-digits", "400-digits-text", "1e300-text", "-1e18-text"],
)
async def test_timestamps_out_of_range_are_400_naming_the_field(timestamp: Any) -> None:
    """Epoch numbers no calendar holds are refused naming `timestamp`, not a 500 from datetime."""
    async with running_bot(cx_with_incident()) as bot:
        status, reason = await refused(bot, raw(timestamp=timestamp))
        assert status == 400 and "timestamp" in reason and "out of range" in reason


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"alert_name": "disk\u0000full"}, "alert_name"),
        ({"description": "\u0000"}, "description"),
        ({"labels": {"env": ["prod", "\u0000"]}}, "labels.env[1]"),
        ({"alert_id": "a\u0000"}, "alert_id"),
    ],
)
async def test_nul_characters_anywhere_are_400_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    """PostgreSQL cannot store NUL: refused at the door, naming where it was."""
    async with running_bot(cx_with_incident()) as bot:
        status, reason = await refused(bot, raw(**overrides))
        assert status == 400 and reason.startswith(f"{field} contains a NUL character")


@pytest.mark.parametrize(
    "alert_id",
    ["$ALERT_ID", "$alert_id", "{{ alertDef.id }}", "{{alert.id}}", "NaN", "", "  "],
)
async def test_unfilled_alert_ids_are_400_naming_the_field(alert_id: str) -> None:
    """A template variable left unfilled, in any syntax, would merge every alert into one message: refused."""
    async with running_bot(cx_with_incident()) as bot:
        status, reason = await refused(bot, raw(alert_id=alert_id))
        assert status == 400 and reason.startswith("alert_id ")


async def test_a_json_nan_alert_id_is_400_naming_the_field() -> None:
    """The bare JSON constant NaN (which Python's parser accepts) is an unfilled value too."""
    async with running_bot(cx_with_incident()) as bot:
        body = raw().replace(b'"alert_id": "alert-7f3a"', b'"alert_id": NaN')
        status, reason = await refused(bot, body)
        assert status == 400 and reason.startswith("alert_id ")


# -- where it may post: 422 and 403 -----------------------------------------------------------------


async def test_no_channel_anywhere_is_422_saying_so() -> None:
    """Neither a `channel` nor SLACK_ALERT_CHANNEL: refused with 422 instead of accepted and dropped."""
    async with running_bot(cx_with_incident(), SLACK_ALERT_CHANNEL=None) as bot:
        status, reason = await refused(bot, raw())
        assert status == 422 and "SLACK_ALERT_CHANNEL is not set" in reason


@pytest.mark.parametrize("channel", ["C0ELSEWHERE", "G0PRIVATE", "D0DIRECT"])
async def test_a_channel_the_operator_did_not_allow_is_403_naming_the_setting(channel: str) -> None:
    """Holding the webhook secret does not let anyone post into any conversation the bot is in, least of all a DM."""
    async with running_bot(cx_with_incident(), SLACK_ALERT_CHANNELS_ALLOWED="C0OPS") as bot:
        status, reason = await refused(bot, raw(channel=channel))
        assert status == 403 and "SLACK_ALERT_CHANNELS_ALLOWED" in reason


async def test_resolve_notifications_may_not_name_other_channels_either() -> None:
    """The allow-list holds for every notification, a resolve included."""
    async with running_bot(cx_with_incident()) as bot:
        status, _ = await refused(bot, raw(channel="C0ELSEWHERE", alert_action="resolved"))
        assert status == 403


@pytest.mark.parametrize("channel", ["C0OPS", "G0SEC"])
async def test_allowed_channels_are_posted_to(channel: str) -> None:
    """A channel listed in SLACK_ALERT_CHANNELS_ALLOWED (public or private) gets the alert message."""
    async with running_bot(cx_with_incident(), SLACK_ALERT_CHANNELS_ALLOWED="C0OPS, G0SEC") as bot:
        status, _ = await bot.webhook(notification(channel=channel))
        assert status == 202
        await settled(bot)
        assert [c.params["channel"] for c in bot.slack.called("chat.postMessage")] == [channel]


async def test_only_allowed_channels_without_a_default_still_work() -> None:
    """No SLACK_ALERT_CHANNEL, but an allow-list: notifications naming an allowed channel go through."""
    async with running_bot(cx_with_incident(), SLACK_ALERT_CHANNEL=None, SLACK_ALERT_CHANNELS_ALLOWED="C0OPS") as bot:
        status, _ = await bot.webhook(notification(channel="C0OPS"))
        assert status == 202
