"""Who may do what with a list: one public predicate per rule (Indico's ``can_manage`` style).

Services enforce these predicates (:func:`require` raises :class:`~touchpoints.lists.errors.ReviewError`
with the reason), views and templates ask them to show only the actions that will work (they are
Jinja globals), and the importer asks :func:`registrar_acts_alone` for the four-eyes rule. Nothing
else decides these questions, so a rule changes in one place.

A predicate returns a :class:`Verdict`: true when allowed, otherwise false with the reason a
person reads.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import db
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.models import Entry, EntryKind, EntryStatus

#: Statuses of an entry or proposal that is not (yet) part of the working list.
OPEN = (EntryStatus.DRAFT.value, EntryStatus.SUBMITTED.value, EntryStatus.RETURNED.value)
#: Statuses after which an entry is closed for edits.
CLOSED = (EntryStatus.APPLIED.value, EntryStatus.WITHDRAWN.value, EntryStatus.EXCLUDED.value)


@dataclasses.dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)


def _deny(reason: str) -> Verdict:
    return Verdict(False, reason)


def require(verdict: Verdict) -> None:
    """Raise the verdict's reason as a ReviewError when it does not allow."""
    if not verdict:
        raise ReviewError(verdict.reason)


def _same_subdivision(user: User, subdivision_id: int | None) -> Verdict:
    if user.role_enum is Role.EDITOR and subdivision_id != user.subdivision_id:
        return _deny("Сотрудник подразделения готовит сведения только своего подразделения")
    return ALLOWED


def can_create(user: User, agency_id: int, subdivision_id: int | None = None) -> Verdict:
    """Prepare a new entry of the user's agency (an editor: of their own subdivision)."""
    if not user.can(Permission.EDIT_ENTRIES) or user.agency_id != agency_id:
        return _deny("Нет прав на подготовку сведений")
    return _same_subdivision(user, subdivision_id)


def can_edit(user: User, entry: Entry) -> Verdict:
    """Change an entry in place: the registrar any open or included row, an editor a draft or
    a returned row of their subdivision (an included row they change by a proposal)."""
    if user.agency_id != entry.agency_id:
        return _deny("Строка другой организации")
    if user.can(Permission.REVIEW_ENTRIES):
        if entry.status in CLOSED:
            return _deny("Эта строка закрыта для изменений")
        return ALLOWED
    if not user.can(Permission.EDIT_ENTRIES):
        return _deny("Нет прав на изменение")
    if entry.status not in (EntryStatus.DRAFT.value, EntryStatus.RETURNED.value):
        return _deny("Изменять можно только черновик или возвращённую строку; предложите изменение")
    return _same_subdivision(user, entry.subdivision_id)


def can_submit(user: User, entry: Entry) -> Verdict:
    if entry.status not in (EntryStatus.DRAFT.value, EntryStatus.RETURNED.value):
        return _deny("Отправить на проверку можно черновик или возвращённую строку")
    return can_edit(user, entry)


def can_withdraw(user: User, entry: Entry) -> Verdict:
    """The author drops an entry or proposal that is not yet in the list (also once submitted)."""
    if entry.status not in OPEN:
        return _deny("Отозвать можно только неподтверждённую строку")
    if user.agency_id != entry.agency_id or not user.can(Permission.EDIT_ENTRIES):
        return _deny("Нет прав на изменение")
    if user.id not in (entry.created_by_id, entry.submitted_by_id):
        return _deny("Отозвать строку может только её автор; уполномоченное лицо её возвращает")
    return ALLOWED


def _is_registrar_of(user: User, agency_id: int) -> bool:
    return user.can(Permission.REVIEW_ENTRIES) and user.agency_id == agency_id


def registrar_acts_alone(agency_id: int) -> bool:
    """The agency has at most one active registrar: the four-eyes rule cannot apply and what
    they include themselves is recorded as such (Murmansk 2.2, Kuzbass 3.3)."""
    return User.count_in_agency(agency_id, Role.REGISTRAR) <= 1


def _edited_since_submission(user: User, entry: Entry) -> bool:
    """A registrar who rewrote a submitted entry is its author for the four-eyes rule."""
    q = sa.select(AuditEvent.id).where(
        AuditEvent.agency_id == entry.agency_id,
        AuditEvent.object_type == Entry.__tablename__,
        AuditEvent.object_id == str(entry.id),
        AuditEvent.action == "entry.update",
        AuditEvent.actor_id == user.id,
    )
    if entry.submitted_at is not None:
        q = q.where(AuditEvent.at >= entry.submitted_at)
    return db.session.scalar(q.limit(1)) is not None


def is_own(user: User, entry: Entry) -> bool:
    """The user submitted the entry (or created it unsubmitted) or edited it after submission."""
    return (
        entry.submitted_by_id == user.id
        or (entry.submitted_by_id is None and entry.created_by_id == user.id)
        or _edited_since_submission(user, entry)
    )


def can_include(user: User, entry: Entry) -> Verdict:
    """Include an entry, change or exclusion into the working list (Murmansk 2.2.3, Kuzbass
    3.3.3). Four eyes: a registrar never includes their own submission or one they edited
    after submission, unless they are the only registrar — :func:`includes_alone` says when
    that is the case, and the service records it."""
    if not _is_registrar_of(user, entry.agency_id):
        return _deny("Включать и возвращать сведения может только уполномоченное лицо")
    if entry.status not in OPEN:
        return _deny("Эта строка не ждёт включения")
    if entry.status != EntryStatus.SUBMITTED.value and entry.created_by_id != user.id:
        return _deny("Чужой черновик включается после отправки на проверку")
    if is_own(user, entry) and not registrar_acts_alone(entry.agency_id):
        return _deny("Свою строку включает другое уполномоченное лицо")
    return ALLOWED


def includes_alone(user: User, entry: Entry) -> bool:
    """An allowed inclusion of the registrar's own entry: they are the only registrar."""
    return is_own(user, entry)


def can_return(user: User, entry: Entry) -> Verdict:
    if not _is_registrar_of(user, entry.agency_id):
        return _deny("Включать и возвращать сведения может только уполномоченное лицо")
    if entry.status != EntryStatus.SUBMITTED.value:
        return _deny("Вернуть можно только строку, ожидающую проверки")
    return ALLOWED


def can_propose(user: User, entry: Entry, open_proposal: Entry | None = None) -> Verdict:
    """Propose a change to or an exclusion of an included entry (Murmansk 2.2.4, Kuzbass 3.4).

    ``open_proposal`` is the entry's open proposal when the caller has already read it."""
    if entry.status != EntryStatus.INCLUDED.value or entry.kind != EntryKind.NEW.value:
        return _deny("Изменить или исключить можно только строку, включённую в перечень")
    verdict = can_create(user, entry.agency_id, entry.subdivision_id)
    if not verdict:
        return verdict
    if open_proposal is None:
        open_proposal = Entry.open_proposal_for(entry.id)
    if open_proposal is not None:
        return _deny("По этой строке уже есть неподтверждённое предложение")
    return ALLOWED


def excludes_directly(user: User, agency_id: int) -> bool:
    """A registrar acting alone carries out an exclusion at once; otherwise it is reviewed."""
    return _is_registrar_of(user, agency_id) and registrar_acts_alone(agency_id)


def can_mark_areas(user: User, agency_id: int) -> Verdict:
    if not _is_registrar_of(user, agency_id):
        return _deny("Отмечать направления может только уполномоченное лицо")
    return ALLOWED


def can_approve(user: User, agency_id: int) -> Verdict:
    """Approve the working list as a version by an order (Murmansk 2.2, Kuzbass 3.3)."""
    if not user.can(Permission.APPROVE_VERSIONS) or user.agency_id != agency_id:
        return _deny("Утверждать перечень может только уполномоченное лицо")
    return ALLOWED


def can_edit_form(user: User, agency) -> Verdict:
    """Edit the agency's own form and procedure (issue 12): the administrator, the project office
    of the agency's region, the agency's registrar."""
    if user.can(Permission.EDIT_FORM) and _manages_agency(user, agency):
        return ALLOWED
    return _deny(
        "Форму перечня изменяют уполномоченное лицо организации, проектный офис и администратор"
    )


def edits_within_region(user: User) -> bool:
    """The registrar changes the form only within what the region's template sets (required
    columns, rules and norms: touchpoints.tenants.checks); the office and the administrator set
    it."""
    return user.role_enum is Role.REGISTRAR


def can_edit_templates(user: User) -> Verdict:
    """Shared form templates are the administrator's."""
    if user.role_enum is not Role.ADMIN:
        return _deny("Общие шаблоны форм изменяет администратор")
    return ALLOWED


# --------------------------------------------------------------------------- the agency itself

#: Roles a registrar may invite into their agency: registrars are appointed by the head
#: (Murmansk 2.2, Kuzbass 3.2), so one registrar never mints another.
REGISTRAR_INVITES = frozenset({Role.EDITOR, Role.VIEWER})
#: Roles anyone may be invited with: the agency's own people.
INVITABLE = (Role.REGISTRAR, Role.EDITOR, Role.VIEWER)


def _manages_agency(user: User, agency) -> bool:
    """The operator; the project office of the agency's region; the agency's registrar."""
    role = user.role_enum
    if role is Role.ADMIN:
        return True
    if role is Role.OFFICE:
        return agency.region_id == user.region_id
    return role is Role.REGISTRAR and user.agency_id == agency.id


def can_edit_agency(user: User, agency) -> Verdict:
    """Change the agency's card (names in their cases, head, city, site, legal basis) and its
    subdivisions and subordinate organisations."""
    if not _manages_agency(user, agency):
        return _deny(
            "Карточку организации меняют администратор, проектный офис региона и её уполномоченное лицо"
        )
    return ALLOWED


def invitable_roles(user: User, agency) -> list[Role]:
    """The roles ``user`` may invite people into ``agency`` with (empty: none)."""
    if not _manages_agency(user, agency):
        return []
    if user.role_enum is Role.REGISTRAR:
        return [r for r in INVITABLE if r in REGISTRAR_INVITES]
    return list(INVITABLE)


def can_invite(user: User, agency, role: Role | str) -> Verdict:
    """Invite a person into ``agency`` with ``role``: the operator and the region's project
    office any of the agency's roles, the agency's registrar editors and viewers."""
    if not _manages_agency(user, agency):
        return _deny("Приглашать в эту организацию вы не можете")
    if Role(role) not in invitable_roles(user, agency):
        return _deny("Эту роль может назначить только администратор или проектный офис")
    return ALLOWED


#: Registered as Jinja globals (see touchpoints.lists.init_app).
TEMPLATE_GLOBALS = {
    name: globals()[name]
    for name in (
        "can_edit",
        "can_submit",
        "can_withdraw",
        "can_include",
        "can_return",
        "can_propose",
        "can_approve",
        "can_edit_form",
        "can_edit_agency",
        "can_invite",
        "invitable_roles",
    )
}
