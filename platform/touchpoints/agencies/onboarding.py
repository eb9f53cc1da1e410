"""The first steps of a new agency, as a checklist on its home (issue 12, item 6).

Each step is read from what exists — nothing is ticked by hand except the form check, which
is a person's judgement (recorded in the agency's settings and the audit trail). The list
is hidden once every step is done.
"""

from __future__ import annotations

import dataclasses

from flask import url_for
from flask_login import current_user

from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.deadlines.models import Publication
from touchpoints.invitations.models import Invitation
from touchpoints.lists import policy
from touchpoints.lists.models import Entry, ListVersion


@dataclasses.dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    link: str
    hint: str = ""


def first_steps(agency: Agency) -> list[Step]:
    own = current_user.agency_id == agency.id
    # Links lead where the viewer can act; elsewhere to what they may read.
    lists_page = (
        url_for("lists.working_list") if own else url_for("lists.agency_list", slug=agency.slug)
    )
    home = url_for("home.index") if own else url_for("agencies.view", slug=agency.slug)
    units = [s for s in Subdivision.of_agency(agency.id) if s.active]
    registrar = User.count_in_agency(agency.id, Role.REGISTRAR) > 0 or (
        Invitation.registrar_invited(agency.id)
    )
    has_rows = Entry.working_count(agency.id) > 0
    version = ListVersion.latest(agency.id)
    published = db.session.scalar(Publication.of_agency(agency.id).limit(1)) is not None
    return [
        Step(
            "form",
            "Проверить форму перечня: графы и справочники",
            bool((agency.settings or {}).get("form_checked")),
            url_for("formeditor.agency_form", slug=agency.slug)
            if policy.can_edit_form(current_user, agency)
            else home + "#form",
            "Посмотрите графы и справочники формы и подтвердите, что форма верна.",
        ),
        Step(
            "units",
            "Добавить подразделения и подведомственные организации",
            bool(units),
            url_for("agency_card.units", slug=agency.slug),
            "Сотрудник подразделения готовит сведения только своего подразделения.",
        ),
        Step(
            "registrar",
            "Пригласить уполномоченное лицо",
            registrar,
            url_for("invitations.index", slug=agency.slug),
        ),
        Step(
            "rows",
            "Загрузить перечень из файла или внести строки",
            has_rows,
            url_for("transfer.upload") if _may(own, Permission.EDIT_ENTRIES) else lists_page,
        ),
        Step(
            "version",
            "Утвердить первую редакцию приказом",
            version is not None,
            url_for("lists.approve") if _may(own, Permission.APPROVE_VERSIONS) else lists_page,
        ),
        Step(
            "published",
            "Разместить перечень на сайте и отметить размещение",
            published,
            url_for("deadlines.publication") if _may(own, Permission.APPROVE_VERSIONS) else home,
        ),
    ]


def _may(own: bool, permission: Permission) -> bool:
    return own and current_user.can(permission)


def pending(steps: list[Step]) -> bool:
    """Whether the checklist is still shown: some step is not done."""
    return any(not s.done for s in steps)
