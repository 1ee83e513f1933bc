"""Where the bot remembers which Slack message shows which alert/incident (SQLAlchemy 2, async)."""

from bot.store.db import AlertRecord, AlertStatus, Store
from bot.store.engine import DatabaseError

__all__ = ["AlertRecord", "AlertStatus", "DatabaseError", "Store"]
