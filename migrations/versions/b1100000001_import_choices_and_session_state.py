"""Import: remembered matching choices per agency, the preview's state of an upload (issue 11).

Revision ID: b1100000001
Revises: a0000000003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import rls_statements

revision = "b1100000001"
down_revision = "a0000000003"
branch_labels = None
depends_on = None

#: Tenant tables this revision adds: (public, what the project office reads; None: nothing).
TENANT_TABLES = {"import_choice": (False, None)}


def upgrade():
    with op.batch_alter_table("import_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.alter_column("state", server_default=None)
    op.create_table(
        "import_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_import_choice_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"],
            ["user_account.id"],
            name=op.f("fk_import_choice_chosen_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_choice")),
        sa.UniqueConstraint(
            "agency_id", "kind", "text", name=op.f("uq_import_choice_agency_id_kind_text")
        ),
    )
    with op.batch_alter_table("import_choice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_choice_agency_id"), ["agency_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table, (public, region) in TENANT_TABLES.items():
            for statement in rls_statements(table, public_read=public, region_read=region):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table("import_choice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_choice_agency_id"))
    op.drop_table("import_choice")
    with op.batch_alter_table("import_session", schema=None) as batch_op:
        batch_op.drop_column("state")
