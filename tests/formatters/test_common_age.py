"""Tests for `bot.formatters.common.age`: how long ago, compactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.formatters.common import age

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=1), "1s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(seconds=59, milliseconds=999), "59s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=1, seconds=59), "1m"),
        (timedelta(minutes=59), "59m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=1), "1h 00m"),
        (timedelta(hours=1, minutes=5), "1h 05m"),
        (timedelta(hours=3, minutes=5), "3h 05m"),
        (timedelta(hours=23, minutes=59), "23h 59m"),
        (timedelta(hours=23, minutes=59, seconds=59), "23h 59m"),
        (timedelta(days=1), "1d 0h"),
        (timedelta(days=1, hours=23, minutes=59), "1d 23h"),
        (timedelta(days=2, hours=4), "2d 4h"),
        (timedelta(days=400, hours=1), "400d 1h"),
    ],
)
def test_age(elapsed: timedelta, expected: str) -> None:
    """Seconds under a minute, minutes under an hour, hours and minutes under a day, then days and hours."""
    assert age(NOW - elapsed, NOW) == expected


@pytest.mark.parametrize("ahead", [timedelta(milliseconds=1), timedelta(seconds=30), timedelta(days=3)])
def test_future_times_clamp_to_zero(ahead: timedelta) -> None:
    """A start after `now` (clock skew) reads as 0s, never negative."""
    assert age(NOW + ahead, NOW) == "0s"


def test_unknown_start() -> None:
    """No start time reads as `?`."""
    assert age(None, NOW) == "?"


def test_other_time_zones() -> None:
    """Aware times in different zones compare by instant."""
    since = (NOW - timedelta(minutes=90)).astimezone(timezone(timedelta(hours=2)))
    assert age(since, NOW) == "1h 30m"
