"""Approved versions keep the registry process and the shared touchpoint each row named
(version_entry.process_id, version_entry.shared_touchpoint_id): a rename after approval is
then told from another process or touchpoint. Rows of earlier versions keep NULL and read as
before (docs/registry.md).

Revision ID: registry16b
Revises: importjob0001
Create Date: 2026-11-26 13:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "registry16b"
down_revision = "importjob0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("version_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("process_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shared_touchpoint_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("version_entry", schema=None) as batch_op:
        batch_op.drop_column("shared_touchpoint_id")
        batch_op.drop_column("process_id")
