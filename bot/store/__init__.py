"""Where the bot remembers which Slack message shows which alert/incident (SQLAlchemy 2, async)."""

from bot.store.audit import AuditKind, AuditLog, AuditRecord, Decision
from bot.store.claims import Claim, Claims
from bot.store.db import AlertRecord, AlertStatus, Store
from bot.store.engine import DatabaseError
from bot.store.jobs import Job, JobKind, Journal, LeaseLost

__all__ = [
    "AlertRecord",
    "AlertStatus",
    "AuditKind",
    "AuditLog",
    "AuditRecord",
    "Claim",
    "Claims",
    "DatabaseError",
    "Decision",
    "Job",
    "JobKind",
    "Journal",
    "LeaseLost",
    "Store",
]
