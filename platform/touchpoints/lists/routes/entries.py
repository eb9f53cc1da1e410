"""An entry's pages and its review path: create, show, edit (or propose a change), submit,
withdraw, include, return, exclude; the review queues."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from touchpoints.auth.access import current_agency, get_tenant_object_or_404, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.core.web import Page, as_int, committed, valid_or_back
from touchpoints.lists import policy, queue, services
from touchpoints.lists.audit_queries import entry_history
from touchpoints.lists.compliance import check
from touchpoints.lists.diff import compare, row_of
from touchpoints.lists.errors import ConflictError, ReviewError
from touchpoints.lists.form import Form
from touchpoints.lists.forms import (
    ExclusionForm,
    ReturnForm,
    ReviewCommentForm,
    entry_form_class,
    initial_values,
)
from touchpoints.lists.models import OPEN_PROPOSAL, Entry, EntryKind, EntryStatus
from touchpoints.lists.passports import SharedTouchpoint
from touchpoints.lists.processes import RegistryProcess
from touchpoints.lists.routes.common import audit_items, bp, flash_error


def _entry_form(agency: Agency, form: Form, formdata=None, data=None):
    fixed = not current_user.can(Permission.REVIEW_ENTRIES)
    cls = entry_form_class(
        form,
        Subdivision.of_agency(agency.id),
        fixed_subdivision=fixed,
        processes=RegistryProcess.active_of(agency.id),
        shared=SharedTouchpoint.of_region(agency.region_id),
    )
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
        with committed(ReviewError) as done:
            entry = services.create_entry(agency, current_user, entry_form.entry_data(form))
            if action == "submit":
                services.submit(entry, current_user)
            elif action == "include":
                services.include(entry, current_user)
        if done:
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
        history=entry_history(item),
        is_registrar=current_user.can(Permission.REVIEW_ENTRIES),
        # Answered here rather than in the template: the open proposal is already read.
        proposable=bool(policy.can_propose(current_user, item, open_proposal)),
        return_form=ReturnForm(),
        comment_form=ReviewCommentForm(),
        exclusion_form=ExclusionForm(),
        audit_items=audit_items,
        sub_names={s.id: s.name for s in Subdivision.of_agency(agency.id)},
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
                    if as_int(entry_form.revision.data) != item.revision:
                        raise ConflictError(item, data)
                    result = services.propose_change(item, current_user, data)
                    if request.form.get("action") == "submit":
                        services.submit(result, current_user)
                else:
                    expected = as_int(entry_form.revision.data)
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
                flash_error(exc)
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
            (
                s.name
                for s in Subdivision.of_agency(agency.id)
                if s.id == mine.get("subdivision_id")
            ),
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


def _post_action(entry_id: int, fn, success, next_in_queue: bool = False):
    """``success`` is the message, or a function of the result giving it; ``next_in_queue``
    opens the next submission waiting for review (the registrar works through the queue)."""
    item = get_tenant_object_or_404(Entry, entry_id)
    try:
        result = fn(item)
        db.session.commit()
    except ReviewError as exc:
        db.session.rollback()
        flash_error(exc)
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
    valid_or_back(
        form,
        "Укажите, что нужно исправить: без комментария строку не вернуть.",
        url_for("lists.entry", entry_id=entry_id),
    )
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
    valid_or_back(form, "Укажите причину исключения.", url_for("lists.entry", entry_id=entry_id))

    def act(target):
        proposal = services.propose_exclusion(target, current_user, form.reason.data)
        if policy.excludes_directly(current_user, target.agency_id):
            services.include(proposal, current_user)
        else:
            services.submit(proposal, current_user)
        return proposal

    return _post_action(entry_id, act, queue.exclusion_message)


@bp.route("/list/review")
@permission_required(Permission.EDIT_ENTRIES)
def review():
    agency = current_agency()
    default = "waiting" if current_user.can(Permission.REVIEW_ENTRIES) else "drafts"
    name = request.args.get("queue", default)
    if name not in queue.QUEUES:
        name = default
    return render_template(
        "lists/review.html",
        agency=agency,
        form=Form(agency.form),
        queue=name,
        queues=queue.QUEUES,
        counts=queue.counts(agency.id, current_user),
        page=Page(queue.page_query(agency.id, current_user, name)),
    )
