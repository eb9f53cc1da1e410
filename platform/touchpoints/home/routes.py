from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from touchpoints.agencies.routes import overview_context, visible_agencies_query
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.core.tenancy import Region

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return dashboard()


@login_required
def dashboard():
    role = current_user.role_enum
    if role is Role.ADMIN:
        counts = Region.agency_counts()
        users = User.counts_by_region()
        regions = Region.by_name()
        agencies = db.session.scalars(visible_agencies_query()).all()
        return render_template(
            "home/admin.html", regions=regions, counts=counts, users=users, agencies=agencies
        )
    if role is Role.OFFICE:
        # The project office's home is its region's dashboard (issue 6).
        return redirect(url_for("dashboard.region"))
    return render_template(
        "agencies/overview.html", **overview_context(current_user.agency), drilldown=False
    )
