"""`python -m bot doctor`: read-only checks of the configuration, Slack, Coralogix and the database.

One line per check, ✔ or ✘ with the fix (or ! for what works less than it could), printed as each
check finishes; no check takes longer than CHECK_TIMEOUT. Nothing is changed anywhere: Slack gets
`auth.test` (and, with an app token, `apps.connections.open`, which only hands out a socket URL),
`bots.info` for the app id, and lookups of the ids the access policy names (`bot.doctor_policy`);
Coralogix gets one-item list calls of incidents and cases, and the Cases permission probes of
`bot.doctor_cases` (acts on a case id that cannot exist).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ApiError, ApiVersion, CoralogixClient, RetryPolicy
from bot.api.case_ids import Entity
from bot.app import build_slack_client
from bot.check import Check
from bot.doctor_cases import check_cases
from bot.doctor_policy import check_app_id, check_policy_file, check_policy_ids
from bot.ids import BOT_SCOPES
from bot.settings import Settings
from bot.store import Store

# A check that takes longer than this is reported as timed out, and the doctor moves on.
CHECK_TIMEOUT = 10.0


async def check_slack(client: AsyncWebClient) -> list[Check]:
    """auth.test answers, names the bot and team, and the granted scopes cover what the bot needs."""
    try:
        answer = await client.auth_test()
    except SlackApiError as e:
        error = e.response.get("error", "unknown error")
        return [Check(False, f"Slack auth.test failed ({error}): check SLACK_BOT_TOKEN (OAuth & Permissions page)")]
    except Exception as e:  # noqa: BLE001 - any network failure is a failed check, reported as such
        return [Check(False, f"Slack is unreachable ({type(e).__name__}): check SLACK_API_URL and the network")]
    checks = [Check(True, f"Slack: token works for bot @{answer.get('user')} in team {answer.get('team')}")]
    granted = {s.strip() for s in (answer.headers.get("x-oauth-scopes") or "").split(",") if s.strip()}
    missing = sorted(BOT_SCOPES - granted)
    if not granted:
        checks.append(Check(False, "Slack did not report the token's scopes; reinstall the app from manifest.yml"))
    elif missing:
        checks.append(
            Check(
                False,
                f"Slack: missing bot scopes {', '.join(missing)}: add them from manifest.yml and reinstall",
            )
        )
    else:
        checks.append(Check(True, f"Slack: scopes granted ({', '.join(sorted(BOT_SCOPES))})"))
    return checks


async def _probe(settings: Settings, version: ApiVersion, transport: httpx.AsyncBaseTransport | None) -> str | None:
    """None when a one-item list call works on `version`'s paths, else the error message."""
    client = CoralogixClient(
        host=settings.coralogix_host,
        api_key=settings.CORALOGIX_API_KEY,
        version=version,
        retry=RetryPolicy.off(),
        transport=transport,
    )
    try:
        await client.list_incidents(limit=1, page_size=1)
    except ApiError as e:
        return e.message
    finally:
        await client.aclose()
    return None


async def check_coralogix(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> list[Check]:
    """The key works on the configured path family; also say which of `lts` and `5` answer."""
    configured = settings.CORALOGIX_API_VERSION
    where = f"{settings.coralogix_host} (CORALOGIX_API_VERSION={configured.value})"
    error = await _probe(settings, configured, transport)
    checks = [
        Check(True, f"Coralogix: list call works at {where}")
        if error is None
        else Check(False, f"Coralogix: list call failed at {where}: {error}")
    ]
    answering = []
    for version in (ApiVersion.LTS, ApiVersion.V5):
        outcome = error if version is configured else await _probe(settings, version, transport)
        if outcome is None:
            answering.append(version.value)
    if answering:
        checks.append(Check(True, f"Coralogix: path families answering: {', '.join(answering)}"))
    else:
        checks.append(Check(False, "Coralogix: neither `lts` nor `5` answers: check the key, region and network"))
    if settings.CORALOGIX_ENTITY is Entity.CASES:  # incidents are not used: their failures only inform
        unused = " (CORALOGIX_ENTITY=cases: incidents are not used)"
        checks = [c if c.ok else Check.warn(c.text + unused) for c in checks]
    return checks


def check_webhook(settings: Settings) -> list[Check]:
    """Whether alert notifications can come in, and where they would be posted."""
    if settings.CORALOGIX_WEBHOOK_SECRET is None:
        if settings.SLACK_ALERT_CHANNEL:
            return [
                Check(
                    False,
                    "SLACK_ALERT_CHANNEL is set but CORALOGIX_WEBHOOK_SECRET is not: "
                    "POST /coralogix/webhook answers 404, so no alert will arrive",
                )
            ]
        return [
            Check(
                True,
                "Alert webhook off: CORALOGIX_WEBHOOK_SECRET is not set, "
                "so POST /coralogix/webhook answers 404 (set it to receive alerts)",
            )
        ]
    if not settings.alert_channels:
        return [
            Check(
                False,
                "Alert webhook on, but no channel is allowed: every notification is refused; "
                "set SLACK_ALERT_CHANNEL (and SLACK_ALERT_CHANNELS_ALLOWED for more channels)",
            )
        ]
    where = settings.SLACK_ALERT_CHANNEL or "the `channel` each notification names (no SLACK_ALERT_CHANNEL)"
    allowed = ", ".join(sorted(settings.alert_channels))
    return [Check(True, f"Alert webhook on at POST /coralogix/webhook; alerts go to {where}; allowed: {allowed}")]


async def check_socket_mode(settings: Settings, client: AsyncWebClient) -> list[Check]:
    """With SLACK_APP_TOKEN: Slack hands out a Socket Mode URL for it (no connection is made)."""
    if settings.SLACK_APP_TOKEN is None:
        return []
    try:
        await client.apps_connections_open(app_token=settings.SLACK_APP_TOKEN.get_secret_value())
    except SlackApiError as e:
        error = e.response.get("error", "unknown error")
        return [
            Check(
                False,
                f"Slack refused SLACK_APP_TOKEN for Socket Mode ({error}): generate an app-level token with "
                "connections:write (Basic Information → App-Level Tokens) and enable Socket Mode",
            )
        ]
    except Exception as e:  # noqa: BLE001 - any network failure is a failed check, reported as such
        return [Check(False, f"Slack is unreachable for Socket Mode ({type(e).__name__}): check the network")]
    return [Check(True, "Slack: SLACK_APP_TOKEN opens Socket Mode connections")]


async def check_database(settings: Settings) -> list[Check]:
    """The store answers a read-only query (tables are created at the bot's first start, not here)."""
    found = await Store.inspect(settings.DATABASE_URL)
    if found.error:
        return [Check(False, f"{found.error}: check DATABASE_URL")]
    if found.revision is None:
        return [
            Check(
                True, f"Database reachable: {found.url} (empty; `python -m bot migrate` or the first start sets it up)"
            )
        ]
    if found.revision != found.head:
        state = f"at revision {found.revision}, this bot's is {found.head}: run `python -m bot migrate`"
        return [Check(False, f"Database reachable: {found.url}, {state}")]
    return [Check(True, f"Database reachable: {found.url} (schema up to date, revision {found.revision})")]


async def _static(checks: list[Check]) -> list[Check]:
    return checks


async def run_doctor(
    settings: Settings,
    slack_client: AsyncWebClient | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    echo: Callable[[str], None] | None = None,
    check_timeout: float = CHECK_TIMEOUT,
) -> int:
    """Print every check as it finishes; 0 when all passed, 1 otherwise."""
    client = slack_client or build_slack_client(settings)
    echo = echo or functools.partial(print, flush=True)  # flushed: each line shows as its check ends
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {settings.PORT}"
    policy_checks, policy = check_policy_file(settings)
    steps: list[tuple[str, Awaitable[list[Check]]]] = [
        ("settings", _static([Check(True, f"Settings are valid ({mode}, region {settings.CORALOGIX_REGION.value})")])),
        ("Slack", check_slack(client)),
        ("Socket Mode", check_socket_mode(settings, client)),
        ("app id", check_app_id(settings, client)),
        ("access policy", _static(policy_checks)),
        ("access policy ids", check_policy_ids(policy, client) if policy is not None else _static([])),
        ("Coralogix", check_coralogix(settings, transport)),
        ("Coralogix Cases", check_cases(settings, transport)),
        ("alert webhook", _static(check_webhook(settings))),
        ("database", check_database(settings)),
    ]
    ok = True
    for name, step in steps:
        try:
            async with asyncio.timeout(check_timeout):
                checks = await step
        except TimeoutError:
            checks = [
                Check(False, f"The {name} check timed out after {check_timeout:g} s: check the network and settings")
            ]
        for check in checks:
            for line in check.lines():
                echo(line)
            ok = ok and check.ok
    return 0 if ok else 1
