"""The audit trail: one record per action attempt (allowed or refused) and per notification.

`job_id` is unique, so a job resumed after a crash is recorded once; the indexes serve
`python -m bot audit`, which reads by time and by user.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create audit_records and its indexes."""
    op.create_table(
        "audit_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("job_id", sa.Integer, nullable=True),
        sa.Column("user", sa.String(64), nullable=True),
        sa.Column("user_name", sa.String(255), nullable=True),
        sa.Column("user_email", sa.String(320), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("surface", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("verb", sa.String(32), nullable=True),
        sa.Column("incident_ids", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("rule", sa.String(255), nullable=True),
        sa.Column("outcomes", sa.JSON, nullable=False),
        sa.Column("problem", sa.Text, nullable=True),
        sa.Column("error_id", sa.String(64), nullable=True),
        sa.Column("coralogix_ms", sa.Integer, nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.UniqueConstraint("job_id", name="uq_audit_records_job_id"),
    )
    op.create_index("ix_audit_records_at", "audit_records", ["at"])
    op.create_index("ix_audit_records_user", "audit_records", ["user", "at"])


def downgrade() -> None:
    """Drop the audit trail."""
    op.drop_table("audit_records")
