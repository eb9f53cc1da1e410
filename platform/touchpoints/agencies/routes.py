from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.agencies import onboarding
from touchpoints.agencies.forms import AgencyForm
from touchpoints.agencies.services import AgencyError, create_agency
from touchpoints.audit import labels as audit_labels
from touchpoints.auth.access import current_agency, get_agency_or_404, permission_required
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission, Role
from touchpoints.core import csvfile
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, FormTemplate, Region, Subdivision
from touchpoints.core.web import Page, committed, ru_datetime, viewer_timezone
from touchpoints.lists import audit_queries
from touchpoints.lists import history as describe
from touchpoints.lists.form import Form

bp = Blueprint("agencies", __name__)


def visible_agencies_query():
    office = current_user.role_enum is Role.OFFICE
    return Agency.listed(current_user.region_id if office else None)


@bp.route("/agencies/")
@permission_required(Permission.READ_REGION)
def index():
    agencies = db.session.scalars(visible_agencies_query()).all()
    return render_template("agencies/index.html", agencies=agencies)


def overview_context(agency: Agency) -> dict:
    people = db.session.scalars(User.of_agency(agency.id)).all()
    subdivisions = Subdivision.of_agency(agency.id)
    steps = onboarding.first_steps(agency)
    return {
        "agency": agency,
        "form": Form(agency.form),
        "people": people,
        "subdivisions": subdivisions,
        "first_steps": steps,
        "first_steps_pending": onboarding.pending(steps),
    }


@bp.route("/agencies/<slug>/")
@permission_required(Permission.READ_REGION)
def view(slug):
    agency = get_agency_or_404(slug)
    return render_template("agencies/overview.html", **overview_context(agency), drilldown=True)


@bp.route("/agencies/new", methods=["GET", "POST"])
@permission_required(Permission.CREATE_AGENCY)
def create():
    form = AgencyForm()
    regions = Region.by_name()
    if current_user.role_enum is Role.OFFICE:
        regions = [r for r in regions if r.id == current_user.region_id]
    form.region_id.choices = [(r.id, r.name) for r in regions]
    templates = FormTemplate.by_name()
    form.form_template.choices = [(t.slug, t.name) for t in templates]
    if form.validate_on_submit():
        data = form.data
        if data["region_id"] not in {r.id for r in regions}:
            abort(403)
        with committed(AgencyError, form.slug) as done:
            agency = create_agency(data)
        if done:
            flash(
                f"Организация «{agency.short_name}» создана. Дальше — первые шаги ниже.",
                "success",
            )
            return redirect(url_for("agencies.view", slug=agency.slug))
    return render_template("agencies/new.html", form=form)


@bp.route("/audit/")
@permission_required(Permission.READ_AGENCY)
def audit_log():
    agency = current_agency()
    filters = audit_queries.Filters.from_args(request.args)
    page = Page(audit_queries.events_query(agency, filters, viewer_timezone()))
    return render_template(
        "agencies/audit.html",
        agency=agency,
        page=page,
        filters=filters,
        kinds=audit_queries.KIND_FILTERS,
        actors=audit_queries.actors(agency),
        ctx=audit_queries.context(agency),
        describe=describe,
    )


@bp.route("/audit/export.csv")
@permission_required(Permission.READ_AGENCY)
def audit_export():
    """The same trail for Excel (core/csvfile.py: semicolons, a BOM, Russian headings)."""
    agency = current_agency()
    filters = audit_queries.Filters.from_args(request.args)
    tz = viewer_timezone()
    events = db.session.scalars(audit_queries.events_query(agency, filters, tz))
    ctx = audit_queries.context(agency)

    def rows():
        for e in events:
            lines = describe.changes(e, ctx)
            yield [
                ru_datetime(e.at, tz),
                audit_labels.actor_label(e),
                describe.sentence(e, ctx),
                "\n".join(label for label, _, _ in lines),
                "\n".join(before for _, before, _ in lines),
                "\n".join(after for _, _, after in lines),
                e.comment or "",
            ]

    data = csvfile.for_people(
        ["Когда", "Кто", "Что сделано", "Поле", "Было", "Стало", "Комментарий"], rows()
    )
    return csvfile.attachment(
        data, f"Журнал изменений — {agency.short_name}.csv", f"audit-{agency.slug}.csv"
    )
