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

import sqlalchemy as sa
from flask import current_app, url_for
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from touchpoints.core.db import Scope, agency_scope, db, scoped
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
