"""The progress of a large import confirmed in the background (transfer/job.py).

The page shows a progress bar that a small script fills from the JSON endpoint every second,
the result when the task is done (with links to the list and the review queue) and the
reason when it failed (with the way back to the preview, where it can be confirmed again).
Without JavaScript the page refreshes itself.
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, url_for
from flask_login import current_user

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.transfer import imports, job
from touchpoints.transfer.routes import bp, list_url


def _session(token: str):
    session = imports.get_session(current_agency(), token)
    if session is None:
        abort(404)
    return session


@bp.route("/list/import/<token>/progress")
@permission_required(Permission.EDIT_ENTRIES)
def progress(token):
    session = _session(token)
    return render_template(
        "transfer/progress.html",
        session=session,
        job=job.status(session),
        list_url=list_url(),
        registrar=current_user.can(Permission.REVIEW_ENTRIES),
        status_url=url_for("transfer.progress_status", token=token),
    )


@bp.route("/list/import/<token>/progress.json")
@permission_required(Permission.EDIT_ENTRIES)
def progress_status(token):
    response = jsonify(job.status(_session(token)).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response
