import csv
import io

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.agencies.forms import AgencyForm
from touchpoints.agencies.services import AgencyError, create_agency
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.access import current_agency, get_agency_or_404, permission_required
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, FormTemplate, Region
from touchpoints.core.web import Page
from touchpoints.lists.form import Form
from touchpoints.transfer.export import csv_safe

bp = Blueprint("agencies", __name__)


def visible_agencies_query():
    q = sa.select(Agency).join(Region).order_by(Region.name, Agency.short_name)
    if current_user.role_enum is Role.OFFICE:
        q = q.where(Agency.region_id == current_user.region_id)
    return q


@bp.route("/agencies/")
@permission_required(Permission.READ_REGION)
def index():
    agencies = db.session.scalars(visible_agencies_query()).all()
    return render_template("agencies/index.html", agencies=agencies)


def overview_context(agency: Agency) -> dict:
    from touchpoints.core.tenancy import Subdivision

    people = db.session.scalars(
        sa.select(User).where(User.agency_id == agency.id).order_by(User.role, User.name)
    ).all()
    subdivisions = db.session.scalars(
        sa.select(Subdivision).where(Subdivision.agency_id == agency.id).order_by(Subdivision.name)
    ).all()
    return {
        "agency": agency,
        "form": Form(agency.form),
        "people": people,
        "subdivisions": subdivisions,
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
    regions = db.session.scalars(sa.select(Region).order_by(Region.name)).all()
    if current_user.role_enum is Role.OFFICE:
        regions = [r for r in regions if r.id == current_user.region_id]
    form.region_id.choices = [(r.id, r.name) for r in regions]
    templates = db.session.scalars(sa.select(FormTemplate).order_by(FormTemplate.name)).all()
    form.form_template.choices = [(t.slug, t.name) for t in templates]
    if form.validate_on_submit():
        data = form.data
        if data["region_id"] not in {r.id for r in regions}:
            abort(403)
        try:
            agency = create_agency(data)
        except AgencyError as exc:
            form.slug.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Организация «{agency.short_name}» создана.", "success")
            return redirect(url_for("agencies.view", slug=agency.slug))
    return render_template("agencies/new.html", form=form)


def _audit_query(agency: Agency):
    q = sa.select(AuditEvent).where(AuditEvent.agency_id == agency.id)
    action = request.args.get("action", "").strip()
    if action:
        q = q.where(AuditEvent.action.startswith(action))
    return q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@bp.route("/audit/")
@permission_required(Permission.READ_AGENCY)
def audit_log():
    agency = current_agency()
    page = Page(_audit_query(agency).options(sa.orm.selectinload(AuditEvent.actor)))
    return render_template("agencies/audit.html", agency=agency, page=page)


@bp.route("/audit/export.csv")
@permission_required(Permission.READ_AGENCY)
def audit_export():
    agency = current_agency()
    events = db.session.scalars(_audit_query(agency).options(sa.orm.selectinload(AuditEvent.actor)))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        ["when_utc", "actor", "action", "object_type", "object_id", "before", "after", "comment"]
    )
    import json

    for e in events:
        writer.writerow(
            csv_safe(cell)
            for cell in [
                e.at.isoformat(),
                e.actor.email if e.actor else e.actor_label,
                e.action,
                e.object_type,
                e.object_id or "",
                json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
                json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
                e.comment or "",
            ]
        )
    # A BOM so that Excel opens Cyrillic CSV correctly.
    return Response(
        "\ufeff" + buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=audit-{agency.slug}.csv"},
    )
