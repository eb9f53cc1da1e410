"""Background jobs people wait for (background_job): a tenant table under forced row-level
security, read and written by the job's own agency only (the project office reads none).

Revision ID: exports0001_background_jobs
Revises: b1300000001
Create Date: 2026-11-26 09:40:00

"""
from alembic import op
import sqlalchemy as sa

from touchpoints.core.db import rls_statements


# revision identifiers, used by Alembic.
revision = "exports0001_background_jobs"
down_revision = "b1300000001"
branch_labels = None
depends_on = None

#: Tenant tables of this revision: (readable by the public pages, what the project office of the
#: region may read). Kept equal to the models' declarations by tests/test_isolation.py.
TENANT_TABLES = {
    "background_job": (False, None),
}


def upgrade():
    op.create_table(
        "background_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("result_name", sa.String(length=255), nullable=True),
        sa.Column("result_mimetype", sa.String(length=255), nullable=True),
        sa.Column("result_size", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed', 'expired')",
            name=op.f("ck_background_job_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_background_job_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_background_job_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_background_job")),
    )
    with op.batch_alter_table("background_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_background_job_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_background_job_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_background_job_owner", ["agency_id", "user_id", "created_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        for table, (public, region_read) in TENANT_TABLES.items():
            for statement in rls_statements(table, public_read=public, region_read=region_read):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table("background_job", schema=None) as batch_op:
        batch_op.drop_index("ix_background_job_owner")
        batch_op.drop_index(batch_op.f("ix_background_job_user_id"))
        batch_op.drop_index(batch_op.f("ix_background_job_agency_id"))
    op.drop_table("background_job")
