"""One job a person started and waits for: its state, progress and result (docs/jobs.md)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from touchpoints.core.db import TenantMixin, db, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # claimed by a worker, which renews heartbeat_at
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"  # finished, its file dropped after the keeping time


class BackgroundJob(TenantMixin, db.Model):
    """A job of one kind (:mod:`.registry`) for one person of one agency."""

    __tablename__ = "background_job"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed', 'expired')", name="status"
        ),
        sa.Index("ix_background_job_owner", "agency_id", "user_id", "created_at"),
    )

    #: A person's jobs are theirs: the project office reads none of them.
    __region_read__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered kind (``export``, ``import`` …): what runs and how the page names it.
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=JobStatus.QUEUED.value)
    #: What the kind needs to run: ids and choices only, never objects (JSON).
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Progress: units done of the total (rows, as a rule); total 0 while unknown.
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: Why the job failed, in words for the person (details are in the worker's log).
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: The file made (deferred: status pages and polls never load it).
    result: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    result_name: Mapped[str | None] = mapped_column(sa.String(255))
    result_mimetype: Mapped[str | None] = mapped_column(sa.String(255))
    result_size: Mapped[int | None]
    #: What a kind reports besides a file (an import's counts), JSON.
    summary: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Runs started (a redelivered or retried job runs again).
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When it was last queued (created or retried): a message lost by the broker shows here.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    #: Renewed by the running worker every few seconds; an old one means the worker died.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: After this the file is dropped by the cleanup (``TOUCHPOINTS_JOB_RESULT_HOURS``).
    expires_at: Mapped[datetime | None]

    @property
    def in_progress(self) -> bool:
        return self.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value)

    @property
    def ready(self) -> bool:
        return self.status == JobStatus.READY.value

    @property
    def failed(self) -> bool:
        return self.status == JobStatus.FAILED.value

    @property
    def expired(self) -> bool:
        return self.status == JobStatus.EXPIRED.value

    @property
    def percent(self) -> int:
        if self.ready:
            return 100
        if not self.total:
            return 0
        return max(0, min(99, self.done * 100 // self.total))

    @classmethod
    def of_person(cls, job_id: int, user_id: int, agency_id: int) -> BackgroundJob | None:
        """The job if it is this person's in this agency (anyone else's is no page at all)."""
        return db.session.scalar(
            sa.select(cls).where(
                cls.id == job_id, cls.user_id == user_id, cls.agency_id == agency_id
            )
        )

    @classmethod
    def unfinished_like(
        cls, agency_id: int, user_id: int, kind: str, params: dict
    ) -> BackgroundJob | None:
        """The person's queued or running job of the same kind and arguments (a second click)."""
        candidates = db.session.scalars(
            sa.select(cls)
            .where(
                cls.agency_id == agency_id,
                cls.user_id == user_id,
                cls.kind == kind,
                cls.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
            )
            .order_by(cls.id.desc())
        )
        return next((job for job in candidates if job.params == params), None)
