"""The working list and the compliance report: the agency's own pages and the office's
read-only drill-down."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from touchpoints.auth.access import current_agency, get_agency_or_404, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.core.web import Page, committed, valid_or_back
from touchpoints.lists import changes, procedures, services, table
from touchpoints.lists.approval import changes_since_last
from touchpoints.lists.compliance import check
from touchpoints.lists.diff import Summary
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.form import Form
from touchpoints.lists.forms import AreaStatusForm
from touchpoints.lists.listing import STATUS_FILTERS, filtered
from touchpoints.lists.models import AreaStatus, Entry, ListVersion
from touchpoints.lists.processes import RegistryChange
from touchpoints.lists.routes.common import bp


def _list_context(agency: Agency, *, readonly: bool) -> dict:
    form = Form(agency.form)
    query, status = filtered(agency.id, form, request.args)
    page = Page(query)
    # Loaded first, so that each entry's subdivision comes from the session, not a query per row.
    subdivisions = Subdivision.of_agency(agency.id)
    rows = table.build(form, page.items, start=(page.page - 1) * page.per_page + 1)
    last = ListVersion.latest(agency.id)
    diff = None
    if last is not None:
        diff = changes.since_last(agency.id, lambda: Summary.of(changes_since_last(agency)[1]))
    added = diff.added if diff is not None else frozenset()
    changed = diff.changed if diff is not None else {}
    return {
        "agency": agency,
        "form": form,
        "title": form.title(agency),
        "page": page,
        "table": rows,
        "subdivisions": subdivisions,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "last_version": last,
        "diff": diff,
        "added": added,
        "changed": changed,
        "readonly": readonly,
        "entry_link": lambda e: url_for("lists.entry", entry_id=e.id),
        # Processes included in or excluded from the registry since the latest approval
        # (Kuzbass 5.3 подп. 1): the list «требует актуализации».
        "registry_pending": RegistryChange.pending(
            agency.id, last.approved_at if last is not None else None
        ),
    }


@bp.route("/list/")
@permission_required(Permission.READ_AGENCY)
def working_list():
    agency = current_agency()
    return render_template("lists/list.html", **_list_context(agency, readonly=False))


@bp.route("/agencies/<slug>/list")
@permission_required(Permission.READ_REGION)
def agency_list(slug):
    agency = get_agency_or_404(slug)
    versions = db.session.scalars(ListVersion.query_for(agency.id).limit(5)).all()
    return render_template(
        "lists/list.html", **_list_context(agency, readonly=True), versions=versions
    )


# --------------------------------------------------------------------------- compliance


@bp.route("/list/check")
@permission_required(Permission.READ_AGENCY)
def check_report():
    return render_template("lists/check.html", **_check_context(current_agency(), readonly=False))


@bp.route("/agencies/<slug>/check")
@permission_required(Permission.READ_REGION)
def agency_check(slug):
    agency = get_agency_or_404(slug)
    return render_template("lists/check.html", **_check_context(agency, readonly=True))


def _check_context(agency: Agency, *, readonly: bool) -> dict:
    form = Form(agency.form)
    report = check(agency)
    statuses = {s.area_code: s for s in AreaStatus.of_agency(agency.id)}
    counts = Entry.working_counts_by_area(agency.id)
    return {
        "agency": agency,
        "form": form,
        "report": report,
        "statuses": statuses,
        "counts": counts,
        "area_form": AreaStatusForm(),
        "area_clause": procedures.clause(form.procedure, "area"),
        "readonly": readonly,
    }


@bp.route("/list/areas", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def area_status():
    agency = current_agency()
    form = AreaStatusForm()
    valid_or_back(
        form,
        "Не удалось сохранить отметку: не указано направление.",
        url_for("lists.check_report"),
    )
    not_performed = form.not_performed.data == "1"
    reason = (form.reason.data or "").strip()
    if not_performed and not reason:
        flash("Укажите, почему направление не осуществляется.", "error")
        return redirect(url_for("lists.check_report"))
    with committed(ReviewError) as done:
        services.set_area_not_performed(agency, form.area_code.data, not_performed, reason)
    if done:
        flash(
            "Направление отмечено как не осуществляемое."
            if not_performed
            else "Отметка снята: направление снова проверяется.",
            "success",
        )
    return redirect(url_for("lists.check_report"))
