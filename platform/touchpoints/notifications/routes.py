"""A person's own choice of how they hear of each kind of event."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from touchpoints.core.db import db
from touchpoints.notifications import service
from touchpoints.notifications.kinds import KINDS, MODE_LABELS, allowed_modes

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "POST":
        service.set_modes(current_user, {code: request.form.get(code, "") for code in KINDS})
        db.session.commit()
        flash("Настройки уведомлений сохранены.", "success")
        return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html",
        kinds=list(KINDS.values()),
        modes=service.modes_for(current_user.id),
        mode_labels=MODE_LABELS,
        allowed_modes=allowed_modes,
    )
