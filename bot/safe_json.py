"""JSON from outside (Slack payloads, Coralogix notifications), read so that no document can hurt.

`json.loads` raises RecursionError on deep nesting, and code walking a parsed document recursively
can too; PostgreSQL refuses NUL characters in text. So a document is refused, with a reason naming
where, when it is nested deeper than any real payload or holds a NUL in any key or string.
"""

from __future__ import annotations

import json
from typing import Any

# Slack's deepest payloads (a click on a message with rich text) are about a dozen levels deep.
MAX_DEPTH = 64


class UnsafeJson(ValueError):
    """Why a document was refused; the message names the place."""


def loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `raw`; UnsafeJson when it is not JSON, too deep, or holds a NUL character."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise UnsafeJson(f"the body is nested more than {max_depth} levels deep") from None
    except ValueError:  # JSONDecodeError, bad UTF-8, an integer past Python's digit limit
        raise UnsafeJson("the body is not valid JSON") from None
    check(value, max_depth=max_depth)
    return value


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """UnsafeJson when `value` (parsed JSON) nests deeper than `max_depth` or holds a NUL character.

    Walks with its own stack, so no depth can exhaust Python's.
    """
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if depth > max_depth:
            raise UnsafeJson(f"the body is nested more than {max_depth} levels deep")
        if isinstance(item, str) and "\x00" in item:
            raise UnsafeJson(f"{path or 'the body'} contains a NUL character (PostgreSQL cannot store one)")
        if isinstance(item, dict):
            for key, child in item.items():
                name = str(key)[:40]
                where = f"{path}.{name}" if path else name
                if "\x00" in str(key):
                    raise UnsafeJson(f"a field name in {path or 'the body'} contains a NUL character")
                stack.append((child, depth + 1, where))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))
