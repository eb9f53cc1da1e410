"""Approving the working list as a version by an order (Murmansk 2.2, 5.1-5.2; Kuzbass 3.3, 5.1-5.3).

:func:`approve_version` is the only way a version comes to be: the page, the demo loader, the
fixtures and the benchmarks all call it, so every version passed the same guards. The guards
are steps in :data:`GUARDS`, run in order before anything is written; a new rule about
approval (say, on the order's date or number) is one more step there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.lists import approval_guard, policy
from touchpoints.lists.compliance import check
from touchpoints.lists.diff import Diff, compare, row_of, version_rows
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.form import Form
from touchpoints.lists.models import AreaStatus, Entry, ListVersion, VersionEntry
from touchpoints.lists.services import LINK_FIELDS, STORED_FIELDS, sort_key_for
from touchpoints.notifications import events as notify


@dataclasses.dataclass
class Approval:
    """What a guard sees: the request to approve and the working list it would freeze."""

    agency: Agency
    user: User
    order_number: str
    order_date: date
    entries: list[Entry]


def changes_since_last(agency: Agency, entries: list[Entry] | None = None):
    """``(last version, diff of the working list against it)``; ``(None, None)`` before the first."""
    last = ListVersion.latest(agency.id)
    if last is None:
        return None, None
    if entries is None:
        entries = Entry.working(agency.id)
    new = {e.id: row_of(e) for e in entries}
    diff: Diff = compare(version_rows(last), new, Form(agency.form).procedure)
    return last, diff


def require_approver(a: Approval) -> None:
    policy.require(policy.can_approve(a.user, a.agency.id))


def require_valid_order(a: Approval) -> None:
    """Against typos that would be forever: the order's number and date (approval_guard)."""
    approval_guard.check_order(a.agency, a.order_number, a.order_date)


def require_entries(a: Approval) -> None:
    if not a.entries:
        raise ReviewError("В перечне нет ни одной включённой строки")


def require_compliance(a: Approval) -> None:
    """Errors of the compliance check block approval; warnings do not."""
    errors = check(a.agency).errors
    if errors:
        raise ReviewError(
            f"Перечень не может быть утверждён: ошибок — {len(errors)}. "
            "Исправьте их в отчёте о проверке."
        )


def require_changes(a: Approval) -> None:
    """A version identical to the last one is not approved again (a double submit, say)."""
    last, diff = changes_since_last(a.agency, a.entries)
    if last is not None and diff.empty:
        raise ReviewError(
            f"Перечень не изменился после редакции № {last.number}: утверждать нечего."
        )


#: Run in order; each raises ReviewError with the message the registrar reads.
GUARDS: list[Callable[[Approval], None]] = [
    require_approver,
    require_valid_order,
    require_entries,
    require_compliance,
    require_changes,
]


def approve_version(
    agency: Agency,
    user: User,
    *,
    order_number: str,
    order_date: date,
    signatory_title: str | None = None,
    signatory_name: str | None = None,
) -> ListVersion:
    """Freeze the working list as a new version approved by an order, after every guard.

    Flushes; the caller (view, command, loader) commits."""
    request = Approval(
        agency=agency,
        user=user,
        order_number=order_number,
        order_date=order_date,
        entries=Entry.working(agency.id),
    )
    for guard in GUARDS:
        guard(request)
    entries = sorted(request.entries, key=sort_key_for(Form(agency.form)))
    number = ListVersion.next_number(agency.id)
    # Self-approval is recorded: the registrar approves a list with entries they submitted.
    self_approved = any((e.submitted_by_id or e.created_by_id) == user.id for e in entries)
    version = ListVersion(
        agency_id=agency.id,
        number=number,
        order_number=order_number.strip(),
        order_date=order_date,
        signatory_title=signatory_title if signatory_title is not None else agency.head_title,
        signatory_name=signatory_name if signatory_name is not None else agency.head_name,
        approved_by_id=user.id,
        self_approved=self_approved,
        form=agency.form,
        areas_not_performed=AreaStatus.codes_not_performed(agency.id),
        entry_count=len(entries),
    )
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        VersionEntry(
            agency_id=agency.id,
            version_id=version.id,
            entry_id=e.id,
            row_number=i,
            subdivision_name=e.subdivision.name if e.subdivision else "",
            **{f: getattr(e, f) for f in (*STORED_FIELDS, *LINK_FIELDS)},
        )
        for i, e in enumerate(entries, start=1)
    )
    db.session.flush()
    audit.record(
        "version.approve",
        version,
        after={
            "number": number,
            "order_number": version.order_number,
            "order_date": order_date.isoformat(),
            "entries": len(entries),
        },
        comment="утверждено с собственными строками уполномоченного лица"
        if self_approved
        else None,
        actor=user,
    )
    notify.version_approved(version, user)
    return version
