"""What the public pages and the API read: agencies, approved versions and their downloads.

Everything here runs in the ``public`` scope (set by the blueprints), in which only tables with
:class:`~touchpoints.core.db.PublicReadMixin` (approved versions and their rows) can be read, in
the application and by PostgreSQL row-level security alike. Drafts, returned and excluded entries
live in ``entry``, which is not readable in this scope at all: it cannot leak through a mistake
in a query here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, url_for
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from touchpoints.core.db import SYSTEM_SCOPE, Scope, agency_scope, db, scoped
from touchpoints.core.tenancy import Agency, Region
from touchpoints.lists.form import Form
from touchpoints.lists.models import ListVersion, VersionEntry
from touchpoints.lists.table import FormTable, build
from touchpoints.orders import storage as orders
from touchpoints.public import opendata
from touchpoints.public.models import PublishedFile
from touchpoints.transfer.export import export_list

log = logging.getLogger(__name__)

PUBLIC_SCOPE = Scope("public")
#: Agency and region slugs as the tenant schema allows them; anything else cannot exist.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: Formats rendered and cached here (XLSX comes from the export feature).
CACHED_FORMATS = ("csv", "json", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class NotFound(LookupError):
    """Something a request named does not exist (publicly); the message is shown as is."""


# --------------------------------------------------------------------------- lookups


def agency_by_slug(slug: str) -> Agency:
    agency = None
    if SLUG_RE.match(slug or ""):
        agency = db.session.scalar(
            sa.select(Agency).where(Agency.slug == slug).options(sa.orm.joinedload(Agency.region))
        )
    if agency is None:
        raise NotFound(f"Организация «{slug}» не найдена в реестре.")
    return agency


@dataclasses.dataclass(frozen=True)
class PageTag:
    """What an agency's public page shows, as facts read in one query (the cache tag)."""

    agency_id: int
    #: The version the page shows (the current one, or the one asked for); None: none.
    version_id: int | None
    current_id: int | None
    current_approved_at: datetime | None
    facts: tuple


def page_tag(slug: str, number: int | None = None) -> PageTag | None:
    """The agency's publication fingerprint in one SELECT: its names, region, the current and
    the shown version, how many versions there are and the state of the shown version's order PDF.
    None when there is no such agency.

    The order documents are not public rows (their drafts are the agency's own), so this one
    query runs in the system scope; only ids, names, times and the PDF's state and hash leave it,
    all of which the page itself shows or derives from."""
    from touchpoints.orders.models import OrderDocument

    if not SLUG_RE.match(slug or "") or (number is not None and not 0 < number < 2**31):
        return None
    a, r, d = Agency, Region, OrderDocument
    v1, v2, v3, v4 = (sa.orm.aliased(ListVersion) for _ in range(4))

    def latest_of(v):
        return (
            sa.select(v.id)
            .where(v.agency_id == a.id)
            .order_by(v.number.desc())
            .limit(1)
            .correlate(a)
            .scalar_subquery()
        )

    def shown_of(v):
        if number is None:
            return latest_of(v)
        return (
            sa.select(v.id)
            .where(v.agency_id == a.id, v.number == number)
            .correlate(a)
            .scalar_subquery()
        )

    latest = latest_of(v1)
    query = (
        sa.select(
            a.id,
            a.slug,
            a.full_name,
            a.short_name,
            a.website,
            r.name,
            latest,
            sa.select(v2.approved_at)
            .where(v2.agency_id == a.id)
            .order_by(v2.number.desc())
            .limit(1)
            .correlate(a)
            .scalar_subquery(),
            shown_of(v3),
            sa.select(sa.func.count())
            .select_from(v4)
            .where(v4.agency_id == a.id)
            .correlate(a)
            .scalar_subquery(),
            sa.select(sa.func.string_agg(d.status + ":" + sa.func.coalesce(d.sha256, ""), ","))
            .where(d.version_id == shown_of(sa.orm.aliased(ListVersion)), d.agency_id == a.id)
            .where(sa.not_(d.draft))
            .correlate(a)
            .scalar_subquery(),
            # The list's title reads the name in its cases (Agency.name_in).
            a.name_genitive,
            a.name_dative,
            a.name_prepositional,
        )
        .join(r, r.id == a.region_id)
        .where(a.slug == slug)
    )
    with scoped(SYSTEM_SCOPE):
        row = db.session.execute(query).first()
    if row is None:
        return None
    return PageTag(
        agency_id=row[0],
        version_id=row[8],
        current_id=row[6],
        current_approved_at=row[7],
        facts=tuple(row),
    )


def region_by_slug(slug: str) -> Region:
    region = None
    if SLUG_RE.match(slug or ""):
        region = db.session.scalar(sa.select(Region).where(Region.slug == slug))
    if region is None:
        raise NotFound(f"Регион «{slug}» не найден.")
    return region


def version_by_number(agency: Agency, number: int) -> ListVersion:
    version = ListVersion.by_number(agency.id, number)
    if version is None:
        raise NotFound(f"У организации «{agency.short_name}» нет утверждённой редакции № {number}.")
    return version


def version_rows(version: ListVersion) -> list[VersionEntry]:
    return list(
        db.session.scalars(
            sa.select(VersionEntry)
            .where(VersionEntry.version_id == version.id)
            .order_by(VersionEntry.row_number)
        )
    )


def agencies_query(region_id: int | None = None):
    q = (
        sa.select(Agency)
        .join(Region)
        .options(sa.orm.contains_eager(Agency.region))
        .order_by(Region.name, Agency.short_name, Agency.id)
    )
    if region_id is not None:
        q = q.where(Agency.region_id == region_id)
    return q


def index_tag(page: int, per_page: int) -> tuple[tuple, datetime | None]:
    """The facts one page of the /p/ index shows, in one query of plain columns (no forms, no
    version objects): each agency's id, slug, names, region and current version, and the total.
    Returns (facts, the newest approval among them).

    The page's agencies are cut first (ORDER BY … LIMIT in a subquery), so the versions are
    looked up for those ``per_page`` agencies only, not for every agency of the registry."""
    a, r = Agency.__table__.c, Region.__table__.c
    v = ListVersion.__table__.c
    shown = (
        sa.select(a.id, a.slug, a.short_name, a.full_name, r.name.label("region"))
        .select_from(Agency.__table__.join(Region.__table__, r.id == a.region_id))
        .order_by(r.name, a.short_name, a.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
        .subquery("shown")
    )
    latest = (
        sa.select(v.id)
        .where(v.agency_id == shown.c.id)
        .order_by(v.number.desc())
        .limit(1)
        .correlate(shown)
        .scalar_subquery()
    )
    approved = (
        sa.select(sa.func.max(v.approved_at))
        .where(v.agency_id == shown.c.id)
        .correlate(shown)
        .scalar_subquery()
    )
    total = sa.select(sa.func.count()).select_from(Agency.__table__).scalar_subquery()
    rows = db.session.execute(
        sa.select(*shown.c, latest, approved, total).order_by(
            shown.c.region, shown.c.short_name, shown.c.id
        )
    ).all()
    last = max((row[6] for row in rows if row[6] is not None), default=None)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if not rows:
        total_count = db.session.scalar(sa.select(sa.func.count()).select_from(Agency.__table__))
        return ((total_count or 0),), None
    return (*tuple(tuple(row[:6]) for row in rows), rows[0][7]), last


# --------------------------------------------------------------------------- the table in the form


def version_table(version: ListVersion, rows: list[VersionEntry]) -> FormTable:
    """Rows in the agency's form, grouped by activity area when the form does so (Kuzbass 3.5:
    the list is formed for each area; areas not performed are shown as such)."""
    return build(Form(version.form), rows, not_performed=version.areas_not_performed or ())


# --------------------------------------------------------------------------- downloads


@dataclasses.dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    mimetype: str
    sha256: str


def schema_url() -> str:
    base = current_app.config.get("BASE_URL") or ""
    return base.rstrip("/") + "/p/opendata/schema.json"


def _filename(agency: Agency, version: ListVersion, fmt: str) -> str:
    return f"{agency.slug}-redakciya-{version.number}.{fmt}"


#: Downloads of an approved version besides the order's PDF.
FORMATS = ("csv", "json", "xlsx")


def available_formats() -> list[str]:
    return list(FORMATS)


def _render(agency: Agency, version: ListVersion, fmt: str) -> tuple[bytes, str, str]:
    if fmt == "csv":
        rows = version_rows(version)
        return (
            opendata.render_csv(agency, version, rows),
            _filename(agency, version, fmt),
            MIMETYPES[fmt],
        )
    if fmt == "json":
        rows = version_rows(version)
        doc = opendata.render_json(agency, version, rows, schema_url())
        return doc, _filename(agency, version, fmt), MIMETYPES[fmt]
    if fmt == "xlsx":
        content, filename, mimetype = export_list(agency, version=version, fmt="xlsx")
        return content, filename or _filename(agency, version, fmt), mimetype or MIMETYPES[fmt]
    raise NotFound(f"Формат «{fmt}» не поддерживается.")


def download(agency: Agency, version: ListVersion, fmt: str) -> Download:
    """The file of a version in a format: rendered on first request, then served from the table."""
    renderer = opendata.RENDERER
    stored = db.session.scalar(
        sa.select(PublishedFile).where(
            PublishedFile.version_id == version.id, PublishedFile.fmt == fmt
        )
    )
    if stored is not None and stored.renderer == renderer:
        return Download(stored.content, stored.filename, stored.mimetype, stored.sha256)
    content, filename, mimetype = _render(agency, version, fmt)
    sha = hashlib.sha256(content).hexdigest()
    _store(version, fmt, renderer, content, filename, mimetype, sha, replace=stored is not None)
    return Download(content, filename, mimetype, sha)


def _store(version, fmt, renderer, content, filename, mimetype, sha, *, replace: bool) -> None:
    agency_id, version_id = version.agency_id, version.id
    # Writing needs the version's own agency scope (RLS allows no writes in the public one); the
    # row written is derived from public data only.
    with scoped(agency_scope(agency_id)):
        try:
            if replace:
                db.session.execute(
                    sa.delete(PublishedFile).where(
                        PublishedFile.version_id == version_id, PublishedFile.fmt == fmt
                    )
                )
            db.session.add(
                PublishedFile(
                    agency_id=agency_id,
                    version_id=version_id,
                    fmt=fmt,
                    renderer=renderer,
                    filename=filename,
                    mimetype=mimetype,
                    content=content,
                    sha256=sha,
                )
            )
            db.session.commit()
        except IntegrityError:
            # Another request stored the same file first: theirs is as good as ours.
            db.session.rollback()
            log.info("download of version %s as %s was stored concurrently", version_id, fmt)


# --------------------------------------------------------------------------- the order's PDF


def pdf_available() -> bool:
    """Whether the public pages and the API offer the approving order's PDF
    (TOUCHPOINTS_PUBLIC_ORDER_PDF; tests of other things turn it off to spare WeasyPrint)."""
    return bool(current_app.config.get("PUBLIC_ORDER_PDF", True))


@dataclasses.dataclass(frozen=True)
class OrderPdf:
    #: "ready", "pending" (queued or rendering) or "failed".
    state: str
    #: The stored document (orders.models.OrderDocument) when ready; its bytes are not loaded.
    document_id: int | None = None
    sha256: str | None = None
    size: int | None = None


def order_pdf(version: ListVersion, *, request_if_missing: bool = True) -> OrderPdf | None:
    """The PDF of the order that approved the version (issue: orders as PDF). Rendered once by
    the orders feature and kept; when it is not there yet, its rendering is requested. None when
    the public pages do not offer it (:func:`pdf_available`). The PDF's bytes stay in the
    database (the column is deferred): a page only needs its state, a download streams it
    (:func:`pdf_chunks`)."""
    if not pdf_available():
        return None
    # The order's table is not public: read (and request) in the version's own agency scope,
    # only the approved version's document.
    with scoped(agency_scope(version.agency_id)):
        doc = orders.version_pdf(version)
        if doc is not None:
            size = doc.size
            if size is None:
                size = db.session.scalar(
                    sa.select(sa.func.length(type(doc).pdf)).where(type(doc).id == doc.id)
                )
            return OrderPdf("ready", doc.id, doc.sha256, size or 0)
        if not request_if_missing:
            return OrderPdf("pending")
        doc = orders.request_version_pdf(version)
        return OrderPdf("failed" if getattr(doc, "failed", False) else "pending")


#: Bytes per read of a stored file: a download holds this much in Python, not the whole file.
CHUNK = 256 * 1024


def pdf_chunks(agency_id: int, document_id: int, size: int) -> Iterator[bytes]:
    """The stored PDF in slices read one by one (SQL substring of the bytea column)."""
    from touchpoints.orders.models import OrderDocument

    for offset in range(0, size, CHUNK):
        with scoped(agency_scope(agency_id)):
            chunk = db.session.scalar(
                sa.select(sa.func.substr(OrderDocument.pdf, offset + 1, CHUNK)).where(
                    OrderDocument.id == document_id, OrderDocument.agency_id == agency_id
                )
            )
        if not chunk:
            return
        yield bytes(chunk)


# --------------------------------------------------------------------------- validators


def etag_of(*parts) -> str:
    """A strong validator of a representation built from the given facts."""
    raw = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def embed_snippets(agency: Agency) -> dict[str, str]:
    page = url_for("public.agency", slug=agency.slug, _external=True)
    embed = url_for("public.embed", slug=agency.slug, _external=True)
    title = escape(f"Перечень точек взаимодействия с клиентом {agency.name_in('genitive')}")
    iframe = (
        f'<iframe src="{embed}" title="{title}" width="100%" height="240" '
        'loading="lazy" style="border:1px solid #d9dee6;border-radius:6px;max-width:640px">'
        "</iframe>"
    )
    link = (
        f'<a href="{page}" target="_blank" rel="noopener" '
        'style="display:inline-block;padding:12px 16px;border:1px solid #d9dee6;'
        'border-radius:6px;color:#1f5fa8;text-decoration:none;font-family:sans-serif">'
        f"{title}: актуальная редакция, приказ, файлы для скачивания</a>"
    )
    return {"iframe": iframe, "link": link}
