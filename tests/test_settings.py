"""Tests for `bot.settings`: typed configuration from the environment and a `.env` file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.api import ApiVersion
from bot.api.routes import REGION_HOSTS, Region
from bot.app import write_limits
from bot.settings import DEFAULT_DATABASE_URL, Settings, describe_errors, load_database_settings, load_settings
from bot.slack_writes import WriteLimits
from tests.conftest import BASE_SETTINGS

BOT_TOKEN = "xoxb-1111-2222-s3cr3tb0t"
SIGNING_SECRET = "s3cr3t-signing-8f7e6d"
APP_TOKEN = "xapp-1-A111-s3cr3tapp"
API_KEY = "cxtp_s3cr3tc0ral0g1x"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, API_KEY)
VALID = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "CORALOGIX_API_KEY": API_KEY,
}


def errors_of(environ: dict[str, str], env_file: Path | None = None) -> str:
    """The one-message description of why `environ` is not valid."""
    with pytest.raises(ValidationError) as caught:
        load_settings(environ, env_file)
    return describe_errors(caught.value, env_file)


def problem_lines(message: str) -> list[str]:
    """The `  - NAME: problem` lines of a description."""
    return [line for line in message.splitlines() if line.startswith("  - ")]


# -- required values and the error message -------------------------------------------------------


def test_valid_minimal_settings() -> None:
    """The three required values are enough for HTTP mode, with documented defaults for the rest."""
    settings = load_settings(VALID)
    assert settings.SLACK_BOT_TOKEN.get_secret_value() == BOT_TOKEN
    assert settings.CORALOGIX_API_KEY.get_secret_value() == API_KEY
    assert not settings.socket_mode
    assert settings.PORT == 3000
    assert settings.CORALOGIX_REGION is Region.EU1
    assert settings.CORALOGIX_API_VERSION is ApiVersion.LTS
    assert settings.coralogix_host == "https://api.coralogix.com"
    assert settings.SLACK_API_URL == "https://slack.com/api/"
    assert settings.LOG_LEVEL == "INFO"
    assert settings.LOG_FORMAT == "text"


def test_nothing_set_names_every_missing_variable() -> None:
    """With nothing set, the message names the bot token, signing secret and API key, one line each."""
    message = errors_of({})
    lines = problem_lines(message)
    assert len(lines) == 3
    assert any(line.startswith("  - SLACK_BOT_TOKEN: is required") for line in lines)
    assert any(line.startswith("  - SLACK_SIGNING_SECRET: is required in HTTP mode") for line in lines)
    assert any(line.startswith("  - CORALOGIX_API_KEY: is required") for line in lines)
    assert "SLACK_APP_TOKEN" in message  # the Socket Mode alternative is offered


def test_every_problem_reported_together() -> None:
    """Missing tokens and a bad PORT are all reported in one message, not one per attempt."""
    message = errors_of({"SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": "not-a-port"})
    names = [line.split(":")[0].strip(" -") for line in problem_lines(message)]
    assert sorted(names) == ["CORALOGIX_API_KEY", "PORT", "SLACK_BOT_TOKEN"]
    assert message.startswith("Configuration is not valid")


def test_mode_problem_reported_with_field_problems() -> None:
    """A missing signing secret is reported alongside other field problems, not after they are fixed."""
    message = errors_of({"SLACK_BOT_TOKEN": "xoxp-user-token", "CORALOGIX_API_KEY": API_KEY, "PORT": "0"})
    names = sorted(line.split(":")[0].strip(" -") for line in problem_lines(message))
    assert names == ["PORT", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]


def test_errors_never_include_secret_values() -> None:
    """Invalid values of secret variables are never echoed in the message."""
    environ = {
        "SLACK_BOT_TOKEN": "xoxp-user-s3cr3t-value",
        "SLACK_APP_TOKEN": "xoxb-s3cr3t-in-wrong-place",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CORALOGIX_API_KEY": API_KEY,
        "CORALOGIX_REGION": "mars-s3cr3t",
        "PORT": "s3cr3t",
    }
    message = errors_of(environ)
    assert "s3cr3t" not in message
    names = sorted(line.split(":")[0].strip(" -") for line in problem_lines(message))
    assert names == ["CORALOGIX_REGION", "PORT", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"]


def test_errors_name_the_env_file(tmp_path: Path) -> None:
    """When a .env file is in use, the message says to fix things there too."""
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=abc\n")
    message = errors_of({}, env_file)
    assert str(env_file) in message


@pytest.mark.parametrize("token", ["xoxp-user-token", "xapp-1-app", "not-a-token", "XOXB-upper"])
def test_bot_token_must_be_a_bot_token(token: str) -> None:
    """SLACK_BOT_TOKEN must start with xoxb-."""
    message = errors_of({**VALID, "SLACK_BOT_TOKEN": token})
    assert "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-" in message


def test_app_token_must_be_an_app_token() -> None:
    """SLACK_APP_TOKEN, when set, must start with xapp-; the signing secret is not blamed for it."""
    message = errors_of({"SLACK_BOT_TOKEN": BOT_TOKEN, "CORALOGIX_API_KEY": API_KEY, "SLACK_APP_TOKEN": "xoxb-x"})
    assert [line.split(":")[0].strip(" -") for line in problem_lines(message)] == ["SLACK_APP_TOKEN"]
    assert "xapp-" in message


# -- HTTP mode vs Socket Mode ---------------------------------------------------------------------


def test_signing_secret_required_in_http_mode() -> None:
    """Without an app token the signing secret is required."""
    message = errors_of({"SLACK_BOT_TOKEN": BOT_TOKEN, "CORALOGIX_API_KEY": API_KEY})
    assert "SLACK_SIGNING_SECRET" in message
    assert "SLACK_APP_TOKEN" in message


def test_socket_mode_needs_no_signing_secret() -> None:
    """With an app token the signing secret may be left out, and Socket Mode is on."""
    settings = load_settings({"SLACK_BOT_TOKEN": BOT_TOKEN, "CORALOGIX_API_KEY": API_KEY, "SLACK_APP_TOKEN": APP_TOKEN})
    assert settings.socket_mode
    assert settings.SLACK_SIGNING_SECRET is None


# -- Coralogix host and path family ---------------------------------------------------------------

EXPECTED_HOSTS = {
    "EU1": "https://api.coralogix.com",
    "EU2": "https://api.eu2.coralogix.com",
    "US1": "https://api.coralogix.us",
    "US2": "https://api.cx498.coralogix.com",
    "US3": "https://api.us3.coralogix.com",
    "AP1": "https://api.coralogix.in",
    "AP2": "https://api.coralogixsg.com",
    "AP3": "https://api.ap3.coralogix.com",
}


def test_every_region_has_a_host() -> None:
    """All eight regions map to a host."""
    assert {r.value for r in Region} == set(EXPECTED_HOSTS)
    assert {r.value: h for r, h in REGION_HOSTS.items()} == EXPECTED_HOSTS


@pytest.mark.parametrize(("region", "host"), sorted(EXPECTED_HOSTS.items()))
@pytest.mark.parametrize("spelling", [str.upper, str.lower, lambda s: f"  {s.capitalize()} "])
def test_region_to_host(region: str, host: str, spelling: Callable[[str], str]) -> None:
    """Each region, in any case and with stray spaces, selects its API host."""
    settings = load_settings({**VALID, "CORALOGIX_REGION": spelling(region)})
    assert settings.CORALOGIX_REGION.value == region
    assert settings.coralogix_host == host


@pytest.mark.parametrize("region", ["EU3", "us", "api.coralogix.com"])
def test_unknown_region_rejected(region: str) -> None:
    """An unknown region is a configuration error naming CORALOGIX_REGION."""
    assert "CORALOGIX_REGION" in errors_of({**VALID, "CORALOGIX_REGION": region})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.custom.example", "https://api.custom.example"),
        ("https://api.custom.example/", "https://api.custom.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("  https://api.eu2.coralogix.com  ", "https://api.eu2.coralogix.com"),
    ],
)
def test_api_url_overrides_region(url: str, expected: str) -> None:
    """CORALOGIX_API_URL wins over the region and is normalised to scheme://host[:port]."""
    settings = load_settings({**VALID, "CORALOGIX_REGION": "AP1", "CORALOGIX_API_URL": url})
    assert expected == settings.CORALOGIX_API_URL
    assert settings.coralogix_host == expected


def test_slack_write_limits_default_to_the_writers_own() -> None:
    """Unset, the Slack write settings give the writer the pace it always had (a little under Slack's limits)."""
    assert write_limits(load_settings(VALID)) == WriteLimits()


def test_slack_write_limits_are_read() -> None:
    """SLACK_POSTS_PER_SECOND, SLACK_POST_BURST and SLACK_UPDATES_PER_MINUTE set the writer's pace."""
    environ = {**VALID, "SLACK_POSTS_PER_SECOND": "0.5", "SLACK_POST_BURST": "10", "SLACK_UPDATES_PER_MINUTE": "90"}
    limits = write_limits(load_settings(environ))
    assert (limits.posts_per_second, limits.post_burst) == (0.5, 10)
    assert (limits.updates_per_minute, limits.background_updates_per_minute) == (90, 60)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_POSTS_PER_SECOND", "0"),
        ("SLACK_POSTS_PER_SECOND", "-1"),
        ("SLACK_POSTS_PER_SECOND", "fast"),
        ("SLACK_POST_BURST", "0"),
        ("SLACK_POST_BURST", "1.5"),
        ("SLACK_UPDATES_PER_MINUTE", "0"),
        ("SLACK_UPDATES_PER_MINUTE", "60001"),
    ],
)
def test_slack_write_limits_refused(name: str, value: str) -> None:
    """A pace of zero, a negative or a non-number, or a fractional burst, is a configuration error, named."""
    assert f"  - {name}: " in errors_of({**VALID, name: value})


@pytest.mark.parametrize("value", ["0", "0.1", "301", "often"])
def test_storm_update_interval_outside_half_a_second_to_five_minutes_is_refused(value: str) -> None:
    """STORM_UPDATE_SECONDS below 0.5 (Slack's update limit), above 300 or not a number is refused, named."""
    assert "  - STORM_UPDATE_SECONDS: " in errors_of({**VALID, "STORM_UPDATE_SECONDS": value})


@pytest.mark.parametrize(
    "url",
    [
        "https://api.coralogix.com/mgmt/openapi",
        "https://api.coralogix.com/api/v1/",
        "https://api.coralogix.com?x=1",
        "https://api.coralogix.com#frag",
        "api.coralogix.com",
        "ftp://api.coralogix.com",
        "https://",
    ],
)
def test_api_url_must_be_a_bare_host(url: str) -> None:
    """CORALOGIX_API_URL with a path, query, fragment or without an http(s) scheme is rejected."""
    message = errors_of({**VALID, "CORALOGIX_API_URL": url})
    assert "CORALOGIX_API_URL" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lts", ApiVersion.LTS),
        ("LTS", ApiVersion.LTS),
        ("5", ApiVersion.V5),
        ("4", ApiVersion.V4),
        (" 5 ", ApiVersion.V5),
    ],
)
def test_api_version_accepted(value: str, expected: ApiVersion) -> None:
    """CORALOGIX_API_VERSION accepts lts, 5 and 4."""
    assert load_settings({**VALID, "CORALOGIX_API_VERSION": value}).CORALOGIX_API_VERSION is expected


@pytest.mark.parametrize("value", ["v5", "3", "6", "latest", "v1"])
def test_api_version_rejected(value: str) -> None:
    """Any other CORALOGIX_API_VERSION is a configuration error."""
    assert "CORALOGIX_API_VERSION" in errors_of({**VALID, "CORALOGIX_API_VERSION": value})


# -- other values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://slack.com/api", "https://slack.com/api/"),
        ("https://slack.com/api/", "https://slack.com/api/"),
        ("http://127.0.0.1:9999/api", "http://127.0.0.1:9999/api/"),
    ],
)
def test_slack_api_url_gets_trailing_slash(url: str, expected: str) -> None:
    """SLACK_API_URL always ends in a slash, so slack_sdk appends method names correctly."""
    assert expected == load_settings({**VALID, "SLACK_API_URL": url}).SLACK_API_URL


@pytest.mark.parametrize("url", ["slack.com/api", "ftp://slack.com/api/", "https:///api"])
def test_slack_api_url_must_be_http(url: str) -> None:
    """A SLACK_API_URL that is not an http(s) URL is rejected."""
    assert "SLACK_API_URL" in errors_of({**VALID, "SLACK_API_URL": url})


@pytest.mark.parametrize(("port", "ok"), [("1", True), ("65535", True), ("0", False), ("65536", False), ("x", False)])
def test_port_range(port: str, ok: bool) -> None:
    """PORT must be an integer between 1 and 65535."""
    if ok:
        assert int(port) == load_settings({**VALID, "PORT": port}).PORT
    else:
        assert "PORT" in errors_of({**VALID, "PORT": port})


def test_log_settings_case_insensitive() -> None:
    """LOG_LEVEL and LOG_FORMAT accept any case."""
    settings = load_settings({**VALID, "LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"})
    assert settings.LOG_LEVEL == "DEBUG"
    assert settings.LOG_FORMAT == "json"


def test_unrelated_variables_ignored() -> None:
    """Variables the bot does not know, such as PATH, are ignored, not rejected."""
    settings = load_settings({**VALID, "PATH": "/usr/bin", "slack_bot_token": "xoxp-lowercase-is-not-ours"})
    assert settings.SLACK_BOT_TOKEN.get_secret_value() == BOT_TOKEN


def test_settings_frozen() -> None:
    """Settings cannot be changed after loading."""
    settings = load_settings(VALID)
    with pytest.raises(ValidationError):
        settings.PORT = 1  # type: ignore[misc]  # the point: frozen


def test_shared_test_defaults_are_valid() -> None:
    """The shared test defaults are themselves valid settings."""
    assert isinstance(load_settings(BASE_SETTINGS), Settings)


# -- precedence -------------------------------------------------------------------------------------


def test_environ_beats_env_file_beats_defaults(tmp_path: Path) -> None:
    """A value in the environment wins over the .env file, which wins over the default."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n".join(
            [
                f"SLACK_BOT_TOKEN={BOT_TOKEN}",
                f"SLACK_SIGNING_SECRET={SIGNING_SECRET}",
                f"CORALOGIX_API_KEY={API_KEY}",
                "PORT=4000",
                "CORALOGIX_REGION=EU2",
                "# a comment",
                'LOG_LEVEL="WARNING"',
            ]
        )
        + "\n"
    )
    settings = load_settings({"PORT": "5000", "SLACK_BOT_TOKEN": "xoxb-from-environ"}, env_file)
    assert settings.PORT == 5000  # environment over .env
    assert settings.SLACK_BOT_TOKEN.get_secret_value() == "xoxb-from-environ"
    assert settings.CORALOGIX_REGION is Region.EU2  # .env over default
    assert settings.LOG_LEVEL == "WARNING"
    assert settings.CORALOGIX_API_KEY.get_secret_value() == API_KEY
    assert settings.LOG_FORMAT == "text"  # default


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    """A .env path that does not exist is simply not read."""
    assert load_settings(VALID, tmp_path / "no-such.env").PORT == 3000


def test_env_file_only(tmp_path: Path) -> None:
    """Everything may come from the .env file alone."""
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in VALID.items()))
    assert load_settings({}, env_file).CORALOGIX_API_KEY.get_secret_value() == API_KEY


def test_empty_values_count_as_unset(tmp_path: Path) -> None:
    """Empty values fall through: `PORT=` gives the default and an empty env var does not hide the .env value."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"PORT=\nCORALOGIX_REGION=\nCORALOGIX_API_KEY={API_KEY}\nSLACK_APP_TOKEN=\n")
    environ = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "CORALOGIX_API_KEY": ""}
    settings = load_settings({**environ, "CORALOGIX_API_URL": "", "SLACK_API_URL": ""}, env_file)
    assert settings.PORT == 3000
    assert settings.CORALOGIX_REGION is Region.EU1
    assert settings.CORALOGIX_API_KEY.get_secret_value() == API_KEY
    assert settings.CORALOGIX_API_URL is None
    assert settings.SLACK_APP_TOKEN is None
    assert settings.SLACK_API_URL == "https://slack.com/api/"


def test_empty_required_value_is_missing() -> None:
    """An empty required value is reported as not set."""
    message = errors_of({**VALID, "SLACK_BOT_TOKEN": ""})
    assert "SLACK_BOT_TOKEN: is required but not set" in message


# -- secrets ----------------------------------------------------------------------------------------


def test_secrets_hidden_in_repr_and_str() -> None:
    """No token, secret or key appears in repr() or str() of the settings."""
    settings = load_settings({**VALID, "SLACK_APP_TOKEN": APP_TOKEN})
    for rendered in (repr(settings), str(settings), repr(settings.model_dump())):
        for secret in SECRETS:
            assert secret not in rendered
    assert "**********" in repr(settings)


def test_coralogix_url_with_credentials_is_refused() -> None:
    """CORALOGIX_API_URL may not carry user:password (it is logged and printed by doctor)."""
    with pytest.raises(ValidationError, match="must not carry credentials"):
        load_settings({**VALID, "CORALOGIX_API_URL": "https://user:secret@api.eu2.coralogix.com"})


# -- alert channels, retention, the incident link ------------------------------------------------


@pytest.mark.parametrize("channel", ["C0ALERTS", "G0PRIVATE"])
def test_alert_channel_may_be_public_or_private(channel: str) -> None:
    """SLACK_ALERT_CHANNEL takes a public (C…) or private (G…) channel id."""
    assert channel == load_settings({**VALID, "SLACK_ALERT_CHANNEL": channel}).SLACK_ALERT_CHANNEL


@pytest.mark.parametrize("channel", ["D0DIRECT", "#alerts", "alerts", "c0lower"])
def test_alert_channel_is_never_a_dm_or_a_name(channel: str) -> None:
    """A DM id, a #name or anything else that is not a channel id is rejected, naming the variable."""
    assert "SLACK_ALERT_CHANNEL:" in errors_of({**VALID, "SLACK_ALERT_CHANNEL": channel})


def test_allowed_channels_read_as_a_set_with_the_default_channel() -> None:
    """SLACK_ALERT_CHANNELS_ALLOWED is comma-separated (spaces and empty items ignored); with SLACK_ALERT_CHANNEL
    it makes up every channel a notification may name."""
    settings = load_settings(
        {**VALID, "SLACK_ALERT_CHANNEL": "C0ALERTS", "SLACK_ALERT_CHANNELS_ALLOWED": " C0OPS, G0SEC,,C0OPS "}
    )
    assert {"C0OPS", "G0SEC"} == settings.SLACK_ALERT_CHANNELS_ALLOWED
    assert settings.alert_channels == {"C0ALERTS", "C0OPS", "G0SEC"}
    assert load_settings(VALID).alert_channels == frozenset()


@pytest.mark.parametrize("value", ["C0OPS,D0DM", "C0OPS;C0SEC", "#ops", "C0OPS, general"])
def test_allowed_channels_are_channel_ids_only(value: str) -> None:
    """DMs, #names and other separators are refused, showing which item is wrong."""
    message = errors_of({**VALID, "SLACK_ALERT_CHANNELS_ALLOWED": value})
    assert "SLACK_ALERT_CHANNELS_ALLOWED: must be channel ids" in message


@pytest.mark.parametrize(("value", "days"), [(None, 90), ("1", 1), ("365", 365)])
def test_retention_days(value: str | None, days: int) -> None:
    """RETENTION_DAYS defaults to 90 and takes any whole number of days from 1."""
    environ = VALID if value is None else {**VALID, "RETENTION_DAYS": value}
    assert days == load_settings(environ).RETENTION_DAYS


@pytest.mark.parametrize("value", ["0", "-5", "ninety", "1.5"])
def test_retention_days_refused(value: str) -> None:
    """Zero, negative or non-integer retention is a configuration error."""
    assert "RETENTION_DAYS" in errors_of({**VALID, "RETENTION_DAYS": value})


@pytest.mark.parametrize(("value", "days"), [(None, 400), ("1", 1), ("36500", 36500)])
def test_audit_retention_days(value: str | None, days: int) -> None:
    """AUDIT_RETENTION_DAYS defaults to 400 and takes whole numbers of days from 1 to 36500."""
    environ = VALID if value is None else {**VALID, "AUDIT_RETENTION_DAYS": value}
    assert days == load_settings(environ).AUDIT_RETENTION_DAYS


@pytest.mark.parametrize("value", ["0", "36501", "a year", "1.5"])
def test_audit_retention_days_refused(value: str) -> None:
    """Zero, more than a century or non-integer audit retention is a configuration error, named as such."""
    assert "  - AUDIT_RETENTION_DAYS: " in errors_of({**VALID, "AUDIT_RETENTION_DAYS": value})


@pytest.mark.parametrize(
    "url",
    [
        "https://t.coralogix.com/#/incidents/{id} ",
        "https://t.coralogix.com/#/incidents/ {id}",
        "https://t.coralogix.com/<{id}>",
        "https://t.coralogix.com/{id}|x",
        "javascript:alert('{id}')",
    ],
)
def test_incident_url_must_be_a_link_slack_accepts(url: str) -> None:
    """CORALOGIX_INCIDENT_URL passes the same check as every link in Block Kit, at start."""
    assert "CORALOGIX_INCIDENT_URL" in errors_of({**VALID, "CORALOGIX_INCIDENT_URL": url})


def test_incident_url_fills_in_the_id() -> None:
    """A valid template gives the incident's link."""
    settings = load_settings({**VALID, "CORALOGIX_INCIDENT_URL": "https://t.coralogix.com/#/incidents/{id}"})
    assert settings.incident_url("abc") == "https://t.coralogix.com/#/incidents/abc"


def test_database_settings_need_nothing_but_database_url() -> None:
    """Commands that only read the database load DATABASE_URL alone: no Slack or Coralogix variable is
    required, other variables (even invalid ones) are not looked at, and the default is the bot's."""
    assert (
        load_database_settings({}).DATABASE_URL == DEFAULT_DATABASE_URL == Settings.model_fields["DATABASE_URL"].default
    )
    loaded = load_database_settings({"DATABASE_URL": "postgres://u:p@db:5432/bot", "PORT": "nope"})
    assert loaded.DATABASE_URL == "postgresql+asyncpg://u:p@db:5432/bot"


def test_database_settings_read_the_env_file_below_the_environment(tmp_path: Path) -> None:
    """DATABASE_URL comes from the environment over the .env file, as for the full settings."""
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite:///from-file.sqlite3\nSLACK_BOT_TOKEN=not-checked\n")
    assert load_database_settings({}, env_file).DATABASE_URL == "sqlite+aiosqlite:///from-file.sqlite3"
    environ = {"DATABASE_URL": "sqlite:///from-env.sqlite3"}
    assert load_database_settings(environ, env_file).DATABASE_URL == "sqlite+aiosqlite:///from-env.sqlite3"


def test_database_settings_refuse_what_the_full_settings_refuse() -> None:
    """A DATABASE_URL the bot could not use is the same configuration error, described the same way."""
    with pytest.raises(ValidationError) as error:
        load_database_settings({"DATABASE_URL": "mysql://u:s3cr3t@db/bot"})
    message = describe_errors(error.value)
    assert "  - DATABASE_URL: must be an sqlite:// or postgres(ql):// URL" in message
    assert "s3cr3t" not in message
