"""The region's shared touchpoints: the project office's list, adding and editing one, and the
agencies whose lists use it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.auth.access import current_region, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.tenancy import Region
from touchpoints.core.web import Page, committed, form_status
from touchpoints.lists.labels import CHANNEL_CHOICES
from touchpoints.lists.passports import SharedTouchpoint
from touchpoints.registry import shared
from touchpoints.registry.forms import SharedForm
from touchpoints.registry.services import RegistryError

bp = Blueprint("shared", __name__, url_prefix="/registry/shared")


@bp.route("/")
@permission_required(Permission.READ_REGION)
def index():
    region = current_region()
    items = SharedTouchpoint.of_region(region.id, with_archived=True)
    return render_template(
        "registry/shared_index.html",
        region=region,
        page=Page.of_list(items),
        counts=shared.usage_counts(region.id),
        kinds=CHANNEL_CHOICES,
        regions=Region.by_name() if current_user.can(Permission.MANAGE_ALL) else [],
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.READ_REGION)
def new():
    region = current_region()
    form = SharedForm()
    if form.validate_on_submit():
        with committed(RegistryError, form.name) as done:
            item = shared.create(region, current_user, form.data)
        if done:
            flash(f"Общая точка «{item.name}» добавлена.", "success")
            return redirect(
                url_for("shared.item", shared_touchpoint_id=item.id, region=region.slug)
            )
    return render_template(
        "registry/shared_form.html", form=form, item=None, region=region, uses=[]
    ), form_status(form)


@bp.route("/<int:shared_touchpoint_id>", methods=["GET", "POST"])
@permission_required(Permission.READ_REGION)
def item(shared_touchpoint_id):
    region = current_region()
    found = SharedTouchpoint.in_region(shared_touchpoint_id, region.id)
    if found is None:
        abort(404)
    form = SharedForm(obj=None if request.method == "POST" else found)
    if form.validate_on_submit():
        archived = {"archive": True, "restore": False}.get(request.form.get("action", ""))
        with committed(RegistryError, form.name) as done:
            shared.update(found, current_user, form.data, archived=archived)
        if done:
            flash("Общая точка сохранена.", "success")
            return redirect(url_for("shared.index", region=region.slug))
    return render_template(
        "registry/shared_form.html",
        form=form,
        item=found,
        region=region,
        uses=shared.usage(found),
    ), form_status(form)
