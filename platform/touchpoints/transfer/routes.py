"""Export downloads; the import's pages are in :mod:`.import_routes` on the same blueprint."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    redirect,
    send_file,
    url_for,
)
from flask_login import current_user

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.lists.models import ListVersion
from touchpoints.transfer import export_jobs
from touchpoints.transfer.export import FORMATS, export_list

bp = Blueprint("transfer", __name__)


def list_url() -> str:
    """Where the working list lives."""
    return url_for("lists.working_list")


# --------------------------------------------------------------------------- export


def _download(version: ListVersion | None, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    agency = current_agency()
    if export_jobs.in_background(agency, version):
        # A long list is written by a worker; the person watches it on the job's page.
        job = export_jobs.start(agency, current_user.id, version, fmt)
        db.session.commit()
        return redirect(url_for("background.status_page", job_id=job.id))
    data, filename, mimetype = export_list(agency, version, fmt)
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename
    )


def _export_working(fmt: str):
    @permission_required(Permission.READ_AGENCY)
    def view():
        return _download(None, fmt)

    return view


def _export_version(fmt: str):
    @permission_required(Permission.READ_AGENCY)
    def view(number: int):
        version = ListVersion.by_number(current_agency().id, number)
        if version is None:
            abort(404)
        return _download(version, fmt)

    return view


# One rule and endpoint per format (transfer.export_working_xlsx, transfer.export_version_csv …),
# not an "<fmt>" argument: the format is part of the address, not an id, and any other
# extension is simply no page (404).
for _fmt in FORMATS:
    bp.add_url_rule(f"/list/export.{_fmt}", f"export_working_{_fmt}", _export_working(_fmt))
    bp.add_url_rule(
        f"/list/versions/<int:number>/export.{_fmt}",
        f"export_version_{_fmt}",
        _export_version(_fmt),
    )


# The import's pages (upload, preview, fixes, confirm) live in .import_routes on this blueprint.
from touchpoints.transfer import import_routes  # noqa: E402,F401
