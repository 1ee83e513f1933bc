"""Tests for `bot.doctor`: read-only checks against the fake Slack on loopback and the fake Coralogix's transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.check import Check
from bot.doctor import check_coralogix, check_database, check_slack, check_webhook, run_doctor
from bot.doctor_cases import PROBE_ID
from bot.ids import BOT_SCOPES
from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.coralogix import API_KEY, FakeCoralogix
from tests.fakes.server import free_port, serving
from tests.fakes.slack import VALID_TOKEN, FakeSlack

ALL_SCOPES = ",".join(sorted(BOT_SCOPES))
APP_TOKEN = "xapp-1-test"
LEGACY_LIST = "/mgmt/openapi/v1/incidents"
V5_LIST = "/mgmt/openapi/5/incidents/incidents/v1"
V4_LIST = "/mgmt/openapi/4/incidents/incidents/v1"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack on 127.0.0.1, granting every scope the bot needs; tests adjust it before the doctor runs."""
    slack = FakeSlack(scopes=ALL_SCOPES, app_token=APP_TOKEN)
    async with serving(slack):
        yield slack


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> AsyncWebClient:
    """An AsyncWebClient with the bot token, pointed at the fake Slack."""
    return AsyncWebClient(token=VALID_TOKEN, base_url=fake_slack.api_url)


@pytest.fixture
def coralogix() -> FakeCoralogix:
    """A Coralogix with no incidents, answering every path family."""
    return FakeCoralogix()


def seen(coralogix: FakeCoralogix) -> list[tuple[str, str]]:
    """(method, path) of every request, in order."""
    return [(c.method, c.path) for c in coralogix.calls]


async def doctor(settings: Settings, slack_client: AsyncWebClient, coralogix: FakeCoralogix) -> tuple[int, list[str]]:
    """Run the doctor; its exit status and printed lines."""
    lines: list[str] = []
    status = await run_doctor(settings, slack_client, transport=coralogix.transport(), echo=lines.append)
    return status, lines


def failures(lines: list[str]) -> list[str]:
    """The ✘ lines."""
    return [line for line in lines if line.startswith("✘")]


# -- whole report ---------------------------------------------------------------------------------


async def test_all_good(slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix) -> None:
    """When Slack and Coralogix both answer, every line is ✔ and the exit status is 0."""
    status, lines = await doctor(make_settings(), slack_client, coralogix)
    assert status == 0
    assert lines
    assert all(line.startswith("✔ ") for line in lines), lines
    report = "\n".join(lines)
    assert "HTTP mode on port 3000" in report
    assert "@coralogix-incidents" in report
    assert "Test Team" in report
    assert "path families answering: lts, 5" in report


async def test_only_read_only_calls(
    slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix
) -> None:
    """On Slack only auth.test and bots.info (the app id) are called; on Coralogix one-item list POSTs, and the
    Cases permission probes, which act only on a case id that cannot exist."""
    await doctor(make_settings(), slack_client, coralogix)
    assert [c.method for c in fake_slack.calls] == ["auth.test", "auth.test", "bots.info"]
    assert {c.headers.get("Authorization") for c in fake_slack.calls} == {f"Bearer {VALID_TOKEN}"}
    assert seen(coralogix)[:2] == [("POST", LEGACY_LIST), ("POST", V5_LIST)]
    lists = [c for c in coralogix.calls if c.operation in ("list", "case_list")]
    probes = [c for c in coralogix.calls if c.operation not in ("list", "case_list")]
    for request in (c.request for c in lists):
        assert json.loads(request.content)["pagination"] == {"pageSize": 1}
    assert [c.operation for c in probes] == ["case_close_one", "case_acknowledge", "case_comment"]
    assert all(c.ids == [PROBE_ID] for c in probes)
    for request in (c.request for c in coralogix.calls):
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        assert "resolve" not in request.url.path


async def test_secrets_not_printed(slack_client: AsyncWebClient, coralogix: FakeCoralogix) -> None:
    """Neither the Slack token nor the Coralogix key appears in the report, even when checks fail."""
    coralogix.path_statuses = {LEGACY_LIST: 401, V5_LIST: 401}
    _, lines = await doctor(make_settings(), slack_client, coralogix)
    report = "\n".join(lines)
    assert VALID_TOKEN not in report
    assert API_KEY not in report


async def test_socket_mode_reported(slack_client: AsyncWebClient, coralogix: FakeCoralogix) -> None:
    """The first line says the settings are valid and which mode and region are in use."""
    settings = make_settings(SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN=APP_TOKEN, CORALOGIX_REGION="EU2")
    _, lines = await doctor(settings, slack_client, coralogix)
    assert lines[0] == "✔ Settings are valid (Socket Mode, region EU2)"


# -- Slack ------------------------------------------------------------------------------------------


async def test_invalid_auth(fake_slack: FakeSlack, coralogix: FakeCoralogix) -> None:
    """A rejected token gives a ✘ line naming SLACK_BOT_TOKEN and exit status 1."""
    revoked = AsyncWebClient(token="xoxb-revoked-token", base_url=fake_slack.api_url)
    status, lines = await doctor(make_settings(), revoked, coralogix)
    assert status == 1
    [failed] = failures(lines)
    assert "invalid_auth" in failed
    assert "SLACK_BOT_TOKEN" in failed


@pytest.mark.parametrize("missing", sorted(BOT_SCOPES))
async def test_missing_scope(
    slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix, missing: str
) -> None:
    """A granted scope list lacking a needed scope gives a ✘ line naming it."""
    fake_slack.scopes = ",".join(sorted(BOT_SCOPES - {missing}))
    status, lines = await doctor(make_settings(), slack_client, coralogix)
    assert status == 1
    [failed] = failures(lines)
    assert missing in failed
    assert "manifest.yml" in failed


async def test_scopes_header_any_case(slack_client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """The scopes header is read case-insensitively, with spaces around the commas."""
    fake_slack.scopes_header = "X-OAuth-Scopes"
    fake_slack.scopes = " , ".join(sorted(BOT_SCOPES))
    checks = await check_slack(slack_client)
    assert all(c.ok for c in checks), checks


async def test_no_scopes_reported(slack_client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    """When Slack sends no scopes header the check fails rather than passing silently."""
    fake_slack.scopes = None
    checks = await check_slack(slack_client)
    assert [c.ok for c in checks] == [True, False]
    assert "scopes" in checks[1].text


async def test_slack_unreachable() -> None:
    """A Slack URL nobody listens on gives a ✘ line naming SLACK_API_URL."""
    client = AsyncWebClient(token=VALID_TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/", retry_handlers=[])
    [check] = await check_slack(client)
    assert not check.ok
    assert "SLACK_API_URL" in check.text


# -- Coralogix --------------------------------------------------------------------------------------


async def test_coralogix_401(slack_client: AsyncWebClient, coralogix: FakeCoralogix) -> None:
    """A refused API key gives ✘ lines naming CORALOGIX_API_KEY and exit status 1."""
    coralogix.path_statuses = {LEGACY_LIST: 401, V5_LIST: 401}
    status, lines = await doctor(make_settings(), slack_client, coralogix)
    assert status == 1
    failed = failures(lines)
    assert len(failed) == 2
    assert "401" in failed[0]
    assert "CORALOGIX_API_KEY" in failed[0]
    assert "neither `lts` nor `5` answers" in failed[1]


async def test_lts_404_but_5_answers(coralogix: FakeCoralogix) -> None:
    """When the configured lts family 404s but 5 answers, the report says 5 is the family that answers."""
    coralogix.path_statuses = {LEGACY_LIST: 404}
    checks = await check_coralogix(make_settings(), coralogix.transport())
    assert [c.ok for c in checks] == [False, True]
    assert "CORALOGIX_API_VERSION=lts" in checks[0].text
    assert "404" in checks[0].text
    assert checks[1].text.endswith("path families answering: 5")
    assert seen(coralogix) == [("POST", LEGACY_LIST), ("POST", V5_LIST)]


async def test_v5_configured_and_lts_missing(coralogix: FakeCoralogix) -> None:
    """With CORALOGIX_API_VERSION=5 the configured family is probed once and lts's 404 is only informative."""
    coralogix.path_statuses = {LEGACY_LIST: 404}
    checks = await check_coralogix(make_settings(CORALOGIX_API_VERSION="5"), coralogix.transport())
    assert all(c.ok for c in checks), checks
    assert "CORALOGIX_API_VERSION=5" in checks[0].text
    assert checks[1].text.endswith("path families answering: 5")
    assert seen(coralogix) == [("POST", V5_LIST), ("POST", LEGACY_LIST)]


async def test_v4_configured(coralogix: FakeCoralogix) -> None:
    """With CORALOGIX_API_VERSION=4 its own paths are probed, then lts and 5 for the report."""
    checks = await check_coralogix(make_settings(CORALOGIX_API_VERSION="4"), coralogix.transport())
    assert all(c.ok for c in checks), checks
    assert seen(coralogix) == [("POST", V4_LIST), ("POST", LEGACY_LIST), ("POST", V5_LIST)]


async def test_coralogix_host_from_settings(coralogix: FakeCoralogix) -> None:
    """The doctor calls the host the settings name, and says so."""
    checks = await check_coralogix(make_settings(CORALOGIX_REGION="AP3"), coralogix.transport())
    assert {c.request.url.host for c in coralogix.calls} == {"api.ap3.coralogix.com"}
    assert "https://api.ap3.coralogix.com" in checks[0].text


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("connection refused"), "Could not reach Coralogix"),
        (httpx.ReadTimeout("timed out"), "did not answer"),
    ],
)
async def test_coralogix_unreachable(
    slack_client: AsyncWebClient, coralogix: FakeCoralogix, error: Exception, expected: str
) -> None:
    """Network failures are ✘ lines with the reason, not a crash."""
    coralogix.transport_error = error
    status, lines = await doctor(make_settings(), slack_client, coralogix)
    assert status == 1
    failed = failures(lines)
    assert len(failed) == 2
    assert expected in failed[0]


@pytest.mark.parametrize(("status", "word"), [(403, "incidents:read"), (500, "5xx")])
async def test_coralogix_other_statuses(coralogix: FakeCoralogix, status: int, word: str) -> None:
    """Other refusals are reported with their fix, and each probe is tried once (no retries)."""
    coralogix.path_statuses = {LEGACY_LIST: status, V5_LIST: status}
    checks = await check_coralogix(make_settings(), coralogix.transport())
    assert not checks[0].ok
    assert word in checks[0].text
    assert len(coralogix.calls) == 2


# -- rendering --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ok", "mark"), [(True, "✔"), (False, "✘")])
def test_check_render(ok: bool, mark: str) -> None:
    """A check renders as its mark, a space and its text."""
    assert Check(ok, "text").render() == f"{mark} text"


def test_warning_and_details_render() -> None:
    """A warning passes but is marked `!`; details are lines of their own, indented beneath the check."""
    warning = Check.warn("text")
    assert warning.ok
    assert warning.lines() == ["! text"]
    assert Check(True, "policy", details=("rule 1", "default")).lines() == ["✔ policy", "    rule 1", "    default"]


def test_webhook_off_says_the_route_answers_404() -> None:
    """Without CORALOGIX_WEBHOOK_SECRET, doctor says the webhook answers 404 (fine when alerts are not wanted)."""
    (check,) = check_webhook(make_settings())
    assert check.ok
    assert "404" in check.text


def test_alert_channel_without_webhook_secret_fails() -> None:
    """SLACK_ALERT_CHANNEL without a webhook secret is a setup that can never receive alerts: ✘."""
    (check,) = check_webhook(make_settings(SLACK_ALERT_CHANNEL="C0ALERTS"))
    assert not check.ok
    assert "CORALOGIX_WEBHOOK_SECRET" in check.text


def test_webhook_on_names_the_channel() -> None:
    """With a secret, doctor names the route and the default channel."""
    (check,) = check_webhook(make_settings(CORALOGIX_WEBHOOK_SECRET="s" * 24, SLACK_ALERT_CHANNEL="C0ALERTS"))
    assert check.ok
    assert "C0ALERTS" in check.text
    assert "s" * 24 not in check.text


def test_webhook_on_names_every_allowed_channel() -> None:
    """Channels from SLACK_ALERT_CHANNELS_ALLOWED are listed, so the operator sees where alerts may land."""
    settings = make_settings(CORALOGIX_WEBHOOK_SECRET="s" * 24, SLACK_ALERT_CHANNELS_ALLOWED="C0OPS,G0SEC")
    (check,) = check_webhook(settings)
    assert check.ok
    assert "allowed: C0OPS, G0SEC" in check.text


def test_webhook_on_without_any_channel_fails() -> None:
    """A secret but no channel at all means every notification is refused: ✘, naming what to set."""
    (check,) = check_webhook(make_settings(CORALOGIX_WEBHOOK_SECRET="s" * 24))
    assert not check.ok
    assert "SLACK_ALERT_CHANNEL" in check.text


async def test_database_check_creates_nothing(tmp_path) -> None:
    """A missing SQLite file is reported as created-at-first-start, and doctor does not create it."""
    path = tmp_path / "bot.sqlite3"
    (check,) = await check_database(make_settings(DATABASE_URL=f"sqlite:///{path}"))
    assert check.ok
    assert "first start sets it up" in check.text
    assert not path.exists()


async def test_unreachable_database_fails_with_the_fix() -> None:
    """A PostgreSQL nobody listens on gives ✘ naming DATABASE_URL, and hides the password."""
    settings = make_settings(DATABASE_URL="postgresql://bot:hunter2@127.0.0.1:9/bot")
    (check,) = await check_database(settings)
    assert not check.ok
    assert "DATABASE_URL" in check.text
    assert "hunter2" not in check.text


# -- Socket Mode, timeouts, streaming --------------------------------------------------------------


@pytest.mark.parametrize(("token", "ok"), [(APP_TOKEN, True), ("xapp-1-revoked", False)])
async def test_app_token_is_checked_in_socket_mode(
    slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix, token: str, ok: bool
) -> None:
    """With SLACK_APP_TOKEN set, apps.connections.open is asked once and its answer is one ✔ or ✘ line."""
    settings = make_settings(SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN=token)
    status, lines = await doctor(settings, slack_client, coralogix)
    assert len(fake_slack.called("apps.connections.open")) == 1
    (line,) = [line for line in lines if "SLACK_APP_TOKEN" in line]
    assert line.startswith("✔" if ok else "✘")
    assert token not in "\n".join(lines)
    assert (status == 0) is ok


async def test_app_token_not_checked_in_http_mode(
    slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix
) -> None:
    """Without SLACK_APP_TOKEN, Socket Mode is not checked at all."""
    await doctor(make_settings(), slack_client, coralogix)
    assert not fake_slack.called("apps.connections.open")


async def test_a_hanging_check_is_named_and_the_others_still_run(
    slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix
) -> None:
    """A Slack that never answers costs at most the check timeout; its line says so, and Coralogix is still checked."""
    fake_slack.delay = 30
    lines: list[str] = []
    status = await run_doctor(
        make_settings(), slack_client, transport=coralogix.transport(), echo=lines.append, check_timeout=0.2
    )
    assert status == 1
    assert "✘ The Slack check timed out after 0.2 s: check the network and settings" in lines
    assert any("Coralogix: list call works" in line for line in lines)


async def test_each_line_is_printed_as_its_check_ends(
    slack_client: AsyncWebClient, fake_slack: FakeSlack, coralogix: FakeCoralogix
) -> None:
    """The settings line is out before the slow Slack check answers."""
    fake_slack.delay = 0.3
    printed: list[tuple[float, str]] = []
    loop = asyncio.get_running_loop()
    await run_doctor(
        make_settings(),
        slack_client,
        transport=coralogix.transport(),
        echo=lambda line: printed.append((loop.time(), line)),
    )
    settings_at = next(t for t, line in printed if "Settings are valid" in line)
    slack_at = next(t for t, line in printed if "token works" in line)
    assert slack_at - settings_at >= 0.25
