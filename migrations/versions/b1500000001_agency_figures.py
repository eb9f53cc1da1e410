"""Stored per-agency dashboard figures (agency_figures), under row-level security.

Revision ID: b1500000001
Revises: b1100000001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import UTCDateTime, rls_statements

revision = "b1500000001"
down_revision = "b1100000001"
branch_labels = None
depends_on = None

#: As in a0000000002: (public, what the project office may read); tests/test_isolation.py.
TENANT_TABLES = {"agency_figures": (False, "true")}


def upgrade():
    op.create_table(
        "agency_figures",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="1", nullable=False),
        sa.Column("computed_generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=True),
        sa.Column("computed_on", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_agency_figures_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_agency_figures_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_agency_figures")),
    )
    op.create_index("ix_agency_figures_region_id", "agency_figures", ["region_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Like every tenant table (core/db.py); the office reads its region's figures.
        public, region_read = TENANT_TABLES["agency_figures"]
        for statement in rls_statements("agency_figures", public_read=public, region_read=region_read):
            op.execute(statement)


def downgrade():
    op.drop_index("ix_agency_figures_region_id", table_name="agency_figures")
    op.drop_table("agency_figures")
