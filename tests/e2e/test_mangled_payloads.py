"""Every listener, fed mangled payloads through the running bot: never a 5xx, never a traceback in the log.

Hypothesis takes a well-formed request of each kind (the command, a click on every action id in
`bot.ids`, the shortcut, both modal submissions, the options request, app_mention and
app_home_opened), then deletes fields or puts junk of any type in their place, anywhere in it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ids import ActionId, BlockId, CallbackId, EventType
from tests.e2e.harness import ALERT_CHANNEL, Harness, running_bot, sign
from tests.e2e.test_picker_home import CRIT, fake_open
from tests.fakes.server import wait_for

USER = {"id": "U0FUZZ", "username": "fuzz"}
# Stands for the fake Slack's response_url, which is known only once it runs.
RESPONSE_URL = "https://response-url.invalid/x"
VIEW = {
    "id": "V0FUZZ",
    "type": "modal",
    "hash": "1.x",
    "private_metadata": json.dumps({"channel": "C0FUZZ", "severity": ""}),
    "state": {
        "values": {
            BlockId.PICKER_INCIDENTS.value: {
                ActionId.PICKER_PICKED.value: {"type": "multi_static_select", "selected_options": [{"value": CRIT}]}
            },
            BlockId.NOTE.value: {ActionId.NOTE.value: {"type": "plain_text_input", "value": "n"}},
        }
    },
}


def click(action_id: str) -> dict[str, Any]:
    """A click on `action_id`, on an alert message in a channel or in the picker modal, as Slack sends it."""
    return {
        "type": "block_actions",
        "user": USER,
        "team": {"id": "T111"},
        "channel": {"id": ALERT_CHANNEL},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": ALERT_CHANNEL},
        "message": {"ts": "1700000000.000001", "text": "alert"},
        "view": VIEW,
        "trigger_id": "1.2.t",
        "response_url": RESPONSE_URL,
        "actions": [
            {"action_id": action_id, "block_id": "b", "value": CRIT, "selected_option": {"value": "all"}},
        ],
    }


INTERACTIVE: dict[str, dict[str, Any]] = {
    **{f"click-{a.value}": click(a.value) for a in ActionId},
    "shortcut": {
        "type": "message_action",
        "callback_id": CallbackId.RESOLVE_IN_MESSAGE.value,
        "user": USER,
        "channel": {"id": "C0FUZZ"},
        "trigger_id": "1.2.t",
        "message": {"ts": "1700000000.000002", "text": f"incident {CRIT}", "attachments": [{"fallback": CRIT}]},
    },
    "picker-submission": {
        "type": "view_submission",
        "user": USER,
        "view": {**VIEW, "callback_id": CallbackId.PICKER_MODAL.value},
    },
    "shortcut-submission": {
        "type": "view_submission",
        "user": USER,
        "view": {
            **VIEW,
            "callback_id": CallbackId.RESOLVE_IN_MESSAGE_MODAL.value,
            "private_metadata": json.dumps({"channel": "C0FUZZ", "thread_ts": "1.2"}),
            "state": {"values": {"incidents": {"selected": {"selected_options": [{"value": CRIT}]}}}},
        },
    },
    "options": {
        "type": "block_suggestion",
        "user": USER,
        "action_id": ActionId.PICKER_SEARCH.value,
        "value": "pay",
        "view": VIEW,
    },
}
EVENTS: dict[str, dict[str, Any]] = {
    "app_mention": {
        "type": "event_callback",
        "event_id": "EvFuzz",
        "event": {
            "type": EventType.APP_MENTION.value,
            "user": "U0FUZZ",
            "text": "<@UBOT0001> status",
            "ts": "1700000000.000003",
            "thread_ts": "1700000000.000001",
            "channel": "C0FUZZ",
            "event_ts": "1700000000.000003",
        },
    },
    "app_home_opened": {
        "type": "event_callback",
        "event_id": "EvFuzzHome",
        "event": {"type": EventType.APP_HOME_OPENED.value, "user": "U0FUZZ", "tab": "home", "channel": "D0FUZZ"},
    },
}
COMMAND = {
    "command": "/resolve-incident",
    "text": CRIT,
    "user_id": "U0FUZZ",
    "channel_id": "C0FUZZ",
    "trigger_id": "1.2.t",
    "team_id": "T111",
    "response_url": RESPONSE_URL,
}

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["", " ", "U1> <!channel>", "{not json", "all", "INCIDENT_SEVERITY_LOW", "javascript:x"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every key and list item inside `value`."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found += [(*path, key), *places(child, (*path, key))]
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += [(*path, index), *places(child, (*path, index))]
    return found


@st.composite
def mangled(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to three fields deleted or replaced by junk of any type."""
    payload = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        options = places(payload)
        if not options:
            break
        *parents, last = draw(st.sampled_from(options))
        holder = payload
        for step in parents:
            holder = holder[step]
        if draw(st.booleans()) and isinstance(holder, dict):
            del holder[last]
        else:
            holder[last] = draw(JUNK)
    return payload


@pytest.fixture
async def bot(caplog: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    """One bot for all the examples of a test, logging at every level."""
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake_open()) as harness:
        yield harness


def bolt_listeners_running() -> bool:
    """Whether any listener Bolt started for a request (it does not track them) is still running."""
    return any("run_ack_function" in t.get_coro().__qualname__ for t in asyncio.all_tasks())  # type: ignore[union-attr]  # tasks here wrap coroutines


async def send(bot: Harness, body: str, content_type: str, caplog: pytest.LogCaptureFixture) -> None:
    """Send a signed request, let everything it started finish, and check the answer and the log."""
    caplog.clear()
    status, text = await bot.post(body, sign(body), content_type)
    await wait_for(lambda: not bolt_listeners_running(), what="Bolt to finish")
    await bot.settle()
    assert status < 500, text
    assert [(r.name, r.getMessage()) for r in caplog.records if r.exc_info] == []


EXAMPLES = settings(
    max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def answering(bot: Harness, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with its response_url (wherever the mangling left it) pointing at the fake Slack."""
    return dict(json.loads(json.dumps(payload).replace(RESPONSE_URL, bot.slack.response_url)))


@pytest.mark.parametrize("kind", sorted(INTERACTIVE))
@EXAMPLES
@given(data=st.data())
async def test_mangled_interactivity(bot: Harness, caplog: pytest.LogCaptureFixture, kind: str, data: Any) -> None:
    """Clicks on every action id, the shortcut, both submissions and the options request, mangled anywhere."""
    payload = answering(bot, data.draw(mangled(INTERACTIVE[kind])))
    await send(bot, "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded", caplog)


@pytest.mark.parametrize("kind", sorted(EVENTS))
@EXAMPLES
@given(data=st.data())
async def test_mangled_events(bot: Harness, caplog: pytest.LogCaptureFixture, kind: str, data: Any) -> None:
    """app_mention and app_home_opened, mangled anywhere."""
    await send(bot, json.dumps(data.draw(mangled(EVENTS[kind]))), "application/json", caplog)


@EXAMPLES
@given(fields=mangled(COMMAND))
async def test_mangled_command(bot: Harness, caplog: pytest.LogCaptureFixture, fields: dict[str, Any]) -> None:
    """/resolve-incident with fields missing or replaced by any text (a form holds only strings)."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in answering(bot, fields).items()}
    await send(bot, urlencode(form), "application/x-www-form-urlencoded", caplog)
