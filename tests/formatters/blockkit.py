"""Helpers shared by the formatter tests: walk JSON-like values, validate slack_sdk objects deeply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models import JsonObject


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


def validate_deep(obj: JsonObject) -> None:
    """`validate_json()` on a slack_sdk object and every object nested in it (it does not recurse itself)."""
    obj.validate_json()
    for name in obj.attributes:
        value = getattr(obj, name, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, JsonObject):
                validate_deep(item)
