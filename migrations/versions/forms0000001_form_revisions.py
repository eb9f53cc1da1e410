"""Revision counters of forms: the form editor saves only over the revision it opened.

Revision ID: forms0000001
Revises: b1300000001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "forms0000001"
down_revision = "import0002"
branch_labels = None
depends_on = None


def upgrade():
    # Columns of existing tables: their row-level security policies cover them already.
    op.add_column(
        "agency", sa.Column("form_revision", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "form_template", sa.Column("revision", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade():
    op.drop_column("form_template", "revision")
    op.drop_column("agency", "form_revision")
