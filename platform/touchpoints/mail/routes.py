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
    status = request.args.get("status")
    if status not in {"queued", "sending", "sent"}:
        status = None
    q = MailMessage.listed(status)
    failing = MailMessage.failing_count()
    return render_template("mail/outbox.html", page=Page(q), failing=failing, status=status)


@bp.route("/<int:message_id>")
@permission_required(Permission.VIEW_OUTBOX)
def message(message_id):
    msg = db.get_or_404(MailMessage, message_id)
    return render_template("mail/message.html", msg=msg)
