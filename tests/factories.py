"""Plain test values shared across the suite."""

from __future__ import annotations


def uuid(n: int) -> str:
    """A distinct, valid (version 4) incident id for `n`: readable in a failure, `n` shows in both ends."""
    return f"{n:08x}-0000-4000-8000-{n:012x}"
