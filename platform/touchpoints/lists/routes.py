"""The list's pages: the working list in the agency's form, entries and their review path,
compliance report, approved versions and their comparison; read-only drill-down for the office.

Views are thin: every change goes through :mod:`touchpoints.lists.services`.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from touchpoints.audit.labels import ACTION_LABELS
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.access import (
    current_agency,
    get_agency_or_404,
    get_tenant_object_or_404,
    permission_required,
)
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.core.web import Page
from touchpoints.lists import changes, labels, policy, procedures, queue, services, table
from touchpoints.lists import history as describe
from touchpoints.lists.approval import approve_version, changes_since_last
from touchpoints.lists.compliance import check
from touchpoints.lists.diff import Summary, compare, row_of, version_rows
from touchpoints.lists.errors import ConflictError, ReviewError
from touchpoints.lists.form import Form
from touchpoints.lists.forms import (
    ApproveForm,
    AreaStatusForm,
    ExclusionForm,
    ReturnForm,
    ReviewCommentForm,
    entry_form_class,
    initial_values,
)
from touchpoints.lists.models import (
    OPEN_PROPOSAL,
    AreaStatus,
    Entry,
    EntryKind,
    EntryStatus,
    ListVersion,
    VersionEntry,
)

bp = Blueprint("lists", __name__)


STATUS_FILTERS = {
    "included": ("В перечне", (EntryStatus.INCLUDED.value,)),
    "pending": ("Готовятся и на проверке", OPEN_PROPOSAL),
    "excluded": ("Исключённые", (EntryStatus.EXCLUDED.value,)),
    "all": (
        "Все",
        (*OPEN_PROPOSAL, EntryStatus.INCLUDED.value, EntryStatus.EXCLUDED.value),
    ),
}


@bp.app_context_processor
def _labels():
    return {
        "STATUS_LABELS": labels.STATUS_LABELS,
        "KIND_LABELS": labels.KIND_LABELS,
        "CHANNEL_CHOICES": labels.CHANNEL_CHOICES,
        "CLIENT_CHOICES": labels.CLIENT_CHOICES,
        "FIELD_LABELS": labels.FIELD_LABELS,
        "AUDIT_LABELS": labels.AUDIT_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "cell_text": table.cell_text,
        "field_text": table.field_text,
        "extra_text": table.extra_text,
    }


# --------------------------------------------------------------------------- helpers


def _subdivisions(agency_id: int) -> list[Subdivision]:
    return list(
        db.session.scalars(
            sa.select(Subdivision)
            .where(Subdivision.agency_id == agency_id)
            .order_by(Subdivision.name)
        )
    )


def _area_order(form: Form):
    return sa.case(
        {a["code"]: i for i, a in enumerate(form.activity_areas)},
        value=Entry.activity_area,
        else_=len(form.activity_areas),
    )


def audit_items(
    values: dict | None, form: Form, sub_names: dict[int, str], skip_empty: bool = False
) -> list[tuple]:
    """An audit event's before/after as (label, readable value) pairs: catalogue names, never
    codes (lists.history)."""
    return describe.items(
        values, describe.Context(form=form, subdivisions=sub_names), skip_empty=skip_empty
    )


def _flash_error(exc: Exception) -> None:
    flash(str(exc), "error")


# --------------------------------------------------------------------------- the working list


def _list_query(agency: Agency, form: Form):
    args = request.args
    status = args.get("status", "included")
    if status not in STATUS_FILTERS:
        status = "included"
    q = (
        sa.select(Entry)
        .where(
            Entry.agency_id == agency.id,
            Entry.kind == EntryKind.NEW.value,
            Entry.status.in_(STATUS_FILTERS[status][1]),
        )
        .order_by(_area_order(form), Entry.position, Entry.id)
    )
    area = args.get("area", "")
    if area in form.area_by_code:
        q = q.where(Entry.activity_area == area)
    channel = args.get("channel", "")
    if channel in labels.CHANNEL_KINDS:
        q = q.where(Entry.channel_kind == channel)
    client = args.get("client", "")
    if client in labels.CLIENT_KINDS:
        q = q.where(Entry.client_kind == client)
    sub = args.get("subdivision", "")
    if sub.isdecimal() and sub.isascii() and len(sub) < 10:
        q = q.where(Entry.subdivision_id == int(sub))
    text = args.get("q", "").strip()
    if text:
        like = f"%{text.lower()}%"
        q = q.where(
            sa.or_(
                *(
                    sa.func.lower(col).like(like)
                    for col in (
                        Entry.process_name,
                        Entry.touchpoint,
                        Entry.interaction,
                        Entry.specifics,
                        Entry.organisation,
                    )
                )
            )
        )
    return q, status


def _list_context(agency: Agency, *, readonly: bool) -> dict:
    form = Form(agency.form)
    query, status = _list_query(agency, form)
    page = Page(query)
    # Loaded first, so that each entry's subdivision comes from the session, not a query per row.
    subdivisions = _subdivisions(agency.id)
    rows = table.build(form, page.items, start=(page.page - 1) * page.per_page + 1)
    last = ListVersion.latest(agency.id)
    diff = None
    if last is not None:
        diff = changes.since_last(agency.id, lambda: Summary.of(changes_since_last(agency)[1]))
    added = diff.added if diff is not None else frozenset()
    changed = diff.changed if diff is not None else {}
    return {
        "agency": agency,
        "form": form,
        "title": form.title(agency),
        "page": page,
        "table": rows,
        "subdivisions": subdivisions,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "last_version": last,
        "diff": diff,
        "added": added,
        "changed": changed,
        "readonly": readonly,
        "entry_link": lambda e: url_for("lists.entry", entry_id=e.id),
    }


@bp.route("/list/")
@permission_required(Permission.READ_AGENCY)
def working_list():
    agency = current_agency()
    return render_template("lists/list.html", **_list_context(agency, readonly=False))


@bp.route("/agencies/<slug>/list")
@permission_required(Permission.READ_REGION)
def agency_list(slug):
    agency = get_agency_or_404(slug)
    versions = db.session.scalars(ListVersion.query_for(agency.id).limit(5)).all()
    return render_template(
        "lists/list.html", **_list_context(agency, readonly=True), versions=versions
    )


# --------------------------------------------------------------------------- entries


def _entry_form(agency: Agency, form: Form, formdata=None, data=None):
    fixed = not current_user.can(Permission.REVIEW_ENTRIES)
    cls = entry_form_class(form, _subdivisions(agency.id), fixed_subdivision=fixed)
    if formdata is not None:
        return cls(formdata=formdata)
    return cls(data=data or {})


@bp.route("/list/entries/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ENTRIES)
def new_entry():
    agency = current_agency()
    form = Form(agency.form)
    if request.method == "POST":
        entry_form = _entry_form(agency, form, formdata=request.form)
    else:
        area = request.args.get("area")
        initial = {}
        if area in form.area_by_code:
            initial = {
                "activity_area": area,
                "client_kind": form.area_by_code[area].get("client_kind", "external"),
            }
        if current_user.subdivision_id:
            initial["subdivision_id"] = current_user.subdivision_id
        entry_form = _entry_form(agency, form, data=initial)
    if request.method == "POST" and entry_form.validate():
        action = request.form.get("action", "draft")
        try:
            entry = services.create_entry(agency, current_user, entry_form.entry_data(form))
            if action == "submit":
                services.submit(entry, current_user)
            elif action == "include":
                services.include(entry, current_user)
        except ReviewError as exc:
            db.session.rollback()
            _flash_error(exc)
        else:
            db.session.commit()
            flash(
                {
                    "submit": "Строка отправлена на проверку уполномоченному лицу.",
                    "include": "Строка включена в перечень.",
                }.get(action, "Черновик сохранён."),
                "success",
            )
            return redirect(url_for("lists.entry", entry_id=entry.id))
    return render_template(
        "lists/entry_form.html", agency=agency, form=form, entry_form=entry_form, entry=None
    )


def _history(entry: Entry) -> list[AuditEvent]:
    ids = [str(entry.id)]
    ids += [
        str(i)
        for i in db.session.scalars(sa.select(Entry.id).where(Entry.target_id == entry.id)).all()
    ]
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.agency_id == entry.agency_id,
                AuditEvent.object_type == "entry",
                AuditEvent.object_id.in_(ids),
            )
            .options(sa.orm.selectinload(AuditEvent.actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )


@bp.route("/list/entries/<int:entry_id>")
@permission_required(Permission.READ_AGENCY)
def entry(entry_id):
    agency = current_agency()
    item = get_tenant_object_or_404(Entry, entry_id)
    form = Form(agency.form)
    row = row_of(item)
    target = db.session.get(Entry, item.target_id) if item.target_id else None
    proposal_diff = None
    if target is not None and item.kind == EntryKind.CHANGE.value:
        proposal_diff = compare({target.id: row_of(target)}, {target.id: row}, form.procedure)
    proposals = Entry.proposals_for(item.id)
    open_proposal = next((p for p in proposals if p.status in OPEN_PROPOSAL), None)
    findings = check(agency).for_entry(item.id) if item.status == EntryStatus.INCLUDED.value else []
    is_registrar = current_user.can(Permission.REVIEW_ENTRIES)
    return render_template(
        "lists/entry.html",
        agency=agency,
        form=form,
        entry=item,
        row=row,
        target=target,
        proposal_diff=proposal_diff,
        target_changed=bool(target and services.target_changed_since(item, target)),
        proposals=proposals,
        open_proposal=open_proposal,
        findings=findings,
        history=_history(item),
        is_registrar=is_registrar,
        # Answered here rather than in the template: the open proposal is already read.
        proposable=bool(policy.can_propose(current_user, item, open_proposal)),
        return_form=ReturnForm(),
        comment_form=ReviewCommentForm(),
        exclusion_form=ExclusionForm(),
        audit_items=audit_items,
        sub_names={s.id: s.name for s in _subdivisions(agency.id)},
    )


@bp.route("/list/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_ENTRIES)
def edit_entry(entry_id):
    """Edit a draft or returned entry; the registrar also edits included rows directly. An
    editor's edit of an included row becomes a change proposal (2.2.4 / 3.4)."""
    agency = current_agency()
    item = get_tenant_object_or_404(Entry, entry_id)
    form = Form(agency.form)
    is_registrar = current_user.can(Permission.REVIEW_ENTRIES)
    proposing = item.status == EntryStatus.INCLUDED.value and not is_registrar
    if item.kind == EntryKind.EXCLUSION.value:
        flash("Предложение исключения не редактируется: отзовите его и подготовьте новое.", "error")
        return redirect(url_for("lists.entry", entry_id=item.id))
    if not proposing and not policy.can_edit(current_user, item):
        flash("Эту строку сейчас изменить нельзя.", "error")
        return redirect(url_for("lists.entry", entry_id=item.id))
    conflict = None
    if request.method == "POST":
        entry_form = _entry_form(agency, form, formdata=request.form)
        if entry_form.validate():
            data = entry_form.entry_data(form)
            try:
                if proposing:
                    # The proposal is built from the row as this person saw it: if the row
                    # changed meanwhile, applying it later would undo that change unseen.
                    if _int(entry_form.revision.data) != item.revision:
                        raise ConflictError(item, data)
                    result = services.propose_change(item, current_user, data)
                    if request.form.get("action") == "submit":
                        services.submit(result, current_user)
                else:
                    expected = _int(entry_form.revision.data)
                    result = services.update_entry(item, current_user, data, expected)
                    if request.form.get("action") == "submit":
                        services.submit(result, current_user)
            except ConflictError as exc:
                db.session.rollback()
                conflict = exc
                item = get_tenant_object_or_404(Entry, entry_id)
                # The form keeps what the person typed; saving again now means "mine wins",
                # knowingly, on top of the revision shown next to it.
                entry_form.revision.data = str(item.revision)
            except ReviewError as exc:
                db.session.rollback()
                _flash_error(exc)
            else:
                db.session.commit()
                flash(
                    "Предложение изменения сохранено." if proposing else "Изменения сохранены.",
                    "success",
                )
                return redirect(url_for("lists.entry", entry_id=result.id))
    else:
        entry_form = _entry_form(agency, form, data=initial_values(item, form))
    theirs = mine = None
    if conflict is not None:
        theirs = row_of(item)
        mine = dict(conflict.attempted)
        mine["subdivision"] = next(
            (s.name for s in _subdivisions(agency.id) if s.id == mine.get("subdivision_id")),
            theirs.get("subdivision", ""),
        )
    return (
        render_template(
            "lists/entry_form.html",
            agency=agency,
            form=form,
            entry_form=entry_form,
            entry=item,
            proposing=proposing,
            conflict=conflict,
            theirs=theirs,
            mine=mine,
        ),
        409 if conflict is not None else 200,
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _post_action(entry_id: int, fn, success, next_in_queue: bool = False):
    """``success`` is the message, or a function of the result giving it; ``next_in_queue``
    opens the next submission waiting for review (the registrar works through the queue)."""
    item = get_tenant_object_or_404(Entry, entry_id)
    try:
        result = fn(item)
        db.session.commit()
    except ReviewError as exc:
        db.session.rollback()
        _flash_error(exc)
        return redirect(url_for("lists.entry", entry_id=entry_id))
    except StaleDataError:
        # Someone acted on the same row between our read and our write (optimistic lock).
        db.session.rollback()
        flash("Эту строку только что изменил другой пользователь. Проверьте её состояние.", "error")
        return redirect(url_for("lists.entry", entry_id=entry_id))
    result = result or item
    flash(success(result) if callable(success) else success, "success")
    if next_in_queue:
        following = queue.next_waiting(result.agency_id, after_id=result.id)
        if following is not None:
            flash("Открыта следующая строка из очереди проверки.", "info")
            return redirect(url_for("lists.entry", entry_id=following.id))
        flash("Очередь проверки пуста.", "info")
        return redirect(url_for("lists.review"))
    return redirect(url_for("lists.entry", entry_id=result.id))


@bp.route("/list/entries/<int:entry_id>/submit", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def submit_entry(entry_id):
    return _post_action(
        entry_id,
        lambda e: services.submit(e, current_user),
        "Строка отправлена на проверку уполномоченному лицу.",
    )


@bp.route("/list/entries/<int:entry_id>/withdraw", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def withdraw_entry(entry_id):
    return _post_action(entry_id, lambda e: services.withdraw(e, current_user), "Строка отозвана.")


@bp.route("/list/entries/<int:entry_id>/include", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def include_entry(entry_id):
    get_tenant_object_or_404(Entry, entry_id)
    form = ReviewCommentForm()
    comment = (form.comment.data or "").strip() or None
    return _post_action(
        entry_id,
        lambda e: services.include(e, current_user, comment),
        queue.decision_message,
        next_in_queue=True,
    )


@bp.route("/list/entries/<int:entry_id>/return", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def return_entry(entry_id):
    get_tenant_object_or_404(Entry, entry_id)  # another agency's entry is a 404 before anything
    form = ReturnForm()
    if not form.validate():
        flash("Укажите, что нужно исправить: без комментария строку не вернуть.", "error")
        return redirect(url_for("lists.entry", entry_id=entry_id))
    return _post_action(
        entry_id,
        lambda e: services.return_entry(e, current_user, form.comment.data),
        "Строка возвращена автору с комментарием.",
        next_in_queue=True,
    )


@bp.route("/list/entries/<int:entry_id>/exclude", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def exclude_entry(entry_id):
    """Propose an exclusion with its reason (2.2.4, 5.2.4 / 3.4, 5.3). The registrar acting
    alone carries it out at once; otherwise it waits for review like any proposal."""
    get_tenant_object_or_404(Entry, entry_id)  # another agency's entry is a 404 before anything
    form = ExclusionForm()
    if not form.validate():
        flash("Укажите причину исключения.", "error")
        return redirect(url_for("lists.entry", entry_id=entry_id))

    def act(target):
        proposal = services.propose_exclusion(target, current_user, form.reason.data)
        if policy.excludes_directly(current_user, target.agency_id):
            services.include(proposal, current_user)
        else:
            services.submit(proposal, current_user)
        return proposal

    return _post_action(entry_id, act, queue.exclusion_message)


# --------------------------------------------------------------------------- review queues

QUEUES = {
    "drafts": "Мои черновики",
    "returned": "Возвращены мне",
    "waiting": "Ожидают проверки",
}


def _queue_query(agency: Agency, queue: str):
    q = sa.select(Entry).where(Entry.agency_id == agency.id)
    me = current_user.id
    if queue == "drafts":
        q = q.where(Entry.status == EntryStatus.DRAFT.value, Entry.created_by_id == me)
    elif queue == "returned":
        q = q.where(
            Entry.status == EntryStatus.RETURNED.value,
            sa.or_(Entry.created_by_id == me, Entry.submitted_by_id == me),
        )
    else:
        q = q.where(Entry.status == EntryStatus.SUBMITTED.value)
        if not current_user.can(Permission.REVIEW_ENTRIES):
            q = q.where(Entry.submitted_by_id == me)
    return q


@bp.route("/list/review")
@permission_required(Permission.EDIT_ENTRIES)
def review():
    agency = current_agency()
    form = Form(agency.form)
    default = "waiting" if current_user.can(Permission.REVIEW_ENTRIES) else "drafts"
    queue = request.args.get("queue", default)
    if queue not in QUEUES:
        queue = default
    counts = {
        name: db.session.scalar(
            sa.select(sa.func.count()).select_from(_queue_query(agency, name).subquery())
        )
        for name in QUEUES
    }
    page = Page(
        _queue_query(agency, queue)
        .options(
            sa.orm.selectinload(Entry.submitted_by),
            sa.orm.selectinload(Entry.created_by),
            sa.orm.selectinload(Entry.subdivision),
        )
        .order_by(Entry.submitted_at.asc().nulls_last(), Entry.updated_at.desc(), Entry.id)
    )
    return render_template(
        "lists/review.html",
        agency=agency,
        form=form,
        queue=queue,
        queues=QUEUES,
        counts=counts,
        page=page,
    )


# --------------------------------------------------------------------------- compliance


@bp.route("/list/check")
@permission_required(Permission.READ_AGENCY)
def check_report():
    return render_template("lists/check.html", **_check_context(current_agency(), readonly=False))


@bp.route("/agencies/<slug>/check")
@permission_required(Permission.READ_REGION)
def agency_check(slug):
    agency = get_agency_or_404(slug)
    return render_template("lists/check.html", **_check_context(agency, readonly=True))


def _check_context(agency: Agency, *, readonly: bool) -> dict:
    form = Form(agency.form)
    report = check(agency)
    statuses = {s.area_code: s for s in AreaStatus.of_agency(agency.id)}
    counts = Entry.working_counts_by_area(agency.id)
    return {
        "agency": agency,
        "form": form,
        "report": report,
        "statuses": statuses,
        "counts": counts,
        "area_form": AreaStatusForm(),
        "area_clause": procedures.clause(form.procedure, "area"),
        "readonly": readonly,
    }


@bp.route("/list/areas", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def area_status():
    agency = current_agency()
    form = AreaStatusForm()
    if not form.validate():
        flash("Не удалось сохранить отметку: не указано направление.", "error")
        return redirect(url_for("lists.check_report"))
    not_performed = form.not_performed.data == "1"
    reason = (form.reason.data or "").strip()
    if not_performed and not reason:
        flash("Укажите, почему направление не осуществляется.", "error")
        return redirect(url_for("lists.check_report"))
    try:
        services.set_area_not_performed(agency, form.area_code.data, not_performed, reason)
    except ReviewError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        db.session.commit()
        flash(
            "Направление отмечено как не осуществляемое."
            if not_performed
            else "Отметка снята: направление снова проверяется.",
            "success",
        )
    return redirect(url_for("lists.check_report"))


# --------------------------------------------------------------------------- versions


@bp.route("/list/approve", methods=["GET", "POST"])
@permission_required(Permission.APPROVE_VERSIONS)
def approve():
    agency = current_agency()
    form = Form(agency.form)
    report = check(agency)
    approve_form = ApproveForm(
        data=None
        if request.method == "POST"
        else {
            "order_date": date.today(),
            "signatory_title": agency.head_title,
            "signatory_name": agency.head_name,
        }
    )
    last, diff = changes_since_last(agency)
    if request.method == "POST" and approve_form.validate():
        try:
            version = approve_version(
                agency,
                current_user,
                order_number=approve_form.order_number.data,
                order_date=approve_form.order_date.data,
                signatory_title=approve_form.signatory_title.data.strip(),
                signatory_name=approve_form.signatory_name.data.strip(),
            )
            db.session.commit()
        except ReviewError as exc:
            db.session.rollback()
            _flash_error(exc)
        except IntegrityError:
            db.session.rollback()
            flash("Другой пользователь только что утвердил редакцию. Обновите страницу.", "error")
        else:
            flash(f"Утверждена редакция № {version.number}.", "success")
            return redirect(url_for("lists.version", number=version.number))
    count = Entry.working_count(agency.id)
    return render_template(
        "lists/approve.html",
        agency=agency,
        form=form,
        approve_form=approve_form,
        report=report,
        last_version=last,
        diff=diff,
        count=count,
    )


@bp.route("/list/versions/")
@permission_required(Permission.READ_AGENCY)
def versions():
    return _versions_page(current_agency(), readonly=False)


@bp.route("/agencies/<slug>/versions/")
@permission_required(Permission.READ_REGION)
def agency_versions(slug):
    return _versions_page(get_agency_or_404(slug), readonly=True)


def _versions_page(agency: Agency, *, readonly: bool):
    page = Page(
        ListVersion.query_for(agency.id).options(sa.orm.selectinload(ListVersion.approved_by))
    )
    return render_template("lists/versions.html", agency=agency, page=page, readonly=readonly)


def _get_version_or_404(agency: Agency, number: int) -> ListVersion:
    version = ListVersion.by_number(agency.id, number)
    if version is None:
        abort(404)
    return version


def _version_context(agency: Agency, version: ListVersion, *, readonly: bool) -> dict:
    form = Form(version.form)
    entries = db.session.scalars(
        sa.select(VersionEntry)
        .where(VersionEntry.version_id == version.id)
        .order_by(VersionEntry.row_number)
    ).all()
    before = ListVersion.previous(agency.id, version.number)
    previous = before.number if before is not None else None
    return {
        "agency": agency,
        "form": form,
        "version": version,
        "title": form.title(agency),
        "table": table.build(form, entries),
        "previous": previous,
        "readonly": readonly,
    }


@bp.route("/list/versions/<int:number>")
@permission_required(Permission.READ_AGENCY)
def version(number):
    agency = current_agency()
    item = _get_version_or_404(agency, number)
    return render_template("lists/version.html", **_version_context(agency, item, readonly=False))


@bp.route("/agencies/<slug>/versions/<int:number>")
@permission_required(Permission.READ_REGION)
def agency_version(slug, number):
    agency = get_agency_or_404(slug)
    item = _get_version_or_404(agency, number)
    return render_template("lists/version.html", **_version_context(agency, item, readonly=True))


@bp.route("/list/versions/compare")
@permission_required(Permission.READ_AGENCY)
def compare_versions():
    """Two versions, or a version and the working list (``b`` omitted or "working")."""
    agency = current_agency()
    numbers = ListVersion.numbers(agency.id)
    if not numbers:
        flash("Утверждённых редакций пока нет: сравнивать не с чем.", "warning")
        return redirect(url_for("lists.versions"))
    a_arg = request.args.get("a", "")
    b_arg = request.args.get("b", "working")
    a = _int(a_arg) if a_arg else numbers[0]
    if a not in numbers or (b_arg != "working" and _int(b_arg) not in numbers):
        flash("Такой редакции нет. Выберите редакции из списка.", "error")
        return redirect(url_for("lists.versions"))
    form = Form(agency.form)
    old_version = _get_version_or_404(agency, a)
    old = version_rows(old_version)
    if b_arg == "working":
        new_version = None
        new = {e.id: row_of(e) for e in Entry.working(agency.id)}
    else:
        new_version = _get_version_or_404(agency, _int(b_arg))
        new = version_rows(new_version)
        form = Form(new_version.form)
    diff = compare(old, new, form.procedure)
    excluded_ids = [r["_key"] for r in diff.excluded]
    reasons = dict(
        db.session.execute(
            sa.select(Entry.id, Entry.exclusion_reason).where(
                Entry.agency_id == agency.id, Entry.id.in_(excluded_ids)
            )
        ).all()
    )
    return render_template(
        "lists/compare.html",
        agency=agency,
        form=form,
        numbers=numbers,
        a=a,
        b=b_arg,
        old_version=old_version,
        new_version=new_version,
        diff=diff,
        exclusion_reasons=reasons,
    )
