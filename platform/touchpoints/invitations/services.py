"""Inviting people: the mail with a one-time link, resending, revoking, accepting.

Services flush; the edge commits, and the mail is delivered only after that commit
(``queue_mail`` enqueues its delivery through ``touchpoints.jobs``). Every write happens in the
invited agency's own scope: the project office reads its region but writes only there.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask import current_app

from touchpoints.audit import service as audit
from touchpoints.auth.models import EMAIL_REFUSED, User
from touchpoints.auth.roles import Role
from touchpoints.core.db import agency_scope, db, scoped, set_scope, utcnow
from touchpoints.core.forms import FieldError
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.invitations.models import (
    VALID_FOR,
    Invitation,
    InvitationStatus,
    lookup_link,
    new_link,
)
from touchpoints.lists.policy import can_invite
from touchpoints.mail.service import queue_mail
from touchpoints.notifications.service import absolute_url

#: What a dead link says, by why it is dead.
DEAD_LINK = {
    InvitationStatus.ACCEPTED: (
        "По этой ссылке уже задан пароль. Войдите со своей почтой и паролем; если вы его "
        "забыли, обратитесь к уполномоченному лицу или администратору."
    ),
    InvitationStatus.REVOKED: (
        "Это приглашение отозвано. Если оно вам нужно, попросите пригласившего отправить новое."
    ),
    InvitationStatus.EXPIRED: (
        "Срок действия ссылки истёк (она действует 7 дней). Попросите пригласившего отправить "
        "приглашение повторно."
    ),
}
FORGED_LINK = (
    "Ссылка недействительна: такого приглашения нет. Возможно, ссылка скопирована не целиком "
    "или приглашение отправлено повторно — тогда действует только ссылка из последнего письма."
)


class InvitationError(FieldError):
    pass


def _snapshot(inv: Invitation) -> dict:
    return audit.values_of(inv, "email", "name", "role", "subdivision_id")


def invite(
    agency: Agency,
    email: str,
    role: Role | str,
    *,
    actor: User | None,
    name: str = "",
    subdivision_id: int | None = None,
) -> Invitation:
    """A new invitation and its mail. ``actor`` None: the operator's command line."""
    role = Role(role)
    _require_can_invite(actor, agency, role)
    email = (email or "").strip().lower()
    if "@" not in email:
        raise InvitationError("email", "Укажите адрес электронной почты")
    with scoped(agency_scope(agency.id)):
        if role is Role.EDITOR:
            sub = db.session.get(Subdivision, subdivision_id) if subdivision_id else None
            if sub is None or sub.agency_id != agency.id:
                raise InvitationError(
                    "subdivision_id", "Сотруднику подразделения нужно подразделение организации"
                )
            if not sub.active:
                raise InvitationError("subdivision_id", "Это подразделение в архиве")
        else:
            subdivision_id = None
        if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email)):
            raise InvitationError("email", EMAIL_REFUSED)
        if Invitation.open_for(agency.id, email) is not None:
            raise InvitationError(
                "email",
                "На эту почту уже отправлено приглашение, срок которого не истёк. "
                "Отправьте его повторно из списка приглашений.",
            )
        raw, link = new_link(VALID_FOR)
        inv = Invitation(
            agency_id=agency.id,
            email=email,
            name=(name or "").strip(),
            role=role.value,
            subdivision_id=subdivision_id,
            invited_by_id=getattr(actor, "id", None),
            **link,
        )
        db.session.add(inv)
        db.session.flush()
        audit.record(
            "invitation.create",
            inv,
            after=_snapshot(inv),
            actor=actor,
            actor_label=None if actor else "cli",
        )
        _send(agency, inv, raw, actor)
        db.session.flush()
    return inv


def resend(inv: Invitation, *, actor: User | None) -> Invitation:
    """A new link (and seven more days); the old link stops working at once."""
    agency = _managed_agency(inv, actor)
    if inv.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise InvitationError("status", "Принятое или отозванное приглашение не отправляют снова")
    with scoped(agency_scope(agency.id)):
        raw, link = new_link(VALID_FOR)
        inv.token_hash, inv.expires_at = link["token_hash"], link["expires_at"]
        inv.sent_count += 1
        audit.record("invitation.resend", inv, after={"email": inv.email}, actor=actor)
        _send(agency, inv, raw, actor)
        db.session.flush()
    return inv


def revoke(inv: Invitation, *, actor: User | None) -> None:
    agency = _managed_agency(inv, actor)
    if inv.status is InvitationStatus.ACCEPTED:
        raise InvitationError("status", "Приглашение уже принято: отключите учётную запись")
    if inv.revoked_at is not None:
        return
    with scoped(agency_scope(agency.id)):
        inv.revoked_at = utcnow()
        audit.record("invitation.revoke", inv, before={"email": inv.email}, actor=actor)
        db.session.flush()


def _require_can_invite(actor: User | None, agency: Agency, role: Role | str) -> None:
    """Refuses unless ``actor`` may invite (and so manage invitations of) ``role`` to ``agency``;
    the operator's command line (None) may."""
    if actor is not None:
        verdict = can_invite(actor, agency, role)
        if not verdict:
            raise InvitationError("role", verdict.reason)


def _managed_agency(inv: Invitation, actor: User | None) -> Agency:
    """The invitation's agency, when ``actor`` may manage invitations of its role there."""
    agency = db.session.get(Agency, inv.agency_id)
    _require_can_invite(actor, agency, inv.role)
    return agency


def _send(agency: Agency, inv: Invitation, raw: str, actor: User | None) -> None:
    link = absolute_url("invitations.accept", token=raw)
    context = {
        "agency": agency,
        "invitation": inv,
        "link": link,
        "inviter": actor.name if actor is not None else "",
        "valid_days": VALID_FOR.days,
    }
    queue_mail(
        inv.email,
        f"Приглашение в реестр перечней: {agency.short_name}",
        # The environment itself, not render_template: the command line has no request, so no
        # signed-in user for the page context processors.
        current_app.jinja_env.get_template("email/invitation.txt").render(**context),
        agency_id=agency.id,
    )


# --------------------------------------------------------------------------- the link


@dataclasses.dataclass(frozen=True)
class Found:
    """What a link leads to: the invitation (read in its agency's scope), or why nothing."""

    invitation: Invitation | None
    problem: str = ""


def find(raw_token: str) -> Found:
    """The invitation behind a link. Before any scope is known the table is unreadable, so
    the token's hash goes through ``invitation_lookup()``; the row itself is then read in
    its agency's scope, which the caller keeps for what follows."""
    found = lookup_link("invitation_lookup", raw_token, _by_hash)
    inv = None
    if found is not None:
        set_scope(agency_scope(found.agency_id))
        inv = db.session.get(Invitation, found.id)
    if inv is None:
        return Found(None, FORGED_LINK)
    status = inv.status
    if status is not InvitationStatus.PENDING:
        return Found(inv, DEAD_LINK[status])
    return Found(inv)


def _by_hash(token_hash: str) -> sa.Select:
    return sa.select(Invitation.id, Invitation.agency_id).where(Invitation.token_hash == token_hash)


def accept(inv: Invitation, name: str, password: str) -> User:
    """The person's account with the password they chose; the invitation is used up. Runs in
    the invitation's agency scope (``find`` set it)."""
    if inv.status is not InvitationStatus.PENDING:
        raise InvitationError("password", DEAD_LINK.get(inv.status, FORGED_LINK))
    user = User(
        email=inv.email,
        name=(name or inv.name or inv.email).strip(),
        role=inv.role,
        agency_id=inv.agency_id,
        subdivision_id=inv.subdivision_id,
    )
    user.set_password(password)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # The address got an account elsewhere meanwhile (the unique login).
        if user in db.session:
            db.session.expunge(user)
        raise InvitationError("password", EMAIL_REFUSED) from None
    inv.accepted_at = utcnow()
    inv.user_id = user.id
    audit.record(
        "user.create",
        user,
        agency_id=inv.agency_id,
        after={"email": user.email, "name": user.name, "role": user.role},
        actor=user,
    )
    audit.record("invitation.accept", inv, actor=user)
    db.session.flush()
    return user
