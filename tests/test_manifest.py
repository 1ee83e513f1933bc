"""manifest.yml against Slack's official schema, and against what the app really handles."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft7Validator

from bot.ids import BOT_SCOPES, ActionId, CallbackId, Command, EventType
from bot.server import SLACK_EVENTS_PATH
from tests.conftest import MANIFEST_SCHEMA, ROOT
from tests.e2e.harness import running_bot, sign


def load_manifest() -> dict[str, Any]:
    """The parsed manifest.yml."""
    manifest: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return manifest


def test_manifest_validates_against_slack_schema() -> None:
    """manifest.yml has no error under Slack's draft-07 manifest schema."""
    schema = json.loads(MANIFEST_SCHEMA.read_text())
    errors = [f"{list(e.path)}: {e.message}" for e in Draft7Validator(schema).iter_errors(load_manifest())]
    assert errors == []


def test_manifest_declares_exactly_the_scopes_the_bot_needs() -> None:
    """The bot scopes are the ones in bot/ids.py, nothing more (doctor checks the same set)."""
    assert set(load_manifest()["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES


def test_manifest_urls_point_at_the_slack_events_route() -> None:
    """Every request URL ends in the route the server serves, and interactivity is on."""
    manifest = load_manifest()
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls.append(manifest["settings"]["interactivity"]["request_url"])
    urls.append(manifest["settings"]["interactivity"]["message_menu_options_url"])
    urls.append(manifest["settings"]["event_subscriptions"]["request_url"])
    assert all(u.endswith(SLACK_EVENTS_PATH) for u in urls)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_procfile_matches_manifest_mode() -> None:
    """The Procfile runs a web process, as the manifest's HTTP mode (socket_mode_enabled false) needs."""
    procfile = (ROOT / "Procfile").read_text()
    assert re.search(r"^web: python -m bot$", procfile, re.M)
    assert load_manifest()["settings"]["socket_mode_enabled"] is False


def test_procfile_migrates_in_the_release_phase() -> None:
    """Heroku's release phase runs the migrations once per deploy, before new dynos start."""
    procfile = (ROOT / "Procfile").read_text()
    assert re.search(r"^release: python -m bot migrate$", procfile, re.M)


def test_home_tab_and_dm_tab_are_on() -> None:
    """App Home is enabled (issue: declare the Home tab), and the Messages tab takes the bot's DM fallbacks."""
    app_home = load_manifest()["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
    assert app_home["messages_tab_enabled"] is True


def test_commands_have_usage_hints() -> None:
    """Every declared command has a usage hint and is a Command of bot/ids.py."""
    for command in load_manifest()["features"]["slash_commands"]:
        assert command["usage_hint"]
        assert command["command"] in {c.value for c in Command}


async def test_every_declared_command_is_handled() -> None:
    """Each command of the manifest, sent signed into the running app, is handled (not Bolt's 404)."""
    async with running_bot() as bot:
        for command in load_manifest()["features"]["slash_commands"]:
            body = bot.command_body("help").replace("%2Fresolve-incident", quote(command["command"], safe=""))
            status, text = await bot.post(body, sign(body))
            assert status == 200, (command["command"], text)
            assert command["command"] in text


def test_env_example_lists_every_setting() -> None:
    """.env.example names every variable the settings read."""
    from bot.settings import FIELD_NAMES

    names = set(re.findall(r"^([A-Z_]+)=", Path(ROOT / ".env.example").read_text(), re.M))
    assert names == set(FIELD_NAMES)


async def test_every_declared_shortcut_event_and_action_is_handled() -> None:
    """Each shortcut and event of the manifest, and each action id the bot renders, reaches a listener (no 404)."""
    manifest = load_manifest()
    assert {s["callback_id"] for s in manifest["features"]["shortcuts"]} <= {c.value for c in CallbackId}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {e.value for e in EventType}
    async with running_bot() as bot:
        for shortcut in manifest["features"]["shortcuts"]:
            status, _ = await bot.interactive(
                {
                    "type": "message_action",
                    "callback_id": shortcut["callback_id"],
                    "trigger_id": "1.2.t",
                    "user": {"id": "U1"},
                    "team": {"id": "T111"},
                    "channel": {"id": "C1"},
                    "message": {"type": "message", "ts": "1.000001", "text": "no ids"},
                    "response_url": "http://x",
                }
            )
            assert status == 200, shortcut
        for n, event in enumerate(manifest["settings"]["event_subscriptions"]["bot_events"]):
            status, _ = await bot.event(
                {
                    "type": event,
                    "user": "U1",
                    "channel": "C1",
                    "text": "<@UBOT0001>",
                    "ts": "1.000002",
                    "event_ts": "1.000002",
                    "tab": "home",
                },
                event_id=f"EvM{n}",
            )
            assert status == 200, event
        modal = {
            "id": "V1",
            "type": "modal",
            "callback_id": CallbackId.PICKER_MODAL.value,
            "private_metadata": '{"channel": "C1", "severity": ""}',
        }
        for action in ActionId:
            if action in (ActionId.PICKER_PICKED, ActionId.PICKER_SEARCH, ActionId.SHORTCUT_PICKED, ActionId.NOTE):
                continue  # inputs inside a modal: read on submit, never dispatched on their own
            in_modal = action.value.startswith("picker_")
            status, _ = await bot.click(
                action.value,
                ts="1.000003",
                view=modal if in_modal else None,
                selected="all" if action is ActionId.PICKER_SEVERITY else None,
            )
            assert status == 200, action
