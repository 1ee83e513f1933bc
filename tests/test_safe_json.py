"""`bot.safe_json`: outside JSON is refused, with the place named, when it nests too deep or holds a NUL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.safe_json import MAX_DEPTH, UnsafeJson, check, loads


def nested(depth: int) -> Any:
    """A list nested `depth` levels deep (built without recursion)."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_a_hundred_thousand_brackets_are_refused_not_a_recursion_error() -> None:
    """100 000 `[` make json.loads overflow the stack; the reader turns that into a refusal."""
    with pytest.raises(UnsafeJson, match="nested more than"):
        loads("[" * 100_000 + "]" * 100_000)


def test_nesting_is_allowed_up_to_the_limit() -> None:
    """Exactly MAX_DEPTH levels parse; one more is refused."""
    assert loads(json.dumps(nested(MAX_DEPTH))) == nested(MAX_DEPTH)
    with pytest.raises(UnsafeJson, match=f"nested more than {MAX_DEPTH}"):
        loads(json.dumps(nested(MAX_DEPTH + 1)))


def test_check_walks_any_depth_without_recursing() -> None:
    """A structure far deeper than Python's recursion limit is refused by `check`, not crashed on."""
    with pytest.raises(UnsafeJson, match="nested"):
        check(nested(50_000))


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"alert_name": "disk\u0000full"}, "alert_name contains a NUL"),
        ({"labels": {"env": ["prod", "a\u0000"]}}, "labels.env[1] contains a NUL"),
        ({"ok": 1, "bad\u0000key": 2}, "a field name in the body contains a NUL"),
        ("\u0000", "the body contains a NUL"),
    ],
)
def test_nul_characters_are_refused_naming_where(document: Any, where: str) -> None:
    """A NUL anywhere (PostgreSQL cannot store one) is refused, naming the field."""
    with pytest.raises(UnsafeJson, match=re.escape(where)):
        loads(json.dumps(document))


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", ("9" * 5000).encode()])
def test_what_is_not_json_is_refused(raw: bytes) -> None:
    """Broken JSON, no body, bad UTF-8 and integers past Python's digit limit are all just "not valid JSON"."""
    with pytest.raises(UnsafeJson, match="not valid JSON"):
        loads(raw)
