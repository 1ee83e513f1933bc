"""Index the incident claims by job: finishing an action releases its claims by `job_id`.

Without it, every action's finish read the whole claims table (one row per incident acted on in
the retention window): measured on SQLite with 10 000 claims, the finish took 284 µs instead of
about 100 µs, and it grows with the table.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the index."""
    op.create_index("ix_incident_claims_job_id", "incident_claims", ["job_id"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_incident_claims_job_id", table_name="incident_claims")
