"""`python -m bot doctor`: read-only checks of the configuration, Slack and Coralogix.

One line per check, ✔ or ✘ with the fix. Nothing is changed anywhere: Slack gets `auth.test`,
Coralogix gets a one-item list call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.api import ApiError, CoralogixClient, RetryPolicy
from bot.ids import BOT_SCOPES
from bot.settings import ApiVersion, Settings
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    ok: bool
    text: str

    def render(self) -> str:
        """`✔ text` or `✘ text`."""
        return f"{'✔' if self.ok else '✘'} {self.text}"


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


async def check_database(settings: Settings) -> list[Check]:
    """The store answers a read-only query (tables are created at the bot's first start, not here)."""
    found = await Store.inspect(settings.DATABASE_URL)
    if found.error:
        return [Check(False, f"Database unreachable ({found.error}): check DATABASE_URL")]
    state = f"schema version {found.version}" if found.version else "empty; tables are created at first start"
    return [Check(True, f"Database reachable at {found.url} ({state})")]


async def run_doctor(
    settings: Settings,
    slack_client: AsyncWebClient,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Print every check; 0 when all passed, 1 otherwise."""
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {settings.PORT}"
    checks = [Check(True, f"Settings are valid ({mode}, region {settings.CORALOGIX_REGION.value})")]
    checks += await check_slack(slack_client)
    checks += await check_coralogix(settings, transport)
    checks += check_webhook(settings)
    checks += await check_database(settings)
    for check in checks:
        echo(check.render())
    return 0 if all(c.ok for c in checks) else 1
