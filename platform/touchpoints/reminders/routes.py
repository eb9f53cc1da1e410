"""People's reminders and their settings; the agency's (and region's default) policy."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region
from touchpoints.core.web import Page
from touchpoints.deadlines.models import DeadlineKind, Reminder
from touchpoints.reminders import services
from touchpoints.reminders.forms import OptOutForm, PolicyForm

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


STEP_LABELS = {"before": "заранее", "due": "в день срока", "after": "после срока"}


@bp.app_template_filter("reminder_step")
def reminder_step(step: str) -> str:
    name, _, n = step.partition(":")
    label = STEP_LABELS.get(name, step)
    return f"{label} ({n} раб. дн.)" if n else label


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = OptOutForm()
    form.muted.choices = [(k.value, k.label) for k in DeadlineKind]
    if form.validate_on_submit():
        services.set_opt_outs(current_user, set(form.muted.data or []))
        db.session.commit()
        flash("Настройки напоминаний сохранены.", "success")
        return redirect(url_for("reminders.index"))
    if not form.is_submitted():
        form.muted.data = sorted(services.opt_outs(current_user.id))
    # A person's own reminders: office staff hear about several agencies, so their own rows
    # are read by user id under the system scope, never other people's.
    with scoped(SYSTEM_SCOPE):
        page = Page(Reminder.of_user(current_user.id))
        names = Agency.short_names(r.agency_id for r in page.items)
        items = [(r, r.deadline, names.get(r.agency_id, "")) for r in page.items]
    return render_template("reminders/index.html", page=page, items=items, form=form)


def _policy_target():
    """(agency_id, region, title) for the policy page: an agency's own, or a region's default."""
    if current_user.can(Permission.MANAGE_ALL):
        region = Region.by_slug(request.args.get("region", ""))
        if region is None:
            region = db.session.scalar(Region.ordered().limit(1))
        if region is None:
            abort(404)
        return None, region, f"Напоминания по умолчанию — {region.name}"
    if current_user.can(Permission.APPROVE_VERSIONS):
        agency = current_agency()
        return agency.id, agency.region, f"Напоминания — {agency.short_name}"
    abort(403)


@bp.route("/policy", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ALL, Permission.APPROVE_VERSIONS)
def policy():
    agency_id, region, title = _policy_target()
    row = services.policy_row(agency_id=agency_id, region_id=region.id)
    form = PolicyForm()
    if not form.is_submitted():
        form.before_days.data = ", ".join(
            str(d) for d in sorted(row.before_days or [], reverse=True)
        )
        form.on_day.data = row.on_day
        form.after_days.data = ", ".join(str(d) for d in sorted(row.after_days or []))
        form.send_hour.data = row.send_hour
    if form.validate_on_submit():
        from touchpoints.audit import service as audit

        before = {
            "before_days": row.before_days,
            "on_day": row.on_day,
            "after_days": row.after_days,
            "send_hour": row.send_hour,
        }
        row.before_days = form.before_days.days()
        row.on_day = bool(form.on_day.data)
        row.after_days = form.after_days.days()
        row.send_hour = form.send_hour.data
        db.session.add(row)
        db.session.flush()
        audit.record(
            "reminders.policy",
            row,
            agency_id=agency_id,
            before=before,
            after={
                "before_days": row.before_days,
                "on_day": row.on_day,
                "after_days": row.after_days,
                "send_hour": row.send_hour,
            },
        )
        db.session.commit()
        flash("Порядок напоминаний сохранён.", "success")
        args = {} if agency_id else {"region": region.slug}
        return redirect(url_for("reminders.policy", **args))
    regions = Region.by_name() if agency_id is None else []
    status = 400 if form.is_submitted() else 200
    return render_template(
        "reminders/policy.html",
        form=form,
        title=title,
        region=region,
        regions=regions,
        agency_id=agency_id,
    ), status
