import sqlalchemy as sa
from flask import Blueprint, render_template, request

from touchpoints.auth.access import permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.web import Page
from touchpoints.mail.models import MailMessage

bp = Blueprint("mail", __name__, url_prefix="/mail")


@bp.route("/")
@permission_required(Permission.VIEW_OUTBOX)
def outbox():
    """Every message with its delivery state: the demo's outbox and the operator's failure view."""
    q = sa.select(MailMessage).order_by(MailMessage.id.desc())
    status = request.args.get("status")
    if status in {"queued", "sending", "sent"}:
        q = q.where(MailMessage.status == status)
    failing = db.session.scalar(
        sa.select(sa.func.count()).where(
            MailMessage.status != "sent", MailMessage.last_error.is_not(None)
        )
    )
    return render_template("mail/outbox.html", page=Page(q), failing=failing, status=status)


@bp.route("/<int:message_id>")
@permission_required(Permission.VIEW_OUTBOX)
def message(message_id):
    msg = db.get_or_404(MailMessage, message_id)
    return render_template("mail/message.html", msg=msg)
