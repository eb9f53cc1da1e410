"""Import: a large confirmation is a background job (kind ``import`` of ``background_job``), so
the upload's own job state goes.

Revision ID: importjob0001
Revises: registry16_processes
Create Date: 2026-11-27

Drops the ``job_*`` columns of ``import_session`` added by import0002: the state, progress,
lease and result of a confirmation running in the background now live on its
``background_job`` row (docs/jobs.md, docs/import.md). An upload caught ``queued`` or
``running`` by this upgrade loses that mark and shows its preview again, where it can be
confirmed once more; nothing of it was in the list (applying is one transaction). No policy
changes: both tables are under row-level security already.
"""

import sqlalchemy as sa
from alembic import op

revision = "importjob0001"
down_revision = "registry16_processes"
branch_labels = None
depends_on = None

COLUMNS = ("job_result", "job_error", "job_started_at", "job_total", "job_done", "job_status")


def upgrade():
    with op.batch_alter_table("import_session", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_column(column)


def downgrade():
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
