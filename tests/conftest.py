"""Shared fixtures: hermetic settings, paths to the shared specs and payloads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import FIELD_NAMES, Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SPECS = SHARED / "specs" / "coralogix"
PAYLOADS = SHARED / "slack-payloads"

BASE_SETTINGS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_SIGNING_SECRET": "test-signing-secret",
    "CORALOGIX_API_KEY": "cx-test-key",
}


@pytest.fixture(autouse=True)
def _clean_environment() -> Iterator[None]:
    """Hide the developer's own SLACK_*/CORALOGIX_* variables: tests build settings explicitly."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k in FIELD_NAMES}
    try:
        yield
    finally:
        os.environ.update(saved)


def make_settings(**overrides: Any) -> Settings:
    """Settings from the test defaults plus `overrides` (None removes a key)."""
    values: dict[str, Any] = {**BASE_SETTINGS, **overrides}
    return Settings(**{k: v for k, v in values.items() if v is not None})
