"""Case messages share the alert_messages table: `kind` says which a row shows (`alert` or `case`).

A case message's `incident_id` holds the case id (UUID, else the readable id) and its
`incident_key` makes it one message per case per channel, as for incidents. Every existing row is
an alert message. The status `closed` (a case past resolved) needs no schema change.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `kind`, `alert` for every row there is."""
    op.add_column("alert_messages", sa.Column("kind", sa.String(16), nullable=False, server_default=sa.text("'alert'")))


def downgrade() -> None:
    """Drop `kind` (case messages then read as alert messages: delete them first)."""
    with op.batch_alter_table("alert_messages") as batch:
        batch.drop_column("kind")
