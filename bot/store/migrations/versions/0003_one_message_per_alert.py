"""One alert message per alert and incident, enforced by the database; messages reserved before posting.

`open_key` (channel, alert, group-by values, incident) is unique while a message is open and
cleared when it is resolved; `incident_key` (channel, incident) is unique for good. A message row
is written (ts empty) before it is posted, owned by the notification job that posts it
(`job_id`); `pending_job` names the action job that shows "Resolving…" on it.

Databases that already hold duplicate messages (from before this revision) keep them; only the
newest of each set gets the keys.

Revision ID: 0003
Revises: 0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def open_key(channel: str, alert_id: str, group_by: str | None, incident_id: str | None) -> str:
    """The same key as `bot.store.alerts.open_key` (copied: a revision must not change with the code)."""
    return "|".join((channel, alert_id, group_by or "", incident_id or "-"))


def upgrade() -> None:
    """Add the keys, the owners and the unique indexes; let ts be empty until the message is posted."""
    op.add_column("alert_messages", sa.Column("open_key", sa.String(800), nullable=True))
    op.add_column("alert_messages", sa.Column("incident_key", sa.String(200), nullable=True))
    op.add_column("alert_messages", sa.Column("job_id", sa.Integer, nullable=True))
    op.add_column("alert_messages", sa.Column("pending_job", sa.Integer, nullable=True))
    with op.batch_alter_table("alert_messages") as batch:  # SQLite rebuilds the table for this one
        batch.alter_column("ts", existing_type=sa.String(32), nullable=True)
    table = sa.table(
        "alert_messages",
        sa.column("id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("alert_id", sa.String),
        sa.column("incident_id", sa.String),
        sa.column("notification", sa.JSON),
        sa.column("status", sa.String),
        sa.column("open_key", sa.String),
        sa.column("incident_key", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table).order_by(table.c.id.desc())).mappings().all()
    seen: set[str] = set()
    for row in rows:  # newest first: the newest of duplicates keeps the key
        values: dict[str, Any] = {}
        notification = row["notification"] or {}
        if row["status"] != "resolved":
            key = open_key(row["channel"], row["alert_id"], notification.get("group_by"), row["incident_id"])
            if key not in seen:
                seen.add(key)
                values["open_key"] = key
        if row["incident_id"]:
            key = f"{row['channel']}|{row['incident_id']}"
            if key not in seen:
                seen.add(key)
                values["incident_key"] = key
        if values:
            connection.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
    op.create_index("uq_alert_messages_open_key", "alert_messages", ["open_key"], unique=True)
    op.create_index("uq_alert_messages_incident_key", "alert_messages", ["incident_key"], unique=True)


def downgrade() -> None:
    """Drop the keys and owners (messages not yet posted are dropped too)."""
    op.execute("DELETE FROM alert_messages WHERE ts IS NULL")
    op.drop_index("uq_alert_messages_incident_key", "alert_messages")
    op.drop_index("uq_alert_messages_open_key", "alert_messages")
    with op.batch_alter_table("alert_messages") as batch:
        batch.drop_column("pending_job")
        batch.drop_column("job_id")
        batch.drop_column("incident_key")
        batch.drop_column("open_key")
        batch.alter_column("ts", existing_type=sa.String(32), nullable=False)
