"""Helpers shared by the formatter tests: walk JSON-like values, validate slack_sdk objects deeply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.api.models import Incident, IncidentSeverity, IncidentStatus
from bot.formatters.common import SECTION_TEXT_LIMIT
from tests.factories import uuid


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_block_valid(raw: dict[str, Any]) -> None:
    """slack_sdk parses the block as its own type and accepts it and every object nested in it."""
    parsed = Block.parse(raw)
    assert parsed is not None
    assert parsed.type == raw["type"]
    validate_deep(parsed)


def validate_deep(obj: JsonObject) -> None:
    """`validate_json()` on a slack_sdk object and every object nested in it (it does not recurse itself)."""
    obj.validate_json()
    for name in obj.attributes:
        value = getattr(obj, name, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, JsonObject):
                validate_deep(item)


NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
EVIL = "<!channel> <https://evil|x> &"
APP_LABEL = "coralogix.metadata.applicationName"


def incident(
    n: int,
    *,
    name: str | None = None,
    severity: IncidentSeverity | None = IncidentSeverity.CRITICAL,
    application: str | None = "checkout",
    opened: timedelta | None = timedelta(hours=3, minutes=5),
    status: IncidentStatus = IncidentStatus.TRIGGERED,
) -> Incident:
    """An incident numbered `n`, opened `opened` before NOW, in `application`."""
    return Incident(
        id=uuid(n),
        name=name if name is not None else f"Incident {n}",
        severity=severity,
        status=status,
        created_at=NOW - opened if opened is not None else None,
        display_labels={APP_LABEL: application} if application else {},
    )


def many(n: int) -> list[Incident]:
    """`n` distinct incidents."""
    return [incident(i) for i in range(n)]


def assert_valid_view(view: dict[str, Any], callback_id: str | None = None) -> None:
    """The view keeps Slack's modal/Home limits and slack_sdk accepts it and every block in it."""
    if callback_id is not None:
        assert view["type"] == "modal"
        assert view["callback_id"] == callback_id
    for key in ("title", "close", "submit"):
        if key in view:
            assert view[key]["type"] == "plain_text"
            assert 0 < len(view[key]["text"]) <= 24
    assert len(view.get("private_metadata", "")) <= 3000
    assert 0 < len(view["blocks"]) <= 100
    View(**view).validate_json()
    for raw in view["blocks"]:
        if raw["type"] == "section":
            assert 0 < len(raw["text"]["text"]) <= SECTION_TEXT_LIMIT
        assert_block_valid(raw)
