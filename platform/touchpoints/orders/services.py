"""Orders as PDF (issue 4): the order approving a version, with the list as its landscape appendix.

The pipeline: :func:`order_context` turns an agency and a version (or the working list, as a
draft) into plain data; a sandboxed Jinja environment renders it with the agency's templates
(``tenants/<slug>/templates/`` first, then ``templates/pdf/``); WeasyPrint makes the PDF with a URL
fetcher that refuses everything but ``data:`` URIs, so a template can reach neither the file system
nor the network.

Rendering is slow (seconds for a long list) and WeasyPrint keeps its memory until the process
exits (REFERENCE.md), so it runs in a Celery task. An approved version's PDF is rendered once and
stored in :class:`OrderDocument`; every later download gets the same bytes and ETag. Drafts are
stored under the hash of everything that goes into them, so an unchanged working list is not
rendered twice either.

For other features (public pages):

* :func:`version_pdf` — the stored, ready PDF of an approved version, or None;
* :func:`request_version_pdf` — the same, queued for rendering when absent (commits);
* :func:`pdf_response` — a download response with ETag, answering 304 to ``If-None-Match``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import jinja2
import sqlalchemy as sa
from flask import Response, current_app, request
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.exc import IntegrityError

from touchpoints.config import ROOT_DIR
from touchpoints.core.db import agency_scope, db, scoped, utcnow
from touchpoints.core.web import ru_date
from touchpoints.lists import diff as list_diff
from touchpoints.lists.models import AreaStatus, Entry, ListVersion, version_in_force
from touchpoints.lists.services import sort_key_for, working_entries
from touchpoints.orders.models import DocumentStatus, OrderDocument
from touchpoints.regions.models import Agency
from touchpoints.tenants.form import Form
from touchpoints.transfer.fields import number_text

log = logging.getLogger(__name__)

PDF_TEMPLATES = ROOT_DIR / "templates" / "pdf"
MAIN_TEMPLATE = "order.html"
#: Bump when the pipeline's output changes for the same input, so cached drafts are redone.
PIPELINE_REVISION = "2"
#: Draft PDFs kept per agency (older ones are deleted when a new one is requested).
DRAFTS_KEPT = 3

#: How many PDFs this process has rendered (see :func:`render_count`).
_rendered = 0
_count_lock = threading.Lock()


def render_count() -> int:
    """PDFs rendered by this process so far (tests check that stored ones are not redone)."""
    return _rendered


#: Russian names of the common fields, for columns of the changes appendix.
FIELD_LABELS = {
    "activity_area": "Направление деятельности",
    "process_name": "Наименование процесса",
    "touchpoint": "Точка взаимодействия",
    "channel_kind": "Вид точки",
    "client_kind": "Клиент",
    "client_needs": "Удовлетворяемые потребности клиента",
    "interaction": "Осуществляемое взаимодействие с клиентом",
    "specifics": "Особенности взаимодействия",
    "subdivision": "Структурное подразделение",
    "organisation": "Организация",
    "response_hours_mentions": "Время ответа на упоминание, ч",
    "response_hours_requests": "Время ответа на обращение, ч",
    "max_transfers": "Переключений не более",
    "waiting_minutes": "Время ожидания, мин",
    "extra": "Дополнительные сведения",
}
CHANNEL_KINDS = {"digital": "цифровая", "offline": "офлайн"}
CLIENT_KINDS = {"external": "внешний", "internal": "внутренний"}


class OrderError(ValueError):
    """Rendering cannot go on; the message is shown to the user."""


# --------------------------------------------------------------------------- the data


@dataclass
class Column:
    label: str
    width: float  # percent of the table width


@dataclass
class Group:
    """Rows of one activity area (Kuzbass 3.5: the list is formed per area), optionally split by
    process when the form has no column for it (the Kuzbass form has none)."""

    title: str
    not_performed: bool = False
    subgroups: list[tuple[str, list[list[str]]]] = field(default_factory=list)


@dataclass
class ListAppendix:
    title: str
    columns: list[Column]
    groups: list[Group]
    row_count: int


@dataclass
class ChangeRow:
    kind: str  # Включена / Изменена / Исключена
    area: str
    process: str
    touchpoint: str
    details: list[str]


@dataclass
class ChangesAppendix:
    title: str
    previous: str  # «редакции № 1, утверждённой приказом от … № …»
    rows: list[ChangeRow]


@dataclass
class OrderData:
    draft: bool
    agency_name: str
    agency_genitive: str
    city: str
    order_number: str
    order_date: date | None
    title: str
    preamble: str
    paragraphs: list[str]
    signatory_title: str
    signatory_name: str
    appendix: ListAppendix
    changes: ChangesAppendix | None = None

    @property
    def date_long(self) -> str:
        return (
            ru_date(self.order_date, long=True) if self.order_date else "«___» __________ 20__ г."
        )

    @property
    def date_short(self) -> str:
        return ru_date(self.order_date) if self.order_date else "__________"

    @property
    def number(self) -> str:
        return self.order_number or "______"


def _fmt_number(value) -> str:
    if value is None or value == "":
        return ""
    # Numbers read as the working list and the exports print them ("1,5").
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


def cell_value(form: Form, column: dict, obj) -> str:
    """The text of one cell of the agency's form for an Entry or a VersionEntry."""
    f = column["field"]
    if f == "extra":
        return _fmt_number((getattr(obj, "extra", None) or {}).get(column["key"], ""))
    if f == "activity_area":
        return form.area_name(obj.activity_area)
    if f == "channel_kind":
        return CHANNEL_KINDS.get(obj.channel_kind, obj.channel_kind or "")
    if f == "client_kind":
        return CLIENT_KINDS.get(obj.client_kind, obj.client_kind or "")
    if f == "client_needs":
        return "; ".join(form.need_names(obj.client_needs or []))
    if f == "subdivision":
        name = getattr(obj, "subdivision_name", None)
        if name is None and getattr(obj, "subdivision", None) is not None:
            name = obj.subdivision.name
        return name or ""
    return _fmt_number(getattr(obj, f, None))


def _columns(form: Form) -> list[Column]:
    # Column 1 is «№» in both seed forms (Murmansk appendix 2, Kuzbass appendix to the Procedure);
    # the forms list only the columns after it.
    number_width = 4.0
    total = sum(c.get("width", 10) for c in form.columns) or 1
    cols = [Column("№", number_width)]
    cols += [
        Column(c["label"], round((100 - number_width) * c.get("width", 10) / total, 3))
        for c in form.columns
    ]
    return cols


def list_appendix(
    form: Form, title: str, entries: list, not_performed: list[str], row_numbers: bool = True
) -> ListAppendix:
    """Rows grouped by activity area in the form's order; an area without rows appears only when
    it is marked as not performed (Kuzbass 3.5).

    Within a group, the area and a process that repeat the row above are left out (None: the
    template draws a continued cell), as merged cells in the seeds' Word tables; repeating them
    on every row made the rows and the PDF half as long again."""
    has_process_column = any(c["field"] == "process_name" for c in form.columns)
    merged = [c["field"] in ("activity_area", "process_name") for c in form.columns]
    by_area: dict[str, list] = {}
    for e in entries:
        by_area.setdefault(e.activity_area, []).append(e)
    known = [a["code"] for a in form.activity_areas]
    order = known + [code for code in by_area if code not in known]
    groups = []
    n = 0
    for code in order:
        rows = by_area.get(code, [])
        if not rows:
            if code in not_performed:
                groups.append(Group(form.area_name(code), not_performed=True))
            continue
        group = Group(form.area_name(code))
        above: list = []
        for e in rows:
            n += 1
            values = [cell_value(form, c, e) for c in form.columns]
            cells = [str(getattr(e, "row_number", None) or n) if row_numbers else str(n)]
            cells += [
                None if merge and above and v == above[i] else v
                for i, (v, merge) in enumerate(zip(values, merged, strict=True))
            ]
            above = values
            process = "" if has_process_column else (e.process_name or "")
            if not group.subgroups or group.subgroups[-1][0] != process:
                group.subgroups.append((process, []))
            group.subgroups[-1][1].append(cells)
        groups.append(group)
    if not form.group_by_area:
        flat = Group("")
        for g in groups:
            flat.subgroups.extend(g.subgroups)
        groups = [flat]
    return ListAppendix(title=title, columns=_columns(form), groups=groups, row_count=n)


def _plain(form: Form, f: str, value) -> str:
    if f == "activity_area":
        return form.area_name(value or "")
    if f == "channel_kind":
        return CHANNEL_KINDS.get(value, value or "")
    if f == "client_kind":
        return CLIENT_KINDS.get(value, value or "")
    if f == "client_needs":
        return "; ".join(form.need_names(value or []))
    if f == "extra":
        return "; ".join(f"{k}: {_fmt_number(v)}" for k, v in sorted((value or {}).items()))
    return _fmt_number(value)


def changes_appendix(
    form: Form, agency_id: int, previous: ListVersion, old: dict, new: dict
) -> ChangesAppendix | None:
    """Added, changed and excluded rows against the previous version (Murmansk 5.2, Kuzbass 5.3)."""
    # The Kuzbass order cites its own clauses (5.3) for the same reasons.
    family = "kuzbass" if form.slug.startswith("kuzbass") else None
    d = list_diff.compare(old, new, family=family)
    if d.empty:
        return None
    labels = {c["field"]: c["label"] for c in form.columns if c["field"] != "extra"}
    reasons = {}
    if d.excluded:
        keys = [r["_key"] for r in d.excluded]
        reasons = dict(
            db.session.execute(
                sa.select(Entry.id, Entry.exclusion_reason).where(
                    Entry.agency_id == agency_id, Entry.id.in_(keys)
                )
            ).all()
        )

    def row(kind: str, r: dict, details: list[str]) -> ChangeRow:
        return ChangeRow(
            kind=kind,
            area=form.area_name(r.get("activity_area") or ""),
            process=r.get("process_name") or "",
            touchpoint=r.get("touchpoint") or "",
            details=details,
        )

    rows = [row("Включена", r, [d.reasons["added"]]) for r in d.added]
    for c in d.changed:
        details = list(c.reasons)
        for f in c.fields:
            label = labels.get(f) or FIELD_LABELS.get(f, f)
            old, new = _plain(form, f, c.old.get(f)), _plain(form, f, c.new.get(f))
            details.append(f"{label}: {_quoted(old)} → {_quoted(new)}")
        rows.append(row("Изменена", c.new, details))
    for r in d.excluded:
        details = [d.reasons["excluded"]]
        if reasons.get(r["_key"]):
            details.append(f"Причина: {reasons[r['_key']]}")
        rows.append(row("Исключена", r, details))
    area_order = {a["code"]: i for i, a in enumerate(form.activity_areas)}
    rows.sort(key=lambda r: area_order.get(_area_code(form, r.area), 999))
    return ChangesAppendix(
        title="Изменения в перечне точек взаимодействия",
        previous=(
            f"по сравнению с редакцией № {previous.number}, утверждённой приказом "
            f"от {ru_date(previous.order_date)} № {previous.order_number}"
        ),
        rows=rows,
    )


def _quoted(text: str) -> str:
    """A value in quotes; an empty one said in words (not «» → «…»)."""
    return f"«{text}»" if text else "(не заполнено)"


SINGLE_APPENDIX = "согласно приложению к настоящему приказу"


def refer_to_appendices(paragraphs: list[str]) -> list[str]:
    """With the changes as a second appendix the list is appendix № 1: say so in the clause
    that approves it, and where the changes are."""
    return [
        p.replace(
            SINGLE_APPENDIX,
            "согласно приложению № 1 к настоящему приказу (изменения по сравнению с предыдущей "
            "редакцией приведены в приложении № 2)",
        )
        for p in paragraphs
    ]


def _area_code(form: Form, name: str) -> str:
    return next((a["code"] for a in form.activity_areas if a["name"] == name), "")


def _order_settings(agency: Agency) -> dict:
    return (agency.settings or {}).get("order") or {}


def _names(agency: Agency) -> tuple[str, str]:
    s = agency.settings or {}
    return (
        s.get("name_genitive") or agency.full_name,
        s.get("name_prepositional") or agency.full_name,
    )


def _paragraphs(agency: Agency, previous: ListVersion | None) -> list[str]:
    genitive, prepositional = _names(agency)
    paragraphs = list(_order_settings(agency).get("paragraphs") or [])
    if not paragraphs:
        paragraphs = [
            f"Утвердить перечень точек взаимодействия с клиентом в {prepositional} "
            "согласно приложению к настоящему приказу.",
            "Контроль за исполнением настоящего приказа оставляю за собой.",
        ]
    if previous is not None:
        superseded = (
            f"Признать утратившим силу приказ {genitive} от {ru_date(previous.order_date)} "
            f"№ {previous.order_number} «Об утверждении перечня точек взаимодействия с клиентом»."
        )
        # The control clause closes an order (both seeds), so the new clause goes before it.
        paragraphs.insert(max(len(paragraphs) - 1, 0), superseded)
    return paragraphs


def _previous_version(agency_id: int, before_number: int | None) -> ListVersion | None:
    q = sa.select(ListVersion).where(ListVersion.agency_id == agency_id, version_in_force())
    if before_number is not None:
        q = q.where(ListVersion.number < before_number)
    return db.session.scalar(q.order_by(ListVersion.number.desc()).limit(1))


def default_with_changes(version: ListVersion) -> bool:
    """The order approving an updated list carries the list of changes (a second appendix)."""
    return _previous_version(version.agency_id, version.number) is not None


def order_context(
    agency: Agency, version: ListVersion | None = None, with_changes: bool | None = None
) -> OrderData:
    """Everything the templates show, as plain data; ``version=None`` is the working list (draft)."""
    genitive, prepositional = _names(agency)
    settings = _order_settings(agency)
    if version is not None:
        form = Form(version.form)
        entries = list(version.entries)
        not_performed = list(version.areas_not_performed or [])
        previous = _previous_version(agency.id, version.number)
    else:
        form = Form(agency.form)
        entries = working_entries(agency.id)
        entries.sort(key=sort_key_for(form))
        not_performed = sorted(
            db.session.scalars(
                sa.select(AreaStatus.area_code).where(
                    AreaStatus.agency_id == agency.id, AreaStatus.not_performed
                )
            )
        )
        previous = _previous_version(agency.id, None)
    title = settings.get("appendix_title") or form.title(agency)
    data = OrderData(
        draft=version is None,
        agency_name=agency.full_name,
        agency_genitive=genitive,
        city=agency.city,
        order_number=version.order_number if version else "",
        order_date=version.order_date if version else None,
        title=f"Об утверждении перечня точек взаимодействия с клиентом в {prepositional}",
        preamble=(agency.legal_basis or "").strip(),
        paragraphs=_paragraphs(agency, previous),
        signatory_title=(version.signatory_title if version else "") or agency.head_title,
        signatory_name=(version.signatory_name if version else "") or agency.head_name,
        appendix=list_appendix(
            form, title, entries, not_performed, row_numbers=version is not None
        ),
    )
    if with_changes is None:
        with_changes = previous is not None
    if with_changes and previous is not None:
        new = (
            list_diff.version_rows(version)
            if version is not None
            else {e.id: list_diff.row_of(e) for e in entries}
        )
        data.changes = changes_appendix(
            form, agency.id, previous, list_diff.version_rows(previous), new
        )
        if data.changes is not None:
            data.paragraphs = refer_to_appendices(data.paragraphs)
    return data


# --------------------------------------------------------------------------- templates


_environments: dict[tuple[str, str], SandboxedEnvironment] = {}
_env_lock = threading.Lock()


def template_environment(slug: str, tenants_dir: Path | None = None) -> SandboxedEnvironment:
    """The agency's overrides (tenants/<slug>/templates/) first, then the defaults.

    Sandboxed with autoescape: templates come from the operator's tenant definitions, text inside
    them comes from users. ``default/<name>`` always names the default, so an override can extend
    the template it replaces."""
    tenants_dir = Path(tenants_dir or current_app.config["TENANTS_DIR"])
    key = (str(tenants_dir), slug)
    with _env_lock:
        env = _environments.get(key)
        if env is None:
            defaults = jinja2.FileSystemLoader(str(PDF_TEMPLATES))
            env = SandboxedEnvironment(
                loader=jinja2.ChoiceLoader(
                    [
                        jinja2.FileSystemLoader(str(tenants_dir / slug / "templates")),
                        defaults,
                        jinja2.PrefixLoader({"default": defaults}),
                    ]
                ),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.filters["ru_date"] = ru_date
            _environments[key] = env
        return env


def render_html(agency: Agency, data: OrderData, tenants_dir: Path | None = None) -> str:
    env = template_environment(agency.slug, tenants_dir)
    try:
        return env.get_template(MAIN_TEMPLATE).render(doc=data)
    except jinja2.TemplateError as exc:
        log.exception("order template of %s failed", agency.slug)
        raise OrderError(
            "Шаблон приказа организации содержит ошибку. Обратитесь к администратору платформы."
        ) from exc


def template_sources_digest(slug: str, tenants_dir: Path | None = None) -> str:
    """A hash of every template the agency's order may use, so a changed template re-renders."""
    tenants_dir = Path(tenants_dir or current_app.config["TENANTS_DIR"])
    h = hashlib.sha256(PIPELINE_REVISION.encode())
    for base in (tenants_dir / slug / "templates", PDF_TEMPLATES):
        if base.is_dir():
            for path in sorted(p for p in base.rglob("*") if p.is_file()):
                h.update(str(path.relative_to(base)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- WeasyPrint


def _weasyprint():
    # Imported lazily: it loads Pango and fontconfig, which web requests that never render need not.
    import weasyprint
    from weasyprint.urls import URLFetcher

    class RefusingURLFetcher(URLFetcher):
        """Only inline ``data:`` URIs; no file://, no network (REFERENCE.md, untrusted templates)."""

        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                log.warning("order template asked for %s: refused", url[:200])
                raise ValueError("Шаблоны приказов не могут обращаться к файлам и сети")
            return super().fetch(url, headers)

    return weasyprint, RefusingURLFetcher


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    seconds: float
    refused_urls: list[str]


def html_to_pdf(html: str) -> Rendered:
    global _rendered
    weasyprint, fetcher_cls = _weasyprint()
    fetcher = fetcher_cls()
    started = time.perf_counter()
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render()
    pdf = document.write_pdf()
    with _count_lock:
        _rendered += 1
    return Rendered(pdf, len(document.pages), time.perf_counter() - started, fetcher.refused)


def render_order(
    agency: Agency,
    version: ListVersion | None = None,
    with_changes: bool | None = None,
    tenants_dir: Path | None = None,
) -> Rendered:
    """Render now, in this process (the task, the CLI and the benchmark call this)."""
    data = order_context(agency, version, with_changes)
    return html_to_pdf(render_html(agency, data, tenants_dir))


# --------------------------------------------------------------------------- stored documents


def version_key(version: ListVersion, with_changes: bool) -> str:
    return f"version:{version.id}:{'changes' if with_changes else 'plain'}"


def draft_key(agency: Agency) -> str:
    """A hash of everything the draft shows: same list, same templates — same PDF."""
    data = order_context(agency, None)
    payload = json.dumps(
        {
            "data": _jsonable(data),
            "templates": template_sources_digest(agency.slug),
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return "draft:" + hashlib.sha256(payload.encode()).hexdigest()


def _jsonable(obj):
    import dataclasses

    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj


def _find(agency_id: int, key: str) -> OrderDocument | None:
    return db.session.scalar(
        sa.select(OrderDocument).where(
            OrderDocument.agency_id == agency_id, OrderDocument.key == key
        )
    )


def _stale(doc: OrderDocument) -> bool:
    """A queued or claimed rendering that no worker can still be doing (it died or was lost)."""
    limit = current_app.config["CELERY"].get("task_time_limit", 600) + 60
    since = doc.started_at if doc.status == DocumentStatus.RENDERING.value else doc.requested_at
    return since is not None and utcnow() - since > timedelta(seconds=limit)


def _request(
    agency_id: int,
    key: str,
    *,
    version_id: int | None,
    draft: bool,
    with_changes: bool,
    user_id: int | None,
    retry: bool = False,
) -> OrderDocument:
    doc = _find(agency_id, key)
    if doc is None:
        try:
            with db.session.begin_nested():
                doc = OrderDocument(
                    agency_id=agency_id,
                    key=key,
                    version_id=version_id,
                    draft=draft,
                    with_changes=with_changes,
                    requested_by_id=user_id,
                )
                db.session.add(doc)
        except IntegrityError:
            # Someone asked for the same document a moment ago: theirs will do.
            doc = _find(agency_id, key)
            return doc
        if draft:
            _drop_old_drafts(agency_id, keep=doc.id)
        db.session.flush()
        _enqueue(agency_id, doc.id)
    elif (retry and doc.failed) or (doc.in_progress and _stale(doc)):
        doc.status = DocumentStatus.PENDING.value
        doc.error = None
        doc.requested_at = utcnow()
        doc.requested_by_id = user_id or doc.requested_by_id
        _enqueue(agency_id, doc.id)
    return doc


def _enqueue(agency_id: int, document_id: int) -> None:
    from touchpoints.jobs import enqueue

    enqueue("workers.tasks.orders.render", agency_id, document_id)


def _drop_old_drafts(agency_id: int, keep: int) -> None:
    ids = db.session.scalars(
        sa.select(OrderDocument.id)
        .where(OrderDocument.agency_id == agency_id, OrderDocument.draft)
        .order_by(OrderDocument.id.desc())
    ).all()
    old = [i for i in ids if i != keep][DRAFTS_KEPT - 1 :]
    if old:
        db.session.execute(
            sa.delete(OrderDocument).where(
                OrderDocument.agency_id == agency_id, OrderDocument.id.in_(old)
            )
        )


def version_pdf(version: ListVersion, with_changes: bool | None = None) -> OrderDocument | None:
    """The ready, stored PDF of an approved version (the default variant), or None.

    Works in any scope, also the public one: an approved version's order is public, so the lookup
    runs in the version's own agency scope (drafts of the same table stay invisible to others)."""
    with scoped(agency_scope(version.agency_id)):
        if with_changes is None:
            with_changes = default_with_changes(version)
        doc = _find(version.agency_id, version_key(version, with_changes))
    return doc if doc is not None and doc.ready else None


def request_version_pdf(
    version: ListVersion,
    with_changes: bool | None = None,
    user_id: int | None = None,
    retry: bool = False,
) -> OrderDocument:
    """The version's PDF document, queued for rendering if it is not there yet or was lost (and,
    with ``retry``, if it failed). Commits, so that the task is sent; returns the row (see
    ``.ready`` / ``.in_progress`` / ``.failed``)."""
    with scoped(agency_scope(version.agency_id)):
        if with_changes is None:
            with_changes = default_with_changes(version)
        doc = _request(
            version.agency_id,
            version_key(version, with_changes),
            version_id=version.id,
            draft=False,
            with_changes=with_changes,
            user_id=user_id,
            retry=retry,
        )
        db.session.commit()
    return doc


def request_draft_pdf(
    agency: Agency, user_id: int | None = None, retry: bool = False
) -> OrderDocument:
    """The working list as a draft order, rendered unless an identical one is stored. Commits."""
    with scoped(agency_scope(agency.id)):
        if not working_entries(agency.id):
            raise OrderError("В перечне нет ни одной включённой строки: проект приказа пуст.")
        doc = _request(
            agency.id,
            draft_key(agency),
            version_id=None,
            draft=True,
            with_changes=True,
            user_id=user_id,
            retry=retry,
        )
        db.session.commit()
    return doc


def render_document(agency_id: int, document_id: int) -> str:
    """The task's body: claim the document, render it, store it. Idempotent: a document that is
    ready (or claimed by a live worker) is left alone."""
    with scoped(agency_scope(agency_id)):
        doc = db.session.get(OrderDocument, document_id)
        if doc is None or doc.agency_id != agency_id:
            return "missing"
        if doc.ready:
            return "ready"
        now = utcnow()
        limit = timedelta(seconds=current_app.config["CELERY"].get("task_time_limit", 600) + 60)
        claimed = db.session.execute(
            sa.update(OrderDocument)
            .where(
                OrderDocument.id == document_id,
                OrderDocument.agency_id == agency_id,
                sa.or_(
                    OrderDocument.status.in_(
                        [DocumentStatus.PENDING.value, DocumentStatus.FAILED.value]
                    ),
                    sa.and_(
                        OrderDocument.status == DocumentStatus.RENDERING.value,
                        OrderDocument.started_at < now - limit,
                    ),
                ),
            )
            .values(status=DocumentStatus.RENDERING.value, started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            return "busy"
        doc = db.session.get(OrderDocument, document_id)
        db.session.refresh(doc)
        agency = db.session.get(Agency, agency_id)
        try:
            if doc.draft:
                rendered = render_order(agency, None)
                # The list may have changed since the request: the key says what was asked for,
                # so a draft that no longer matches is simply not found by the next request.
            else:
                version = db.session.get(ListVersion, doc.version_id)
                rendered = render_order(agency, version, doc.with_changes)
        except OrderError as exc:
            return _fail(doc, str(exc))
        except Exception:
            log.exception("order PDF %s of agency %s failed", document_id, agency_id)
            return _fail(doc, "Не удалось сформировать PDF. Попробуйте ещё раз позже.")
        doc.pdf = rendered.pdf
        doc.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        doc.size = len(rendered.pdf)
        doc.pages = rendered.pages
        doc.render_seconds = round(rendered.seconds, 3)
        doc.rendered_at = utcnow()
        doc.status = DocumentStatus.READY.value
        doc.error = None
        db.session.commit()
        log.info(
            "order PDF %s of agency %s: %s pages in %.1f s",
            document_id,
            agency_id,
            rendered.pages,
            rendered.seconds,
        )
        return "rendered"


def _fail(doc: OrderDocument, message: str) -> str:
    db.session.rollback()
    doc = db.session.get(OrderDocument, doc.id)
    doc.status = DocumentStatus.FAILED.value
    doc.error = message
    db.session.commit()
    return "failed"


def store_version_pdf(version: ListVersion, with_changes: bool | None = None) -> OrderDocument:
    """Render the version's PDF here and now unless it is stored (the CLI); commits."""
    doc = _version_document(version, with_changes)
    if not doc.ready:
        render_document(version.agency_id, doc.id)
        with scoped(agency_scope(version.agency_id)):
            db.session.refresh(doc)
    return doc


def _version_document(version: ListVersion, with_changes: bool | None) -> OrderDocument:
    with scoped(agency_scope(version.agency_id)):
        if with_changes is None:
            with_changes = default_with_changes(version)
        key = version_key(version, with_changes)
        doc = _find(version.agency_id, key)
        if doc is None:
            doc = OrderDocument(
                agency_id=version.agency_id,
                key=key,
                version_id=version.id,
                draft=False,
                with_changes=with_changes,
            )
            db.session.add(doc)
        db.session.commit()
    return doc


def document_bytes(doc: OrderDocument) -> bytes:
    with scoped(agency_scope(doc.agency_id)):
        return db.session.scalar(
            sa.select(OrderDocument.pdf).where(
                OrderDocument.id == doc.id, OrderDocument.agency_id == doc.agency_id
            )
        )


def pdf_response(doc: OrderDocument, filename: str, *, public: bool = False) -> Response:
    """The stored PDF with its ETag; 304 when the client has these very bytes already."""
    cache = "public, max-age=3600" if public else "private, no-cache"
    if request.if_none_match.contains(doc.sha256):
        response = Response(status=304)
        response.set_etag(doc.sha256)
        response.headers["Cache-Control"] = cache
        return response
    response = Response(document_bytes(doc), mimetype="application/pdf")
    response.set_etag(doc.sha256)
    response.headers["Cache-Control"] = cache
    # HTTP headers are Latin-1: the Russian name goes in filename* (RFC 6266), with an ASCII fallback.
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename="prikaz.pdf",
        **{"filename*": "UTF-8''" + quote(filename, safe="")},
    )
    return response


def pdf_filename(agency: Agency, version: ListVersion | None) -> str:
    if version is None:
        return f"Проект приказа — {agency.short_name}.pdf"
    return (
        f"Приказ от {ru_date(version.order_date)} № {version.order_number} — "
        f"{agency.short_name}.pdf"
    )
