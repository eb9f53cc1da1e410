"""A job's page (its kind's words in a status box), its JSON for the page's poll, the download
and the retry.

Only the person who started a job sees it: anyone else's job — even in the same agency — is no
page at all (404), as is a job of another agency (the scope hides it anyway).
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from touchpoints.background import registry, service
from touchpoints.background.models import BackgroundJob
from touchpoints.core.db import db

bp = Blueprint("background", __name__, url_prefix="/jobs")


def _own_job(view):
    """The view gets the job if it is the signed-in person's (anyone else's is a 404)."""

    @functools.wraps(view)
    @login_required
    def wrapper(job_id: int):
        job = None
        if current_user.agency_id is not None:
            job = BackgroundJob.of_person(job_id, current_user.id, current_user.agency_id)
        if job is None:
            abort(404)
        return view(job)

    return wrapper


def _revive(job: BackgroundJob) -> None:
    # A GET may queue a lost job again: that only restarts what the person asked for.
    if service.revive_if_lost(job):
        db.session.commit()


def _to_page(job: BackgroundJob):
    return redirect(url_for("background.status_page", job_id=job.id))


@bp.get("/<int:job_id>")
@_own_job
def status_page(job: BackgroundJob):
    _revive(job)
    kind = registry.get(job.kind)
    back_url, back_label = kind.back(job) if kind else (url_for("home.index"), "На главную")
    return render_template(
        "background/status.html",
        job=job,
        body=kind.body if kind else "background/_file.html",
        title=kind.title if kind else "Задание",
        description=kind.describe(job) if kind and kind.describe else "",
        back_url=back_url,
        back_label=back_label,
        message=service.message(job),
    )


@bp.get("/<int:job_id>.json")
@_own_job
def status_json(job: BackgroundJob):
    _revive(job)
    data = service.status(job)
    if job.ready and job.result_size is not None:
        data["download_url"] = url_for("background.download", job_id=job.id)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/file")
@_own_job
def download(job: BackgroundJob):
    if not job.ready or job.result_size is None:
        return _to_page(job)
    response = Response(service.result_bytes(job), mimetype=job.result_mimetype)
    # HTTP headers are Latin-1: the file's name goes in filename* (RFC 6266) with a fallback.
    name = job.result_name or "file"
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename=name.encode("ascii", "replace").decode(),
        **{"filename*": "UTF-8''" + quote(name, safe="")},
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:job_id>/retry")
@_own_job
def retry(job: BackgroundJob):
    service.retry(job)
    db.session.commit()
    return _to_page(job)
