"""Logging: JSON lines carry the request context and the error id as fields; text stays one line per record."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.api import ApiError
from bot.errors import record_failure
from bot.log import bind_context, configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What was written to stdout, line by line."""
    return capsys.readouterr().out.strip().splitlines()


def test_json_records_carry_context_and_error_id_as_fields(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """A failure logged inside a request context is one JSON object with user, surface, incident ids, error id."""
    configure_logging("INFO", "json")
    with bind_context(user="U0ONCALL", surface="command", incident_ids=["id-1", "id-2"], channel=None):
        error_id = record_failure(logging.getLogger("bot.test"), "resolve failed", ApiError("Coralogix said no"))
    (line,) = lines(capsys)
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["error_id"] == error_id
    assert entry["user"] == "U0ONCALL"
    assert entry["surface"] == "command"
    assert entry["incident_ids"] == ["id-1", "id-2"]
    assert "channel" not in entry
    assert "Coralogix said no" in entry["message"]
    assert entry["logger"] == "bot.test"


def test_unexpected_failures_keep_their_traceback_in_one_json_object(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """An unexpected error is logged at ERROR with its traceback inside the same JSON object."""
    configure_logging("INFO", "json")
    try:
        raise KeyError("surprise")
    except KeyError as e:
        error_id = record_failure(logging.getLogger("bot.test"), "listener failed", e)
    (line,) = lines(capsys)
    entry = json.loads(line)
    assert entry["level"] == "error"
    assert entry["error_id"] == error_id
    assert entry["exception"][0]["exc_type"] == "KeyError"


def test_context_ends_with_the_block(capsys: pytest.CaptureFixture[str], restore_logging: None) -> None:
    """Fields bound for a block are gone after it."""
    configure_logging("INFO", "json")
    log = logging.getLogger("bot.test")
    with bind_context(user="U0ONCALL"):
        log.info("inside")
    log.info("outside")
    inside, outside = (json.loads(line) for line in lines(capsys))
    assert inside["user"] == "U0ONCALL"
    assert "user" not in outside


def test_text_format_is_one_line_with_fields(capsys: pytest.CaptureFixture[str], restore_logging: None) -> None:
    """LOG_FORMAT=text writes one readable line per record, with the context fields on it."""
    configure_logging("INFO", "text")
    with bind_context(surface="button"):
        error_id = record_failure(logging.getLogger("bot.test"), "click failed", "Coralogix timed out")
    (line,) = lines(capsys)
    assert "click failed: Coralogix timed out" in line
    assert f"error_id={error_id}" in line
    assert "surface=button" in line


def test_debug_level_is_quiet_about_library_chatter_unless_asked(restore_logging: None) -> None:
    """At INFO, httpx, slack_sdk's Web API client and Alembic log only warnings; at DEBUG everything."""
    configure_logging("INFO", "text")
    assert logging.getLogger("alembic").getEffectiveLevel() == logging.WARNING
    configure_logging("DEBUG", "text")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.INFO


def test_slack_sdk_clients_build_no_debug_text_that_would_be_dropped(restore_logging: None) -> None:
    """slack_sdk formats a debug line per call when its client logger's own level allows DEBUG: at INFO it does not."""
    configure_logging("INFO", "text")
    for client in (AsyncWebClient(), AsyncWebhookClient("https://hooks.slack.com/x")):
        assert not client.logger.level <= logging.DEBUG  # slack_sdk's own test, before every request
