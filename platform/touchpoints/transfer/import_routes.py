"""The import's pages: upload → preview (where people fix things) → confirm or cancel.

Every fix in the preview (a column's meaning, a match settled, a cell corrected, a row skipped,
what to do with changed and missing rows) is saved in the upload's server-side session and the
preview recomputed; nothing reaches the list before «Загрузить». Editors import too: their
changes become submissions for the registrar (Murmansk 2.2 / Kuzbass 3.3).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.web import Page, ru_datetime
from touchpoints.lists.form import Form
from touchpoints.transfer import import_jobs, imports
from touchpoints.transfer.fields import CHANNEL_LABELS, CLIENT_LABELS, FIELD_LABELS
from touchpoints.transfer.forms import ACCEPT, KIND_LABELS, UploadForm, column_name, mapping_form
from touchpoints.transfer.links import Links
from touchpoints.transfer.matching import HOW_LABELS, targets_for
from touchpoints.transfer.reader import ImportFileError, mb
from touchpoints.transfer.routes import bp, list_url

PREVIEW_PAGE_SIZE = 100


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    # The upload is over MAX_CONTENT_LENGTH: say so on the upload page, not on a bare error page.
    form = UploadForm(formdata=None)
    limit = min(
        current_app.config.get("MAX_CONTENT_LENGTH") or 0,
        current_app.config.get("IMPORT_MAX_BYTES") or 0,
    ) or current_app.config.get("MAX_CONTENT_LENGTH")
    form.file.errors = [f"Файл слишком большой; можно загрузить не больше {mb(limit)}."]
    return render_template(
        "transfer/upload.html", form=form, list_url=list_url(), accept=ACCEPT
    ), 413


@bp.route("/list/import", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ENTRIES)
def upload():
    agency = current_agency()
    form = UploadForm()
    if form.validate_on_submit():
        file = form.file.data
        sheet = (form.sheet.data or "").strip() or None
        try:
            session = imports.start_import(
                agency, file.read(), file.filename, current_user.id, sheet
            )
        except ImportFileError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("transfer.preview", token=session.token))
    status = 400 if form.errors else 200
    return render_template(
        "transfer/upload.html", form=form, list_url=list_url(), accept=ACCEPT
    ), status


def _session_or_404(token: str, *, for_update: bool = False):
    session = imports.get_session(current_agency(), token, for_update=for_update)
    if session is None:
        abort(404)
    if for_update and request.method == "POST" and import_jobs.busy(session):
        # On its way into the list (or there already): a fix now would change nothing.
        abort(_to_job(session, "Загрузка уже идёт или выполнена; исправления не принимаются."))
    return session


def _to_job(session, note: str | None = None):
    """The page of the upload's job (a background confirmation), or the list for anyone but
    the person who started it (a job's page is its owner's only)."""
    job = import_jobs.job_of(session)
    if job is not None and job.user_id == current_user.id:
        if note:
            flash(note, "warning")
        return redirect(url_for("background.status_page", job_id=job.id))
    flash("Этот файл уже загружается в перечень или загружен; исправления не принимаются.", "info")
    return redirect(list_url())


def _header_choices(cells: list[list[str]]) -> list[tuple[int, str]]:
    out = []
    for i, row in enumerate(cells[: imports.HEADER_SEARCH_ROWS]):
        text = " | ".join(v for v in row if v)[:90] or "(пустая строка)"
        out.append((i, f"Строка {i + 1}: {text}"))
    return out


def _options_for(agency, kind: str) -> list[tuple[str, str]]:
    """Every item a question of this kind can be settled with."""
    form = Form(agency.form)
    if kind == "area":
        return [(a["code"], a["name"]) for a in form.activity_areas]
    if kind == "touchpoint":
        return [(t["code"], t["name"]) for t in form.touchpoints]
    if kind == "need":
        return [
            (n["code"], f"{n.get('clause', '')} {n['name']}".strip()) for n in form.client_needs
        ]
    return [(str(s.id), s.name) for s in agency.subdivisions]


NOT_LOADED = {
    "area": "— не загружать строки этого направления —",
    "touchpoint": "— нет в каталоге, оставить как в файле —",
    "need": "— не загружать эту потребность —",
    "subdivision": "— без подразделения —",
}


@bp.route("/list/import/<token>", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ENTRIES)
def preview(token):
    agency = current_agency()
    session = _session_or_404(token)
    if import_jobs.busy(session):
        return _to_job(session)
    if imports.is_expired(session):
        flash("Срок хранения загруженного файла истёк. Загрузите его снова.", "warning")
        return redirect(url_for("transfer.upload"))
    targets = targets_for(Form(agency.form))
    width = max((len(r) for r in session.cells), default=0)
    header = session.cells[session.header_row] if session.cells else []
    header = (header + [""] * width)[:width]
    form = mapping_form(
        header, targets, session.mapping, _header_choices(session.cells), session.header_row
    )
    if request.method == "POST":
        if form.validate_on_submit():
            if form.header_row.data != session.header_row:
                # A new header row: guess the columns afresh from its text.
                mapping = imports.guess_mapping(session.cells[form.header_row.data], targets)
            else:
                mapping = [f.data for f in form.column_fields]
            imports.set_mapping(agency, session, form.header_row.data, mapping)
            imports.update_state(session, mapping_set=True)
            db.session.commit()
            flash("Значения столбцов сохранены, строки проверены заново.", "success")
            return redirect(url_for("transfer.preview", token=token))
        flash("Значения столбцов не сохранены: проверьте выбранное.", "error")
    analysis = imports.analyse_session(agency, session)
    show = request.args.get("show", "") or ("errors" if request.args.get("errors") == "1" else "")
    rows = analysis.rows
    if show == "errors":
        rows = [r for r in rows if r.errors or r.questions]
    elif show == "data":
        rows = [r for r in rows if r.kind == "data"]
    page = Page.of_list(rows, per_page=PREVIEW_PAGE_SIZE)
    return render_template(
        "transfer/preview.html",
        session=session,
        state=session.state or {},
        analysis=analysis,
        plan=analysis.plan,
        page=page,
        show=show,
        form=form,
        header=header,
        column_name=column_name,
        expires=ru_datetime(session.expires_at),
        list_url=list_url(),
        kind_labels=KIND_LABELS,
        how_labels=HOW_LABELS,
        options_for=lambda kind: _options_for(agency, kind),
        not_loaded=NOT_LOADED,
        registrar=current_user.can(Permission.REVIEW_ENTRIES),
        value_text=_value_text(agency, Form(agency.form)),
        field_label=_field_label,
    )


def _field_label(field: str) -> str:
    extra = {
        "touchpoint_code": "Точка из каталога",
        "process_id": "Процесс из реестра процессов",
        "shared_touchpoint_id": "Общая точка региона",
        "subdivision_id": FIELD_LABELS["subdivision"],
        "extra": "Дополнительные графы",
    }
    return extra.get(field) or FIELD_LABELS.get(field, field)


def _value_text(agency, form: Form):
    units = {s.id: s.name for s in agency.subdivisions}
    points = {t["code"]: t["name"] for t in form.touchpoints}
    links = Links.of(agency)
    names = {
        "process_id": {p.id: p.name for p in links.processes.values()},
        "shared_touchpoint_id": {t.id: t.name for t in links.shared.values()},
    }

    def text(field, value):
        if field in names:
            if not value:
                return "не выбран (текстом)"
            return names[field].get(value, "в архиве")
        if field == "subdivision_id":
            return units.get(value, "")
        if field == "touchpoint_code":
            return points.get(value, "нет в каталоге")
        if field == "extra":
            return "; ".join(f"{k}: {v}" for k, v in (value or {}).items())
        if field == "activity_area":
            return form.area_name(value)
        if field == "client_needs":
            return "; ".join(form.need_names(value or []))
        if field == "channel_kind":
            return CHANNEL_LABELS.get(value, value or "")
        if field == "client_kind":
            return CLIENT_LABELS.get(value, value or "")
        return "" if value is None else str(value)

    return text


def _back(token: str):
    return redirect(request.form.get("next") or url_for("transfer.preview", token=token))


@bp.route("/list/import/<token>/settle", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def settle(token):
    session = _session_or_404(token, for_update=True)
    kind = request.form.get("kind", "")
    text = request.form.get("text", "")
    code = request.form.get("code", "")
    if (
        kind not in NOT_LOADED
        or not text
        or code not in {c for c, _ in _options_for(current_agency(), kind)} | {""}
    ):
        flash("Выберите значение из списка.", "error")
        return _back(token)
    imports.settle(session, kind, text, code)
    db.session.commit()
    flash(f"Сопоставление для «{text}» сохранено.", "success")
    return _back(token)


@bp.route("/list/import/<token>/accept", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def accept(token):
    session = _session_or_404(token, for_update=True)
    n = imports.accept_suggestions(current_agency(), session)
    db.session.commit()
    flash(f"Принято предложенных сопоставлений: {n}. Проверьте строки ниже.", "success")
    return _back(token)


@bp.route("/list/import/<token>/rows/<int(max=1000000):index>", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ENTRIES)
def fix_row(token, index):
    agency = current_agency()
    session = _session_or_404(token, for_update=request.method == "POST")
    if index >= len(session.cells):
        abort(404)
    targets = [t for t in targets_for(Form(agency.form)) if t.in_form or t.key in session.mapping]
    row = session.cells[index]
    current = {m: row[c] for c, m in enumerate(session.mapping) if m and c < len(row)}
    current.update(((session.state or {}).get("edits") or {}).get(str(index)) or {})
    if request.method == "POST":
        for t in targets:
            value = request.form.get(f"f_{t.key}")
            if value is not None and value.strip() != (current.get(t.key) or ""):
                imports.fix_cell(session, index, t.key, value)
        db.session.commit()
        flash("Строка исправлена; в файле она останется прежней.", "success")
        return redirect(url_for("transfer.preview", token=token))
    origin = ((session.state or {}).get("origins") or [])[index : index + 1] or [[0, index + 1, ""]]
    return render_template(
        "transfer/fix_row.html",
        session=session,
        targets=targets,
        current=current,
        index=index,
        line=origin[0][1],
    )


@bp.route("/list/import/<token>/rows/<int(max=1000000):index>/skip", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def skip_row(token, index):
    session = _session_or_404(token, for_update=True)
    imports.skip_row(session, index, request.form.get("skip", "1") == "1")
    db.session.commit()
    return _back(token)


@bp.route("/list/import/<token>/options", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def options(token):
    session = _session_or_404(token, for_update=True)
    imports.set_options(
        session,
        apply_changes=request.form.get("apply_changes") == "1",
        exclude_missing=request.form.get("exclude_missing") == "1",
        reason=request.form.get("reason", "")[:1000],
    )
    db.session.commit()
    flash("Выбор сохранён.", "success")
    return _back(token)


@bp.route("/list/import/<token>/confirm", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def confirm(token):
    agency = current_agency()
    session = _session_or_404(token, for_update=True)
    if import_jobs.in_background(session) and not imports.is_expired(session):
        # A large file: applied by a worker in one transaction; the person watches its job.
        job = import_jobs.start(agency, session, current_user.id)
        db.session.commit()
        return redirect(url_for("background.status_page", job_id=job.id))
    try:
        result = imports.confirm(agency, token, current_user.id)
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
        "Изменения отправлены на проверку уполномоченному лицу"
        if result.pending
        else "Изменения внесены в рабочий перечень"
    )
    flash(
        f"Новых строк: {result.added}, изменённых: {result.changed}, исключаемых: "
        f"{result.excluded}, без изменений: {result.unchanged}. {where}; загрузка записана в "
        "журнал изменений.",
        "success",
    )
    return redirect(list_url())


@bp.route("/list/import/<token>/cancel", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def cancel(token):
    session = _session_or_404(token, for_update=True)
    db.session.delete(session)
    db.session.commit()
    flash("Загрузка отменена; перечень не изменён.", "info")
    return redirect(url_for("transfer.upload"))
