"""What the store's tests share: the running store's SQLite engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.on_the_loop import LoopEngine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[LoopEngine]:
    """The running store's SQLite engine (`LoopEngine`) on a migrated file."""
    store = await Store.open(f"sqlite:///{tmp_path / 'loop.sqlite3'}")
    assert isinstance(store.engine, LoopEngine)
    try:
        yield store.engine
    finally:
        await store.close()
