"""Approving a version, the versions' pages and their comparison."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from touchpoints.auth.access import current_agency, get_agency_or_404, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.core.web import Page, as_int
from touchpoints.lists import table
from touchpoints.lists.approval import approve_version, changes_since_last
from touchpoints.lists.compliance import check
from touchpoints.lists.diff import compare, renamed_since, row_of, version_rows
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.form import Form
from touchpoints.lists.forms import ApproveForm
from touchpoints.lists.listing import exclusion_reasons
from touchpoints.lists.models import Entry, ListVersion, VersionEntry
from touchpoints.lists.routes.common import bp, flash_error


@bp.route("/list/approve", methods=["GET", "POST"])
@permission_required(Permission.APPROVE_VERSIONS)
def approve():
    agency = current_agency()
    form = Form(agency.form)
    report = check(agency)
    approve_form = ApproveForm(
        data=None
        if request.method == "POST"
        else {
            "order_date": date.today(),
            "signatory_title": agency.head_title,
            "signatory_name": agency.head_name,
        }
    )
    last, diff = changes_since_last(agency)
    if request.method == "POST" and approve_form.validate():
        try:
            version = approve_version(
                agency,
                current_user,
                order_number=approve_form.order_number.data,
                order_date=approve_form.order_date.data,
                signatory_title=approve_form.signatory_title.data.strip(),
                signatory_name=approve_form.signatory_name.data.strip(),
            )
            db.session.commit()
        except ReviewError as exc:
            db.session.rollback()
            flash_error(exc)
        except IntegrityError:
            db.session.rollback()
            flash("Другой пользователь только что утвердил редакцию. Обновите страницу.", "error")
        else:
            flash(f"Утверждена редакция № {version.number}.", "success")
            return redirect(url_for("lists.version", number=version.number))
    count = Entry.working_count(agency.id)
    return render_template(
        "lists/approve.html",
        agency=agency,
        form=form,
        approve_form=approve_form,
        report=report,
        last_version=last,
        diff=diff,
        count=count,
    )


@bp.route("/list/versions/")
@permission_required(Permission.READ_AGENCY)
def versions():
    return _versions_page(current_agency(), readonly=False)


@bp.route("/agencies/<slug>/versions/")
@permission_required(Permission.READ_REGION)
def agency_versions(slug):
    return _versions_page(get_agency_or_404(slug), readonly=True)


def _versions_page(agency: Agency, *, readonly: bool):
    page = Page(
        ListVersion.query_for(agency.id).options(sa.orm.selectinload(ListVersion.approved_by))
    )
    return render_template("lists/versions.html", agency=agency, page=page, readonly=readonly)


def _get_version_or_404(agency: Agency, number: int) -> ListVersion:
    version = ListVersion.by_number(agency.id, number)
    if version is None:
        abort(404)
    return version


def _version_context(agency: Agency, version: ListVersion, *, readonly: bool) -> dict:
    form = Form(version.form)
    entries = db.session.scalars(VersionEntry.of_version(version.id)).all()
    before = ListVersion.previous(agency.id, version.number)
    previous = before.number if before is not None else None
    return {
        "agency": agency,
        "form": form,
        "version": version,
        "title": form.title(agency),
        "table": table.build(form, entries),
        "renamed": renamed_since(entries),
        "previous": previous,
        "readonly": readonly,
    }


@bp.route("/list/versions/<int:number>")
@permission_required(Permission.READ_AGENCY)
def version(number):
    agency = current_agency()
    item = _get_version_or_404(agency, number)
    return render_template("lists/version.html", **_version_context(agency, item, readonly=False))


@bp.route("/agencies/<slug>/versions/<int:number>")
@permission_required(Permission.READ_REGION)
def agency_version(slug, number):
    agency = get_agency_or_404(slug)
    item = _get_version_or_404(agency, number)
    return render_template("lists/version.html", **_version_context(agency, item, readonly=True))


@bp.route("/list/versions/compare")
@permission_required(Permission.READ_AGENCY)
def compare_versions():
    """Two versions, or a version and the working list (``b`` omitted or "working")."""
    agency = current_agency()
    numbers = ListVersion.numbers(agency.id)
    if not numbers:
        flash("Утверждённых редакций пока нет: сравнивать не с чем.", "warning")
        return redirect(url_for("lists.versions"))
    a_arg = request.args.get("a", "")
    b_arg = request.args.get("b", "working")
    a = as_int(a_arg) if a_arg else numbers[0]
    if a not in numbers or (b_arg != "working" and as_int(b_arg) not in numbers):
        flash("Такой редакции нет. Выберите редакции из списка.", "error")
        return redirect(url_for("lists.versions"))
    form = Form(agency.form)
    old_version = _get_version_or_404(agency, a)
    old = version_rows(old_version)
    if b_arg == "working":
        new_version = None
        new = {e.id: row_of(e) for e in Entry.working(agency.id)}
    else:
        new_version = _get_version_or_404(agency, as_int(b_arg))
        new = version_rows(new_version)
        form = Form(new_version.form)
    diff = compare(old, new, form.procedure)
    excluded_ids = [r["_key"] for r in diff.excluded]
    reasons = exclusion_reasons(agency.id, excluded_ids)
    return render_template(
        "lists/compare.html",
        agency=agency,
        form=form,
        numbers=numbers,
        a=a,
        b=b_arg,
        old_version=old_version,
        new_version=new_version,
        diff=diff,
        exclusion_reasons=reasons,
    )
