"""User management: registrars manage their agency's people, administrators everyone."""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth import sessions
from touchpoints.auth.models import EMAIL_REFUSED, User
from touchpoints.auth.roles import AGENCY_ROLES, Role
from touchpoints.core.db import db
from touchpoints.core.forms import FieldError
from touchpoints.core.tenancy import Subdivision
from touchpoints.lists.policy import REGISTRAR_INVITES
from touchpoints.users import email_change

#: Roles a registrar may give and manage within their agency (the same as they may invite).
REGISTRAR_MANAGED = REGISTRAR_INVITES


class UserError(FieldError):
    pass


def snapshot(user: User) -> dict:
    return audit.values_of(
        user, "email", "name", "role", "active", "agency_id", "region_id", "subdivision_id"
    )


def save_user(user: User, data: dict, *, actor: User) -> tuple[User, str | None]:
    """Change an existing person's data; a new e-mail waits for its mailbox
    (users/email_change.py) and is returned as the second value. New people come by
    invitation, and nobody sets another person's password (touchpoints.invitations)."""
    role = Role(data["role"])
    if actor.role_enum is not Role.ADMIN:
        # A registrar manages the editors and viewers of their own agency. Registrars are
        # appointed by the head (Murmansk 2.2, Kuzbass 3.2), so only the operator creates, changes
        # or resets them: otherwise one registrar could mint or demote another and then review
        # their own submissions.
        if role not in REGISTRAR_MANAGED:
            raise UserError("role", "Эту роль может назначить только администратор")
        if Role(user.role) not in REGISTRAR_MANAGED:
            raise UserError("role", "Данные этого пользователя меняет администратор")
        data["agency_id"] = actor.agency_id
    agency_id = data.get("agency_id") or None
    region_id = data.get("region_id") or None
    subdivision_id = data.get("subdivision_id") or None
    if role in AGENCY_ROLES:
        if not agency_id:
            raise UserError("agency_id", "Укажите организацию")
        region_id = None
    elif role is Role.OFFICE:
        if not region_id:
            raise UserError("region_id", "Укажите регион проектного офиса")
        agency_id = subdivision_id = None
    else:
        agency_id = region_id = subdivision_id = None
    if role is Role.EDITOR:
        if not subdivision_id:
            raise UserError("subdivision_id", "Сотруднику подразделения нужно подразделение")
        sub = db.session.get(Subdivision, subdivision_id)
        if sub is None or sub.agency_id != agency_id:
            raise UserError("subdivision_id", "Подразделение не относится к организации")

    email = data["email"].strip().lower()
    # Only the actor's own people are visible (row-level security), so refusing a clash with
    # one of them tells nothing new. Any other address goes to its mailbox for confirmation
    # and the editor hears the same words whatever it is (docs/security.md, "Account
    # enumeration"); the person keeps the old address until the link is followed.
    clash = db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email))
    if clash and clash != user.id:
        raise UserError("email", EMAIL_REFUSED)
    pending = email if email != user.email.lower() else None

    before = snapshot(user)
    user.name = data["name"].strip()
    user.role = role.value
    user.agency_id, user.region_id, user.subdivision_id = agency_id, region_id, subdivision_id
    db.session.flush()
    b, a = audit.changes(before, snapshot(user))
    if b:
        audit.record("user.update", user, agency_id=agency_id, before=b, after=a)
    if pending:
        email_change.request_change(user, pending, actor=actor)
    return user, pending


def set_active(user: User, active: bool, *, actor: User | None = None) -> None:
    if (
        actor is not None
        and actor.role_enum is not Role.ADMIN
        and Role(user.role) not in REGISTRAR_MANAGED
    ):
        raise UserError("active", "Отключить этого пользователя может только администратор")
    if user.active == active:
        return
    user.active = active
    if not active:
        # Deactivation ends the user's sessions at once.
        sessions.end_all(user)
    audit.record(
        "user.activate" if active else "user.deactivate",
        user,
        agency_id=user.agency_id,
        before={"active": not active},
        after={"active": active},
    )


#: Headings of the people's CSV of users (/users/export.csv), in Russian only.
CSV_HEADER = (
    "Имя",
    "Электронная почта",
    "Роль",
    "Организация",
    "Подразделение",
    "Регион",
    "Учётная запись",
    "Создана",
    "Последний вход",
)


def people_csv(users, moment) -> bytes:
    """The users as a CSV for Excel (core/csvfile.py); ``moment`` writes a time as the viewer
    reads it. Never a password hash or a session: what the users page shows, and two dates."""
    from touchpoints.core import csvfile

    def rows():
        for u in users:
            region = u.region or (u.agency.region if u.agency else None)
            yield [
                u.name,
                u.email,
                u.role_label,
                u.agency.short_name if u.agency else "",
                u.subdivision.name if u.subdivision else "",
                region.name if region else "",
                "активна" if u.active else "отключена",
                moment(u.created_at),
                moment(u.last_login_at) if u.last_login_at else "",
            ]

    return csvfile.for_people(CSV_HEADER, rows())
