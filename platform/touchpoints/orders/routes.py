"""Order PDFs in the interface: a status page while the PDF is being prepared, then the download.

GET requests may queue a rendering: that only fills a cache (the same request again finds it), it
changes nothing the user can see otherwise. Retrying a failed rendering is a POST.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.lists.models import ListVersion
from touchpoints.orders import storage
from touchpoints.orders.document import OrderError, default_with_changes
from touchpoints.orders.models import OrderDocument

bp = Blueprint("orders", __name__)


def _version_or_404(number: int) -> ListVersion:
    agency = current_agency()
    version = ListVersion.by_number(agency.id, number)
    if version is None:
        abort(404)
    return version


def _pdf_response(doc: OrderDocument, filename: str, *, public: bool = False) -> Response:
    """The stored PDF with its ETag; 304 when the client has these very bytes already."""
    cache = "public, max-age=3600" if public else "private, no-cache"
    if request.if_none_match.contains(doc.sha256):
        response = Response(status=304)
        response.set_etag(doc.sha256)
        response.headers["Cache-Control"] = cache
        return response
    response = Response(storage.document_bytes(doc), mimetype="application/pdf")
    response.set_etag(doc.sha256)
    response.headers["Cache-Control"] = cache
    # HTTP headers are Latin-1: the Russian name goes in filename* (RFC 6266), with an ASCII fallback.
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename="prikaz.pdf",
        **{"filename*": "UTF-8''" + quote(filename, safe="")},
    )
    return response


def _changes_arg(version: ListVersion) -> bool:
    raw = request.values.get("changes")
    if raw in ("0", "1"):
        return raw == "1"
    return default_with_changes(version)


@bp.get("/list/versions/<int:number>/order")
@permission_required(Permission.READ_AGENCY)
def version_status(number: int):
    version = _version_or_404(number)
    with_changes = _changes_arg(version)
    doc = storage.request_version_pdf(version, with_changes, user_id=current_user.id)
    return render_template(
        "orders/status.html",
        heading=f"Приказ об утверждении редакции № {version.number}",
        doc=doc,
        version=version,
        agency=current_agency(),
        with_changes=with_changes,
        has_previous=default_with_changes(version),
        download_url=url_for(
            "orders.version_pdf", number=number, changes="1" if with_changes else "0"
        ),
        retry_url=url_for(
            "orders.version_retry", number=number, changes="1" if with_changes else "0"
        ),
        back_url=url_for("lists.version", number=number),
        back_label="К редакции перечня",
    )


@bp.post("/list/versions/<int:number>/order")
@permission_required(Permission.READ_AGENCY)
def version_retry(number: int):
    version = _version_or_404(number)
    with_changes = _changes_arg(version)
    storage.request_version_pdf(version, with_changes, user_id=current_user.id, retry=True)
    flash("PDF приказа поставлен в очередь на формирование.", "info")
    return redirect(
        url_for("orders.version_status", number=number, changes="1" if with_changes else "0")
    )


@bp.get("/list/versions/<int:number>/order.pdf")
@permission_required(Permission.READ_AGENCY)
def version_pdf(number: int):
    version = _version_or_404(number)
    with_changes = _changes_arg(version)
    doc = storage.version_pdf(version, with_changes)
    if doc is None:
        # Not rendered yet: the status page queues it and reloads itself until it is ready.
        return redirect(
            url_for("orders.version_status", number=number, changes="1" if with_changes else "0")
        )
    return _pdf_response(doc, storage.pdf_filename(current_agency(), version))


def _request_draft(agency, retry: bool = False) -> OrderDocument:
    """The draft order's document, queued when needed. When it is refused (an empty list), the
    reason is flashed and the request ends with a redirect back to the list."""
    try:
        return storage.request_draft_pdf(agency, user_id=current_user.id, retry=retry)
    except OrderError as exc:
        flash(str(exc), "error")
        abort(redirect(url_for("lists.working_list")))


@bp.get("/list/order")
@permission_required(Permission.READ_AGENCY)
def draft_status():
    agency = current_agency()
    doc = _request_draft(agency)
    return render_template(
        "orders/status.html",
        heading="Проект приказа об утверждении перечня",
        doc=doc,
        version=None,
        agency=agency,
        with_changes=True,
        has_previous=False,
        download_url=url_for("orders.draft_pdf"),
        retry_url=url_for("orders.draft_retry"),
        back_url=url_for("lists.working_list"),
        back_label="К перечню",
    )


@bp.post("/list/order")
@permission_required(Permission.READ_AGENCY)
def draft_retry():
    _request_draft(current_agency(), retry=True)
    flash("Проект приказа поставлен в очередь на формирование.", "info")
    return redirect(url_for("orders.draft_status"))


@bp.get("/list/order.pdf")
@permission_required(Permission.READ_AGENCY)
def draft_pdf():
    """The working list as a draft order; served when a PDF of exactly this list is stored."""
    agency = current_agency()
    doc = _request_draft(agency)
    if not doc.ready:
        return redirect(url_for("orders.draft_status"))
    return _pdf_response(doc, storage.pdf_filename(agency, None))
