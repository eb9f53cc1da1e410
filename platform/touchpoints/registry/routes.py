"""The registry of processes: the list with search, adding, editing, archiving, the XLSX import."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.auth.access import (
    current_agency,
    get_agency_or_404,
    get_tenant_object_or_404,
    permission_required,
)
from touchpoints.auth.roles import Permission
from touchpoints.core.web import Page, committed, form_status, valid_or_back
from touchpoints.lists.processes import PROCESS_KIND_LABELS, RegistryProcess
from touchpoints.registry import importer, services
from touchpoints.registry.forms import ArchiveForm, ConfirmImportForm, ImportForm, ProcessForm
from touchpoints.registry.listing import filtered

bp = Blueprint("registry", __name__, url_prefix="/registry")


@bp.context_processor
def _kinds() -> dict:
    # Every page of the registry names the kinds of process alike (lists.processes).
    return {"kinds": PROCESS_KIND_LABELS}


@bp.route("/")
@permission_required(Permission.READ_AGENCY)
def index():
    return _registry_page(current_agency(), can_edit=current_user.can(Permission.REVIEW_ENTRIES))


@bp.route("/agencies/<slug>")
@permission_required(Permission.READ_REGION)
def agency_registry(slug):
    """The project office's read-only view of an agency's registry (its region only)."""
    return _registry_page(get_agency_or_404(slug), can_edit=False, readonly=True)


def _registry_page(agency, **access):
    """The registry list of ``agency``, filtered by the query string; ``access`` says who may edit."""
    query, filters = filtered(agency.id, request.args)
    return render_template(
        "registry/index.html",
        agency=agency,
        page=Page(query),
        filters=filters,
        areas={a["code"]: a["name"] for a in agency.form.get("activity_areas", [])},
        pending=services.pending_changes(agency.id),
        **access,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def new_process():
    agency = current_agency()
    form = ProcessForm().with_areas(agency)
    if form.validate_on_submit():
        with committed(services.RegistryError, form.name) as done:
            process = services.add_process(agency, current_user, form.values())
        if done:
            flash(f"«{process.name}» включён в реестр процессов.", "success")
            return redirect(url_for("registry.index"))
    return render_template("registry/process_form.html", form=form, process=None), form_status(form)


@bp.route("/<int:registry_process_id>", methods=["GET", "POST"])
@permission_required(Permission.READ_AGENCY)
def process(registry_process_id):
    agency = current_agency()
    item = get_tenant_object_or_404(RegistryProcess, registry_process_id, agency.id)
    form = ProcessForm(obj=None if request.method == "POST" else _form_data(item))
    form.with_areas(agency)
    if request.method == "POST":
        if not current_user.can(Permission.REVIEW_ENTRIES):
            abort(403)
        if form.validate_on_submit():
            with committed(services.RegistryError, form.name) as done:
                services.update_process(item, current_user, form.values())
            if done:
                flash("Сведения о процессе сохранены.", "success")
                return redirect(url_for("registry.index"))
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "registry/process_form.html",
        form=form,
        process=item,
        archive_form=ArchiveForm(),
        can_edit=current_user.can(Permission.REVIEW_ENTRIES),
    ), status


def _form_data(item: RegistryProcess):
    class Data:
        kind = item.kind
        name = item.name
        code = item.code
        activity_area = item.activity_area
        life_situations = "\n".join(item.life_situations or [])

    return Data


@bp.route("/<int:registry_process_id>/archive", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def archive(registry_process_id):
    agency = current_agency()
    item = get_tenant_object_or_404(RegistryProcess, registry_process_id, agency.id)
    form = ArchiveForm()
    valid_or_back(
        form,
        "Укажите, почему процесс исключается из реестра.",
        url_for("registry.process", registry_process_id=item.id),
    )
    with committed(services.RegistryError) as done:
        calls = services.archive_process(item, current_user, form.reason.data)
    if not done:
        return redirect(url_for("registry.process", registry_process_id=item.id))
    flash(
        f"«{item.name}» исключён из реестра. "
        + (
            "Перечень требует актуализации: исключите или измените строки с этим процессом."
            if calls
            else "В перечне нет строк с этим процессом."
        ),
        "warning" if calls else "success",
    )
    return redirect(url_for("registry.index"))


@bp.route("/<int:registry_process_id>/restore", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def restore(registry_process_id):
    agency = current_agency()
    item = get_tenant_object_or_404(RegistryProcess, registry_process_id, agency.id)
    with committed(services.RegistryError) as done:
        services.restore_process(item, current_user)
    if done:
        flash(f"«{item.name}» снова в реестре процессов.", "success")
    return redirect(url_for("registry.index"))


# --------------------------------------------------------------------------- import


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def import_file():
    agency = current_agency()
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("registry/import.html", form=form, plan=None), form_status(form)
    plan = importer.read(agency, form.file.data.read())
    token = None
    if plan.ok:
        token = importer.to_token(agency, plan, current_app.config["SECRET_KEY"])
    return render_template(
        "registry/import.html",
        form=form,
        plan=plan,
        confirm=ConfirmImportForm(token=token),
    ), (200 if plan.ok else 400)


@bp.route("/import/confirm", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def import_confirm():
    agency = current_agency()
    form = ConfirmImportForm()
    valid_or_back(
        form, "Подтверждение устарело: загрузите файл заново.", url_for("registry.import_file")
    )
    with committed(services.RegistryError) as done:
        plan = importer.from_token(agency, form.token.data, current_app.config["SECRET_KEY"])
        counts = importer.apply(agency, current_user, plan)
    if not done:
        return redirect(url_for("registry.import_file"))
    flash(
        f"Реестр загружен: добавлено {counts['add']}, изменено {counts['update']}, "
        f"возвращено {counts['restore']}, без изменений {counts['same']}.",
        "success",
    )
    return redirect(url_for("registry.index"))
