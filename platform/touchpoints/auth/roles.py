"""Roles and what each may do (docs/architecture.md; the roles table of the README)."""

from __future__ import annotations

import enum

from touchpoints.core.enums import LabelledEnum


class Role(LabelledEnum):
    ADMIN = "admin", "Администратор"
    OFFICE = "office", "Проектный офис"
    REGISTRAR = "registrar", "Уполномоченное лицо"
    EDITOR = "editor", "Сотрудник подразделения"
    VIEWER = "viewer", "Наблюдатель"


ROLE_LABELS = Role.labels()
AGENCY_ROLES = frozenset({Role.REGISTRAR, Role.EDITOR, Role.VIEWER})


class Permission(enum.StrEnum):
    """Named abilities; routes ask for one of these, never for a role."""

    READ_AGENCY = "read_agency"  # read everything of one's agency
    EDIT_ENTRIES = "edit_entries"  # draft and submit entries (own subdivision for editors)
    REVIEW_ENTRIES = "review_entries"  # include or return entries, edit directly (2.2 / 3.3)
    APPROVE_VERSIONS = "approve_versions"  # approve a version by an order, record publication
    MANAGE_AGENCY_USERS = "manage_agency_users"
    EDIT_FORM = "edit_form"  # the agency's form and procedure (admin, office: its region's)
    READ_REGION = "read_region"  # all agencies of one region, read only
    CREATE_AGENCY = "create_agency"
    MANAGE_ALL = "manage_all"  # regions, agencies, every user, templates
    VIEW_OUTBOX = "view_outbox"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.READ_REGION,
            Permission.CREATE_AGENCY,
            Permission.MANAGE_ALL,
            Permission.MANAGE_AGENCY_USERS,
            Permission.VIEW_OUTBOX,
            Permission.EDIT_FORM,
        }
    ),
    Role.OFFICE: frozenset(
        {Permission.READ_REGION, Permission.CREATE_AGENCY, Permission.EDIT_FORM}
    ),
    Role.REGISTRAR: frozenset(
        {
            Permission.READ_AGENCY,
            Permission.EDIT_ENTRIES,
            Permission.REVIEW_ENTRIES,
            Permission.APPROVE_VERSIONS,
            Permission.MANAGE_AGENCY_USERS,
            Permission.EDIT_FORM,
        }
    ),
    Role.EDITOR: frozenset({Permission.READ_AGENCY, Permission.EDIT_ENTRIES}),
    Role.VIEWER: frozenset({Permission.READ_AGENCY}),
}
