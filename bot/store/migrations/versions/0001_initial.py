"""The tables of the first release: alert messages and processed Slack event ids.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create alert_messages and processed_events."""
    op.create_table(
        "alert_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("alert_id", sa.String(255), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=True),
        sa.Column("notification", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_by", sa.String(64), nullable=True),
        sa.Column("status_via", sa.String(32), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_action", sa.String(16), nullable=True),
        sa.Column("pending_by", sa.String(64), nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "ts", name="uq_alert_messages_channel_ts"),
    )
    op.create_index("ix_alert_messages_alert_id", "alert_messages", ["alert_id"])
    op.create_index("ix_alert_messages_incident_id", "alert_messages", ["incident_id"])
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("processed_events")
    op.drop_table("alert_messages")
