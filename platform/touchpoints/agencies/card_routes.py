"""The agency card and its units: edited by the operator, the region's project office and the
agency's registrar (``lists.policy.can_edit_agency``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from touchpoints.agencies import services
from touchpoints.agencies.forms import CardForm, UnitForm
from touchpoints.auth.access import get_agency_or_404, get_tenant_object_or_404
from touchpoints.core.db import db
from touchpoints.core.tenancy import Subdivision
from touchpoints.core.web import committed
from touchpoints.lists.policy import can_edit_agency

bp = Blueprint("agency_card", __name__)


def _editable(slug: str):
    agency = get_agency_or_404(slug)
    if not can_edit_agency(current_user, agency):
        abort(403)
    return agency


def _back_to_units(agency):
    return redirect(url_for("agency_card.units", slug=agency.slug))


def _home_of(agency) -> str:
    if current_user.agency_id == agency.id:
        return url_for("home.index")
    return url_for("agencies.view", slug=agency.slug)


@bp.route("/agencies/<slug>/card", methods=["GET", "POST"])
@login_required
def card(slug):
    agency = _editable(slug)
    form = CardForm(obj=agency)
    if form.validate_on_submit():
        with committed(services.AgencyError) as done:
            changed = services.update_card(agency, form.data, actor=current_user)
        if done:
            flash("Карточка сохранена." if changed else "Изменений нет.", "success")
            return redirect(_home_of(agency))
    return render_template(
        "agencies/card.html", agency=agency, form=form, back_url=_home_of(agency)
    )


@bp.route("/agencies/<slug>/form-checked", methods=["POST"])
@login_required
def form_checked(slug):
    agency = _editable(slug)
    services.mark_form_checked(agency, actor=current_user)
    db.session.commit()
    flash("Отмечено: форма перечня проверена.", "success")
    return redirect(_home_of(agency))


@bp.route("/agencies/<slug>/units/", methods=["GET", "POST"])
@login_required
def units(slug):
    agency = _editable(slug)
    form = UnitForm()
    if form.validate_on_submit():
        with committed(services.AgencyError, form.name) as done:
            unit = services.add_unit(agency, form.name.data, form.kind.data, actor=current_user)
        if done:
            flash(f"Добавлено: «{unit.name}».", "success")
            return _back_to_units(agency)
    return render_template(
        "agencies/units.html",
        agency=agency,
        form=form,
        units=Subdivision.of_agency(agency.id),
        back_url=_home_of(agency),
    )


def _unit(slug: str, subdivision_id: int):
    agency = _editable(slug)
    return agency, get_tenant_object_or_404(Subdivision, subdivision_id, agency.id)


@bp.route("/agencies/<slug>/units/<int:subdivision_id>", methods=["POST"])
@login_required
def rename_unit(slug, subdivision_id):
    agency, unit = _unit(slug, subdivision_id)
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 500:
        flash("Укажите наименование не длиннее 500 символов.", "error")
        return _back_to_units(agency)
    with committed(services.AgencyError) as done:
        services.rename_unit(unit, name, actor=current_user)
    if done:
        flash(f"Переименовано: «{unit.name}».", "success")
    return _back_to_units(agency)


@bp.route("/agencies/<slug>/units/<int:subdivision_id>/active", methods=["POST"])
@login_required
def unit_active(slug, subdivision_id):
    agency, unit = _unit(slug, subdivision_id)
    active = request.form.get("active") == "1"
    services.set_unit_active(unit, active, actor=current_user)
    db.session.commit()
    flash(
        f"«{unit.name}»: {'снова действует' if active else 'в архиве'}.",
        "success",
    )
    return _back_to_units(agency)
