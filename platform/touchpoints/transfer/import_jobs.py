"""A large import confirmed in the background: kind ``import`` of :mod:`touchpoints.background`.

The preview's «Загрузить» for a file of more than ``IMPORT_BACKGROUND_ROWS`` rows starts a job
(:func:`start`) and the person waits on its page, ``/jobs/<id>``; smaller files are applied
within the request (``imports.confirm``). The one task ``workers.tasks.background.run`` claims
the job (a claim whose heartbeat stopped for 30 s is taken over: its worker was killed) and
calls :func:`_run`, which applies the upload in the job's transaction — all or nothing — and
marks the upload applied in that same transaction (docs/import.md, docs/jobs.md).

Applied at most once: the upload's row is locked first, so two runs of the job (a takeover of a
worker that was only slow, a job retried by hand while a new one runs) wait for each other, and
the later one finds the counts the first one left (``state["applied"]``) and reports them
instead of applying again. A refusal (the list changed since the preview, a rule of the review
path) fails the job with its words; a failed import returns to its preview.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask import current_app, url_for

from touchpoints.background import registry, service
from touchpoints.background.models import BackgroundJob
from touchpoints.background.registry import JobError, Kind, Outcome
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import counted
from touchpoints.transfer import apply
from touchpoints.transfer.analysis import analyse_session
from touchpoints.transfer.imports import ImportRefused, is_expired
from touchpoints.transfer.models import ImportSession

KIND = "import"
GONE = "Загрузка не найдена или устарела. Загрузите файл снова."


def in_background(session: ImportSession) -> bool:
    """Large uploads are confirmed by a worker; small ones within the request."""
    return len(session.cells or []) > int(current_app.config.get("IMPORT_BACKGROUND_ROWS") or 300)


def start(agency: Agency, session: ImportSession, user_id: int) -> BackgroundJob:
    """Queue the upload's confirmation (flushes; the view commits, holding the row locked)."""
    job = service.start(KIND, agency.id, user_id, {"upload": session.id})
    _follow(session, job)
    return job


def _follow(session: ImportSession, job: BackgroundJob) -> None:
    # A new dict: JSON columns notice assignment, not in-place change.
    session.state = {**(session.state or {}), "job_id": job.id}


def job_of(session: ImportSession) -> BackgroundJob | None:
    """The upload's job while it is queued or running, or once it has applied the upload.

    A failed job (or none) leaves the upload to its preview, where it can be confirmed again."""
    job_id = (session.state or {}).get("job_id")
    job = db.session.get(BackgroundJob, job_id) if job_id else None
    if job is None or not (job.in_progress or job.ready):
        return None
    return job


def busy(session: ImportSession) -> bool:
    """On its way into the list, or there already: the person's fixes are no longer taken."""
    return "applied" in (session.state or {}) or job_of(session) is not None


def _upload(job: BackgroundJob, *, for_update: bool = False) -> ImportSession | None:
    query = sa.select(ImportSession).where(
        ImportSession.id == job.params.get("upload"), ImportSession.agency_id == job.agency_id
    )
    return db.session.scalar(query.with_for_update() if for_update else query)


def _run(job: BackgroundJob, progress) -> Outcome:
    agency = db.session.get(Agency, job.agency_id)
    # Locked: another run of this upload waits here until this one has committed or failed.
    session = _upload(job, for_update=True)
    if session is None:
        raise JobError(GONE)
    if "applied" in (session.state or {}):
        return Outcome(summary=session.state["applied"])
    if is_expired(session):
        raise JobError(GONE)
    _follow(session, job)
    analysis = analyse_session(agency, session)
    if analysis.plan is not None:
        progress(0, sum(len(rows) for rows in apply.planned(analysis, session)))
    try:
        result = apply.apply(
            agency, analysis, session, user_id=job.user_id, progress=progress, actor_label="import"
        )
    except ImportRefused as exc:
        raise JobError(str(exc)) from None
    summary = dataclasses.asdict(result)
    # The rows are in the list now: the file's cells are not needed for the result.
    session.state = {**session.state, "applied": summary}
    session.cells, session.merged_rows = [], []
    return Outcome(summary=summary)


def _back(job: BackgroundJob) -> tuple[str, str]:
    if job.failed:
        session = _upload(job)
        if session is not None and "applied" not in (session.state or {}):
            return url_for("transfer.preview", token=session.token), "К проверке файла"
        return url_for("transfer.upload"), "К загрузке файла"
    return url_for("lists.working_list"), "К перечню"


def _describe(job: BackgroundJob) -> str:
    session = _upload(job)
    name = f"Файл «{session.filename}»" if session is not None else "Файл"
    rows = f", {counted(job.total, 'строка', 'строки', 'строк')}" if job.total else ""
    return f"{name}{rows}"


registry.register(
    Kind(
        name=KIND,
        title="Загрузка перечня из файла",
        run=_run,
        back=_back,
        describe=_describe,
        body="transfer/_import_job.html",
        messages={"running": "Строки вносятся в перечень."},
    )
)
