"""WeasyPrint itself, in this process or in a part-rendering process (docs/pdf.md).

This module is what a part-rendering process imports: nothing of Flask or the database, only
WeasyPrint and pypdf, loaded lazily. It renders an HTML document (the whole order, or one part of
a large one) with a URL fetcher that refuses everything but ``data:`` URIs, and stamps a part's
pages with the margin boxes of the whole document («Стр. N из M», «ПРОЕКТ»).

Parts are rendered without margin boxes (:data:`NO_MARGIN_BOXES`), since a part knows neither
its first page number nor the total. Once every part is rendered, each part's pages are stamped
with an overlay: the template's own ``<head>`` (its ``@page`` rules) over empty pages of the same
names, its page counter starting at the part's first page and ``counter(pages)`` replaced by the
total, merged onto the part's pages with pypdf.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MARGIN_BOXES = [
    f"{edge}-{where}"
    for edge, places in (
        ("top", ("left-corner", "left", "center", "right", "right-corner")),
        ("bottom", ("left-corner", "left", "center", "right", "right-corner")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for where in places
]
_PAGE_NAME = re.compile(r"@page\s+([A-Za-z_][\w-]*)")
_COUNTER_PAGES = re.compile(r"counter\(\s*pages\s*(?:,[^)]*)?\)")
_IDENT = re.compile(r"[A-Za-z_][\w-]*")


def _page_rules(head: str, body: str) -> str:
    """``body`` for every page: ``@page`` and each named page the template declares. The
    declarations are ``!important``, which wins over the template's whatever its specificity."""
    names = ["", *sorted(set(_PAGE_NAME.findall(head)))]
    return "".join(f"@page {name} {{ {body} }}\n" for name in names)


def without_margin_boxes(html: str) -> str:
    """A part as rendered: the template's margin boxes left out (the overlay draws them)."""
    boxes = " ".join(f"@{box} {{ content: none !important; }}" for box in MARGIN_BOXES)
    return _with_style(html, _page_rules(html.split("<body", 1)[0], boxes))


def _with_style(html: str, css: str) -> str:
    style = f"<style>\n{css}</style>\n"
    at = html.find("</head>")
    if at < 0:
        at = html.find("<body")
    return html[:at] + style + html[at:] if at >= 0 else style + html


def _weasyprint():
    # Imported lazily: it loads Pango and fontconfig, which web requests that never render need not.
    import weasyprint
    from weasyprint.urls import URLFetcher

    class RefusingURLFetcher(URLFetcher):
        """Only inline ``data:`` URIs; no file://, no network (untrusted templates)."""

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
class Part:
    """A rendered document: the PDF, the name of each page's ``@page`` rule ("" for none) and
    the URLs the template asked for and was refused."""

    pdf: bytes
    page_names: list[str]
    refused_urls: list[str] = field(default_factory=list)
    #: The rendering process and its CPU seconds so far (the log and the benchmark add them up).
    pid: int = field(default_factory=os.getpid)
    cpu: float = field(default_factory=time.process_time)


def render(html: str) -> Part:
    weasyprint, fetcher_cls = _weasyprint()
    fetcher = fetcher_cls()
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render()
    names = [page._page_box.page_type.name for page in document.pages]
    return Part(document.write_pdf(), names, fetcher.refused)


def render_part(html: str) -> Part:
    """One part of a large order (in a part-rendering process)."""
    return render(without_margin_boxes(html))


def overlay_html(head: str, page_names: list[str], first_page: int, total: int) -> tuple[str, int]:
    """Empty pages carrying only the margin boxes of pages ``first_page`` … of ``total``, and
    how many leading pages to drop: a part after the first starts with one or two pages more,
    so that its real pages are not ``:first`` and keep their left/right side."""
    skip = 0 if first_page == 1 else 1 if first_page % 2 == 0 else 2
    names = [page_names[0]] * skip + page_names
    css = (
        "html, body { background: none !important; margin: 0 !important; }\n"
        "div.tp-stamp { break-before: page; height: 0; }\n"
        f"@page :first {{ counter-reset: page {first_page - skip}; }}\n"
        + _page_rules(head, "background: none !important;")
    )
    pages = "".join(
        f'<div class="tp-stamp" style="page: {n if _IDENT.fullmatch(n or "") else "auto"}"></div>'
        for n in names
    )
    # The template's own numbers, with the total known: counter(pages) would count the overlay.
    head = _COUNTER_PAGES.sub(f'"{total}"', head)
    return _with_style(f"{head}<body>{pages}</body></html>", css), skip


def stamp_part(pdf: bytes, head: str, page_names: list[str], first_page: int, total: int) -> Part:
    """The part's pages with the whole document's margin boxes drawn over them."""
    from pypdf import PdfReader, PdfWriter

    html, skip = overlay_html(head, page_names, first_page, total)
    overlay = render(html)
    stamps = PdfReader(io.BytesIO(overlay.pdf)).pages[skip:]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if len(stamps) != len(writer.pages):
        raise RuntimeError(
            f"overlay of pages {first_page}…: {len(stamps)} pages for {len(writer.pages)}"
        )
    for page, stamp in zip(writer.pages, stamps, strict=True):
        page.merge_page(stamp)
        # merge_page leaves the content uncompressed: ten times the bytes.
        page.compress_content_streams()
    out = io.BytesIO()
    writer.write(out)
    return Part(out.getvalue(), page_names, overlay.refused_urls)


def start_worker() -> None:
    """A part-rendering process dies with the process that started it (a Celery worker killed
    at its time limit or by the memory cap), instead of rendering for nobody."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the part finishes, then finds no one
        return
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(1)
