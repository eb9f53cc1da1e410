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
import importlib
import logging
import re
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import current_app, url_for
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from touchpoints.core.db import Scope, agency_scope, db, scoped
from touchpoints.lists.models import ListVersion, VersionEntry, version_in_force
from touchpoints.lists.table import FormTable, build
from touchpoints.public import opendata
from touchpoints.public.models import PublishedFile
from touchpoints.regions.models import Agency, Region
from touchpoints.tenants.form import Form

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


def versions_query(agency_id: int):
    return (
        sa.select(ListVersion)
        .where(ListVersion.agency_id == agency_id)
        .order_by(ListVersion.number.desc())
    )


def current_version(agency_id: int) -> ListVersion | None:
    """The version in force: the latest one whose approval was not annulled."""
    return db.session.scalars(versions_query(agency_id).where(version_in_force()).limit(1)).first()


def version_by_number(agency: Agency, number: int) -> ListVersion:
    version = None
    if 0 < number < 2**31:
        version = db.session.scalar(
            sa.select(ListVersion).where(
                ListVersion.agency_id == agency.id, ListVersion.number == number
            )
        )
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


def latest_versions(agency_ids: Iterable[int]) -> dict[int, ListVersion]:
    """The current version of each of the given agencies (those that have one)."""
    ids = list(agency_ids)
    if not ids:
        return {}
    latest = (
        sa.select(ListVersion.agency_id, sa.func.max(ListVersion.number).label("number"))
        .where(ListVersion.agency_id.in_(ids), version_in_force())
        .group_by(ListVersion.agency_id)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(ListVersion).join(
            latest,
            sa.and_(
                ListVersion.agency_id == latest.c.agency_id, ListVersion.number == latest.c.number
            ),
        )
    )
    return {v.agency_id: v for v in rows}


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


def xlsx_exporter() -> Callable | None:
    """``export_list`` of the export feature, when it is installed (issue: import and export)."""
    try:
        module = importlib.import_module("touchpoints.transfer.export")
    except ImportError:
        return None
    return getattr(module, "export_list", None)


def available_formats() -> list[str]:
    return ["csv", "json"] + (["xlsx"] if xlsx_exporter() else [])


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
        export = xlsx_exporter()
        if export is None:
            raise NotFound("Выгрузка в XLSX пока недоступна.")
        content, filename, mimetype = export(agency, version=version, fmt="xlsx")
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


def _orders_module():
    try:
        module = importlib.import_module("touchpoints.orders.storage")
    except ImportError:
        return None
    return module if hasattr(module, "version_pdf") else None


def pdf_available() -> bool:
    return _orders_module() is not None


@dataclasses.dataclass(frozen=True)
class OrderPdf:
    #: "ready", "pending" (queued or rendering) or "failed".
    state: str
    content: bytes | None = None
    sha256: str | None = None


def order_pdf(version: ListVersion, *, request_if_missing: bool = True) -> OrderPdf | None:
    """The PDF of the order that approved the version (issue: orders as PDF). Rendered once by
    the orders feature and kept; when it is not there yet, its rendering is requested. None when
    the orders feature is not installed."""
    module = _orders_module()
    if module is None:
        return None
    # The order's table is not public: read (and request) in the version's own agency scope,
    # only the approved version's document.
    with scoped(agency_scope(version.agency_id)):
        doc = module.version_pdf(version)
        if doc is not None:
            return OrderPdf("ready", bytes(doc.pdf), doc.sha256)
        if not request_if_missing:
            return OrderPdf("pending")
        doc = module.request_version_pdf(version)
        return OrderPdf("failed" if getattr(doc, "failed", False) else "pending")


# --------------------------------------------------------------------------- validators


def etag_of(*parts) -> str:
    """A strong validator of a representation built from the given facts."""
    raw = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def embed_snippets(agency: Agency) -> dict[str, str]:
    page = url_for("public.agency", slug=agency.slug, _external=True)
    embed = url_for("public.embed", slug=agency.slug, _external=True)
    title = escape(f"Перечень точек взаимодействия с клиентом — {agency.short_name}")
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
