"""Alert storms: one message per channel standing for many alerts.

`storms.open_channel` holds the channel while the storm is open and is cleared when it ends, so
its unique index allows one open storm per channel, decided by the database between replicas.
`version` counts changes to show and `rendered_version` the last one shown (the render chore
looks for storms where they differ). `alert_messages.storm_id` names the storm covering an alert.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create storms and link alert messages to them."""
    op.create_table(
        "storms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("open_channel", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("rendered_version", sa.Integer, nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("uq_storms_open_channel", "storms", ["open_channel"], unique=True)
    op.add_column("alert_messages", sa.Column("storm_id", sa.Integer, nullable=True))
    op.create_index("ix_alert_messages_storm_id", "alert_messages", ["storm_id"])
    op.create_index("ix_alert_messages_channel_created", "alert_messages", ["channel", "created_at"])


def downgrade() -> None:
    """Drop the storms and the link."""
    op.drop_index("ix_alert_messages_channel_created", "alert_messages")
    op.drop_index("ix_alert_messages_storm_id", "alert_messages")
    with op.batch_alter_table("alert_messages") as batch:
        batch.drop_column("storm_id")
    op.drop_table("storms")
