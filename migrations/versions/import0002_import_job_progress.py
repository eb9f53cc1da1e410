"""Import: the state of a confirmation running in the background (status, progress, error).

Revision ID: import0002
Revises: b1300000001
Create Date: 2026-11-26

Columns on ``import_session`` only: the table is under row-level security already
(b1100000001 / a0000000003), so no policy changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "import0002"
down_revision = "exports0001_background_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("job_status", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("job_done", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("job_total", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("job_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("job_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("job_result", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_session", schema=None) as batch_op:
        for column in (
            "job_result",
            "job_error",
            "job_started_at",
            "job_total",
            "job_done",
            "job_status",
        ):
            batch_op.drop_column(column)
