"""Export downloads and the import path: upload → mapping and preview → confirm (or cancel)."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from touchpoints.auth.roles import Permission
from touchpoints.core.access import current_agency, permission_required
from touchpoints.core.db import db
from touchpoints.core.text import counted
from touchpoints.core.web import Page, ru_datetime
from touchpoints.lists.models import ListVersion
from touchpoints.tenants.form import Form
from touchpoints.transfer import imports
from touchpoints.transfer.export import FORMATS, export_list
from touchpoints.transfer.forms import UploadForm, column_name, mapping_form
from touchpoints.transfer.reader import ImportFileError, mb

bp = Blueprint("transfer", __name__)

PREVIEW_PAGE_SIZE = 100


def list_url() -> str:
    """Where the working list lives; the agency's home page until the list pages exist."""
    for endpoint in ("lists.working_list", "lists.index"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("home.index")


# --------------------------------------------------------------------------- export


def _download(version: ListVersion | None, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    data, filename, mimetype = export_list(current_agency(), version, fmt)
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
        version = db.session.scalar(
            sa.select(ListVersion).where(
                ListVersion.agency_id == current_agency().id, ListVersion.number == number
            )
        )
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


# --------------------------------------------------------------------------- import


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    # The upload is over MAX_CONTENT_LENGTH: say so on the upload page, not on a bare error page.
    form = UploadForm(formdata=None)
    limit = min(
        current_app.config.get("MAX_CONTENT_LENGTH") or 0,
        current_app.config.get("IMPORT_MAX_BYTES") or 0,
    ) or current_app.config.get("MAX_CONTENT_LENGTH")
    form.file.errors = [f"Файл слишком большой; можно загрузить не больше {mb(limit)}."]
    return render_template("transfer/upload.html", form=form, list_url=list_url()), 413


@bp.route("/list/import", methods=["GET", "POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def upload():
    agency = current_agency()
    form = UploadForm()
    if form.validate_on_submit():
        file = form.file.data
        data = file.read()
        try:
            session = imports.start_import(agency, data, file.filename, current_user.id)
        except ImportFileError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("transfer.preview", token=session.token))
    status = 400 if form.errors else 200
    return render_template("transfer/upload.html", form=form, list_url=list_url()), status


def _session_or_404(token: str, *, for_update: bool = False):
    session = imports.get_session(current_agency(), token, for_update=for_update)
    if session is None:
        abort(404)
    return session


def _header_choices(cells: list[list[str]]) -> list[tuple[int, str]]:
    out = []
    for i, row in enumerate(cells[: imports.HEADER_SEARCH_ROWS]):
        text = " | ".join(v for v in row if v)[:90] or "(пустая строка)"
        out.append((i, f"Строка {i + 1}: {text}"))
    return out


@bp.route("/list/import/<token>", methods=["GET", "POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def preview(token):
    agency = current_agency()
    session = _session_or_404(token)
    if imports.is_expired(session):
        flash("Срок хранения загруженного файла истёк. Загрузите его снова.", "warning")
        return redirect(url_for("transfer.upload"))
    targets = imports.targets_for(Form(agency.form))
    header = session.cells[session.header_row] if session.cells else []
    width = max((len(r) for r in session.cells), default=0)
    header = (header + [""] * width)[:width]
    form = mapping_form(
        header, targets, session.mapping, _header_choices(session.cells), session.header_row
    )
    if request.method == "POST":
        if form.validate_on_submit():
            header_changed = form.header_row.data != session.header_row
            if header_changed:
                # A new header row: guess the columns afresh from its text.
                new_header = session.cells[form.header_row.data]
                mapping = imports.guess_mapping(new_header, targets)
            else:
                mapping = [f.data for f in form.column_fields]
            imports.set_mapping(agency, session, form.header_row.data, mapping)
            db.session.commit()
            flash("Сопоставление граф сохранено, строки проверены заново.", "success")
            return redirect(url_for("transfer.preview", token=token))
        flash("Сопоставление не сохранено: проверьте выбранные значения.", "error")
    analysis = imports.analyse_session(agency, session)
    only_errors = request.args.get("errors") == "1"
    rows = [r for r in analysis.rows if r.errors] if only_errors else analysis.rows
    return render_template(
        "transfer/preview.html",
        session=session,
        analysis=analysis,
        page=Page.of_list(rows, per_page=PREVIEW_PAGE_SIZE),
        only_errors=only_errors,
        form=form,
        header=header,
        column_name=column_name,
        expires=ru_datetime(session.expires_at),
        list_url=list_url(),
    )


@bp.route("/list/import/<token>/confirm", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def confirm(token):
    agency = current_agency()
    _session_or_404(token)
    try:
        entries = imports.confirm(agency, token, current_user.id)
        db.session.commit()
    except imports.ImportRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("transfer.preview", token=token))
    except Exception:
        # Whatever failed, nothing of the import stays: the list is exactly as it was.
        db.session.rollback()
        current_app.logger.exception("import %s failed on confirmation", token)
        flash(
            "Загрузка не выполнена из-за внутренней ошибки; перечень не изменён. "
            "Попробуйте ещё раз позже.",
            "error",
        )
        return redirect(url_for("transfer.preview", token=token))
    where = (
        "Строки ждут проверки другим уполномоченным лицом"
        if entries and entries[0].status == "submitted"
        else "Строки включены в рабочий перечень"
    )
    flash(
        f"Загружено: {counted(len(entries), 'строка', 'строки', 'строк')}. {where}; загрузка записана в журнал изменений.",
        "success",
    )
    return redirect(list_url())


@bp.route("/list/import/<token>/cancel", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def cancel(token):
    session = _session_or_404(token)
    db.session.delete(session)
    db.session.commit()
    flash("Загрузка отменена; перечень не изменён.", "info")
    return redirect(url_for("transfer.upload"))
