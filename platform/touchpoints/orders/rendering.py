"""Rendering an order's HTML and PDF (issue 4).

A sandboxed Jinja environment renders :class:`~touchpoints.orders.document.OrderData` with the
agency's templates (``tenants/<slug>/templates/`` first, then ``templates/pdf/``); WeasyPrint
makes the PDF with a URL fetcher that refuses everything but ``data:`` URIs, so a template can
reach neither the file system nor the network (docs/pdf.md). Rendering is slow
and WeasyPrint keeps its memory until the process exits, so it runs in a Celery task
(:mod:`touchpoints.orders.claim`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from flask import current_app
from jinja2.sandbox import SandboxedEnvironment

from touchpoints.config import ROOT_DIR
from touchpoints.core import text
from touchpoints.core.safety import neutralise_bidi
from touchpoints.core.tenancy import Agency
from touchpoints.lists.models import ListVersion
from touchpoints.orders import chunks, parts
from touchpoints.orders.document import OrderData, OrderError, order_context

log = logging.getLogger(__name__)

PDF_TEMPLATES = ROOT_DIR / "templates" / "pdf"
MAIN_TEMPLATE = "order.html"
#: Bump when the pipeline's output changes for the same input, so cached drafts are redone.
PIPELINE_REVISION = "3"

#: How many PDFs this process has rendered (see :func:`render_count`).
_rendered = 0
_count_lock = threading.Lock()


def render_count() -> int:
    """PDFs rendered by this process so far (tests check that stored ones are not redone)."""
    return _rendered


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
                # Text typed with U+202E and kin must not print reversed in the order.
                finalize=neutralise_bidi,
            )
            text.register_filters(env)
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


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    seconds: float
    refused_urls: list[str]
    #: CPU seconds of each process that rendered parts (none for an order rendered whole).
    part_cpu: list[float] = field(default_factory=list)


def html_to_pdf(html: str) -> Rendered:
    """The whole document in this process."""
    started = time.perf_counter()
    part = parts.render(html)
    _count()
    return Rendered(
        part.pdf, len(part.page_names), time.perf_counter() - started, part.refused_urls
    )


def _count() -> None:
    global _rendered
    with _count_lock:
        _rendered += 1


def parallel_parts(rows: int) -> tuple[int, int]:
    """(parts, processes) for an appendix of ``rows`` rows: (1, 0) below the configured
    threshold, where one process renders the order (docs/pdf.md)."""
    cfg = current_app.config
    threshold = cfg.get("ORDER_PDF_PARALLEL_ROWS", 0)
    processes = min(cfg.get("ORDER_PDF_PROCESSES", 2), os.cpu_count() or 1)
    if not threshold or rows < threshold or processes < 1:
        return 1, 0
    count = chunks.part_count(rows, cfg.get("ORDER_PDF_PART_ROWS", 1250), processes)
    return (count, processes) if count > 1 else (1, 0)


def render_order(
    agency: Agency,
    version: ListVersion | None = None,
    with_changes: bool | None = None,
    tenants_dir: Path | None = None,
) -> Rendered:
    """Render now (the task, the CLI and the benchmark call this): in this process, or a large
    appendix in parts by parallel processes (orders/chunks.py)."""
    data = order_context(agency, version, with_changes)
    count, processes = parallel_parts(data.appendix.row_count)
    if count == 1:
        return html_to_pdf(render_html(agency, data, tenants_dir))
    started = time.perf_counter()
    htmls = [render_html(agency, d, tenants_dir) for d in chunks.split_order(data, count)]
    merged, cpu = chunks.render_parts(htmls, processes)
    _count()
    log.info(
        "order PDF of %s: %s rows in %s parts by %s processes (CPU %s s)",
        agency.slug,
        data.appendix.row_count,
        len(htmls),
        processes,
        " + ".join(f"{c:.1f}" for c in cpu),
    )
    seconds = time.perf_counter() - started
    return Rendered(merged.pdf, len(merged.page_names), seconds, merged.refused_urls, cpu)
