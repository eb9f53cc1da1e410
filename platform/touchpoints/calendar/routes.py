"""The operator's calendar page: a year per region, and the region's overrides."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.auth.access import permission_required
from touchpoints.auth.roles import Permission, Role
from touchpoints.calendar import services
from touchpoints.calendar.forms import OverrideForm
from touchpoints.calendar.models import CalendarOverride
from touchpoints.core.db import db
from touchpoints.core.tenancy import Region
from touchpoints.core.web import Page, committed

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _regions() -> list[Region]:
    office = current_user.role_enum is Role.OFFICE
    return list(db.session.scalars(Region.ordered(current_user.region_id if office else None)))


def _page(form: OverrideForm | None = None, status: int = 200):
    regions = _regions()
    if not regions:
        abort(404)
    slug = request.values.get("region") or regions[0].slug
    region = next((r for r in regions if r.slug == slug), None)
    if region is None:
        abort(404)
    try:
        year = int(request.args.get("year") or date.today().year)
        report = services.year_report(year, region.id)
    except (ValueError, services.CalendarError):
        year = date.today().year
        report = services.year_report(year, region.id)
    return render_template(
        "calendar/index.html",
        regions=regions,
        region=region,
        year=year,
        report=report,
        overrides=Page(CalendarOverride.of_region(region.id)),
        form=form or OverrideForm(),
        can_edit=current_user.can(Permission.MANAGE_ALL),
    ), status


@bp.route("/")
@permission_required(Permission.READ_REGION)
def index():
    return _page()


@bp.route("/overrides", methods=["POST"])
@permission_required(Permission.MANAGE_ALL)
def add_override():
    form = OverrideForm()
    region = Region.by_slug(request.form.get("region"))
    if region is None:
        abort(404)
    if form.validate_on_submit():
        with committed(services.CalendarError, form.day) as done:
            services.add_override(
                region.id,
                form.day.data,
                form.is_working.data == "1",
                form.note.data or "",
                user_id=current_user.id,
            )
        if done:
            flash("Исключение календаря сохранено.", "success")
            return redirect(url_for("calendar.index", region=region.slug, year=form.day.data.year))
    return _page(form, status=400)


@bp.route("/overrides/<int:override_id>/delete", methods=["POST"])
@permission_required(Permission.MANAGE_ALL)
def delete_override(override_id: int):
    row = db.get_or_404(CalendarOverride, override_id)
    slug, year = row.region.slug, row.day.year
    services.delete_override(row)
    db.session.commit()
    flash("Исключение удалено.", "success")
    return redirect(url_for("calendar.index", region=slug, year=year))
