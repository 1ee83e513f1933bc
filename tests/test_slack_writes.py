"""The one Slack writer, against a fake Slack that enforces rate limits: paced posts, coalesced
updates, people first, 429s waited out quietly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import PERSON_WAITING
from bot.slack_writes import Bucket, Priority, SlackWriter, WriteLimits
from tests.fakes.server import serving
from tests.fakes.slack import VALID_TOKEN, FakeSlack, RateLimits

FAST = WriteLimits(post_burst=2, posts_per_second=20, update_burst=2, updates_per_minute=1200)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack on loopback."""
    fake = FakeSlack()
    async with serving(fake):
        yield fake


def writer_for(slack: FakeSlack, limits: WriteLimits = FAST) -> SlackWriter:
    """A writer pointed at the fake, with no 429 handling of the client's own (as the bot builds it)."""
    return SlackWriter(AsyncWebClient(token=VALID_TOKEN, base_url=slack.api_url), limits)


async def test_posts_to_one_channel_are_paced_under_the_limit(slack: FakeSlack) -> None:
    """Twenty posts at once to a channel that takes two at once and 50 a second: all land, none refused."""
    # The writer sends one every 50 ms after its burst; the fake refills every 20 ms, so a post delivered
    # up to 30 ms late on a busy machine (the burst's, arriving close to the next) is still within the limit.
    slack.limits = RateLimits(post_burst=2, posts_per_second=50)
    writer = writer_for(slack)
    await asyncio.gather(*(writer.post("C1", text=f"n{n}") for n in range(20)))
    assert len(slack.called("chat.postMessage")) == 20
    assert slack.rate_limited == []


async def test_channels_are_paced_separately(slack: FakeSlack) -> None:
    """A channel that is busy does not hold back another: its burst is its own."""
    writer = writer_for(slack, WriteLimits(post_burst=1, posts_per_second=0.01))
    await writer.post("C1", text="first")
    waiting = asyncio.create_task(writer.post("C1", text="second"))  # waits ~100 s for its turn
    await asyncio.wait_for(writer.post("C2", text="elsewhere"), 5)
    assert [c.params["channel"] for c in slack.called("chat.postMessage")] == ["C1", "C2"]
    waiting.cancel()


async def test_people_go_before_background_work() -> None:
    """Waiters are served by priority: a person's write that came last is served first."""
    bucket = Bucket(capacity=1, per_second=50)
    await bucket.take()
    served: list[str] = []

    async def wait(name: str, priority: Priority) -> None:
        await bucket.take(priority)
        served.append(name)

    background = [asyncio.create_task(wait(f"bg{n}", Priority.BACKGROUND)) for n in range(3)]
    await asyncio.sleep(0)
    person = asyncio.create_task(wait("person", Priority.USER))
    await asyncio.gather(person, *background)
    assert served[0] == "person" and served[1:] == ["bg0", "bg1", "bg2"]


async def test_updates_of_one_message_are_coalesced(slack: FakeSlack) -> None:
    """Five updates of a message while its turn is not up: one chat.update with the last state, all answered."""
    writer = writer_for(slack, WriteLimits(update_burst=1, updates_per_minute=600))
    await writer.update("C1", "1.1", text="v0")
    updates = [asyncio.create_task(writer.update("C1", "1.1", text=f"v{n}")) for n in range(1, 6)]
    answers = await asyncio.gather(*updates)
    assert [c.params["text"] for c in slack.called("chat.update")] == ["v0", "v5"]
    assert all(a is not None and a["ok"] for a in answers)


async def test_background_updates_leave_room_for_peoples_clicks(slack: FakeSlack) -> None:
    """Background updates wait on their own smaller budget; a person's update of another message goes first."""
    writer = writer_for(slack, WriteLimits(update_burst=10, updates_per_minute=600, background_updates_per_minute=6))
    token = PERSON_WAITING.set(False)
    try:
        background = [asyncio.create_task(writer.update("C1", f"1.{n}", text="storm")) for n in range(4)]
        await asyncio.sleep(0)
    finally:
        PERSON_WAITING.reset(token)
    await asyncio.wait_for(writer.update("C1", "2.1", text="clicked"), 5)  # not behind the 4 background ones
    assert "clicked" in [c.params["text"] for c in slack.called("chat.update")]
    assert len(slack.called("chat.update")) <= 3  # the background budget lets 2 through at once
    for task in background:
        task.cancel()


async def test_a_429_is_waited_out_and_logged_below_warning(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """Slack refuses the third update within its window: the writer waits Retry-After, sends it again, logs INFO."""
    slack.limits = RateLimits(updates_per_minute=2, update_window=1.0)
    writer = writer_for(slack)
    caplog.set_level(logging.DEBUG)
    for n in range(3):
        await writer.update("C1", f"1.{n}", text=f"v{n}")
    assert len(slack.rate_limited) == 1
    assert [c.params["text"] for c in slack.called("chat.update")] == ["v0", "v1", "v2"]
    waited = [r for r in caplog.records if "rate-limited" in r.getMessage()]
    assert waited and all(r.levelno == logging.INFO for r in waited)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
