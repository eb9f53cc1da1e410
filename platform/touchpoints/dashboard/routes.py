"""Dashboards: the region's (project office home), channels, exports, peers and regions."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from touchpoints.auth import access
from touchpoints.auth.access import (
    current_agency,
    current_region,
    get_agency_or_404,
    permission_required,
)
from touchpoints.auth.roles import Permission
from touchpoints.core.web import Page
from touchpoints.core.xlsx import XLSX_MIME
from touchpoints.dashboard import charts, exports, services
from touchpoints.dashboard.board import AgencyRow, Dashboard
from touchpoints.dashboard.filters import PUBLICATION_FILTERS, Filters
from touchpoints.dashboard.filters import apply as apply_filters
from touchpoints.dashboard.pending import pending_reviews
from touchpoints.extensions import limiter
from touchpoints.lists import labels

bp = Blueprint("dashboard", __name__)


# --------------------------------------------------------------------------- drill-down links


#: The page behind each kind of figure: (endpoint, takes the version number).
LINKS = {
    "overview": ("agencies.view", False),
    # The agency's overview shows its deadlines and reminders.
    "deadlines": ("agencies.view", False),
    "list": ("lists.agency_list", False),
    "compliance": ("lists.agency_check", False),
    "versions": ("lists.agency_versions", False),
    "version": ("lists.agency_version", True),
}


def agency_url(slug: str, what: str = "overview", number: int | None = None, **query) -> str:
    """The page behind a figure: an agency's overview, list, check, versions or a version.

    Only non-empty query values are kept, so the list's own filters apply."""
    endpoint, numbered = LINKS.get(what, LINKS["overview"])
    if numbered and not number:
        endpoint, numbered = LINKS["versions"]
    values = {k: v for k, v in query.items() if v not in (None, "")}
    if numbered:
        values["number"] = number
    return url_for(endpoint, slug=slug, **values)


@bp.app_template_global("dashboard_agency_url")
def _agency_url_global(slug, what="overview", number=None, **query):
    return agency_url(slug, what, number, **query)


# --------------------------------------------------------------------------- region


def _chart_context(board: Dashboard, rows: list[AgencyRow]) -> dict:
    areas = board.catalogue["activity_areas"]
    by_share = sorted(rows, key=lambda r: (r.digital_share is None, -(r.digital_share or 0)))
    return {
        "share_chart": charts.share_bars(
            "ch-share",
            "Доля цифровых точек взаимодействия по органам власти",
            [
                {
                    "label": r.name,
                    "value": r.digital_share,
                    "href": agency_url(r.slug, "list", channel="digital"),
                }
                for r in by_share
            ],
        ),
        "kinds_chart": charts.stacked_bars(
            "ch-kinds",
            "Цифровые и офлайн точки взаимодействия по органам власти",
            [
                {
                    "label": r.name,
                    "digital": r.digital,
                    "offline": r.offline,
                    "href": agency_url(r.slug, "list"),
                }
                for r in rows
            ],
        ),
        "timeline_chart": charts.timeline(
            "ch-time", "Изменения перечней и утверждённые редакции по месяцам", board.timeline
        ),
        "heat_chart": charts.heatmap(
            "ch-heat",
            "Строки перечней по направлениям деятельности",
            [(r.name, agency_url(r.slug, "list")) for r in rows],
            [a["name"] for a in areas],
            heat_values(rows, areas),
        ),
    }


def heat_values(rows, areas) -> list[list[int | None]]:
    return [
        [
            None
            if a["code"] in r.common_areas_not_performed and not r.common_areas.get(a["code"])
            else r.common_areas.get(a["code"], 0)
            for a in areas
        ]
        for r in rows
    ]


@bp.route("/dashboard/")
@permission_required(Permission.READ_REGION)
def region():
    region = current_region(url_for("dashboard.regions"))
    board = services.region_dashboard(region)
    filters = Filters.from_args(request.args)
    rows = board.memo(("rows", filters.key), lambda: apply_filters(board.rows, filters))
    page = Page.of_list(rows)
    region_arg = access.region_arg(region)
    can_create = current_user.can(Permission.CREATE_AGENCY)

    def body():
        forms = sorted({(r.form_template, r.form_name) for r in board.rows})
        export_args = filters.as_args(**({"region": region_arg} if region_arg else {}))
        return Markup(
            render_template(
                "dashboard/_region_body.html",
                region=region,
                board=board,
                filters=filters,
                page=page,
                rows=rows,
                forms=forms,
                publication_filters=PUBLICATION_FILTERS,
                # Charts of a thousand agencies made a page of megabytes: they follow the
                # table's page (the timeline sums the whole region either way).
                chart_rows=page.items,
                heat=heat_values(page.items, board.catalogue["activity_areas"]),
                region_arg=region_arg,
                export_args=export_args,
                can_create=can_create,
                **_chart_context(board, page.items),
            )
        )

    # The page body is a function of the figures, the query string (the pager's links repeat it
    # as given) and these two flags only: nothing else of the user, no CSRF token (its form is a
    # GET). So it is rendered once per board and view; the layout around it, per request.
    key = ("region-page", tuple(sorted(request.args.items(multi=True))), region_arg, can_create)
    return render_template(
        "dashboard/region.html", region=region, region_arg=region_arg, body=board.memo(key, body)
    )


def sort_url(filters: Filters, key: str, region_arg: str | None) -> str:
    desc = not filters.desc if filters.sort == key else key not in ("name",)
    args = filters.as_args(sort=key, dir="desc" if desc else "")
    if region_arg:
        args["region"] = region_arg
    return f"{request.path}?{urlencode(args)}"


bp.add_app_template_global(sort_url, "dashboard_sort_url")


@bp.route("/dashboard/channels")
@permission_required(Permission.READ_REGION)
def channels():
    region = current_region()
    board = services.region_dashboard(region)
    taxonomy = board.used_taxonomy()
    users = {t["code"]: sum(1 for r in board.rows if r.taxonomy.get(t["code"])) for t in taxonomy}
    return render_template(
        "dashboard/channels.html",
        region=region,
        board=board,
        taxonomy=taxonomy,
        users=users,
        region_arg=access.region_arg(region),
    )


def _export_rows():
    region = current_region()
    board = services.region_dashboard(region)
    rows = apply_filters(board.rows, Filters.from_args(request.args))
    return region, board, rows


@bp.route("/dashboard/export.xlsx")
@permission_required(Permission.READ_REGION)
def export_xlsx():
    region, board, rows = _export_rows()
    data = exports.xlsx(region, board, rows, heat_values(rows, board.catalogue["activity_areas"]))
    return _download(data, XLSX_MIME, f"dashboard-{region.slug}-{board.today}.xlsx")


@bp.route("/dashboard/export.pdf")
@permission_required(Permission.READ_REGION)
@limiter.limit("10 per minute", key_func=lambda: f"user:{current_user.get_id()}")
def export_pdf():
    region, board, rows = _export_rows()
    html = render_template(
        "dashboard/pdf.html",
        region=region,
        board=board,
        rows=rows,
        heat=heat_values(rows, board.catalogue["activity_areas"]),
        timeline_chart=charts.timeline(
            "ch-time", "Изменения перечней и утверждённые редакции по месяцам", board.timeline
        ),
    )
    return _download(
        _cached_pdf(html), "application/pdf", f"dashboard-{region.slug}-{board.today}.pdf"
    )


def _cached_pdf(html: str) -> bytes:
    """The report's HTML determines its PDF: the same figures are laid out by WeasyPrint (a few
    seconds and a few hundred MB) once per process, not once per click."""
    key = hashlib.sha256(html.encode()).hexdigest()
    cache = current_app.extensions.setdefault("dashboard_pdf_cache", {})
    data = cache.get(key)
    if data is None:
        data = exports.pdf(html)
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[key] = data
    return data


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# --------------------------------------------------------------------------- peers and regions


@bp.route("/list/peers")
@permission_required(Permission.READ_AGENCY)
def peers():
    agency = current_agency()
    channels_, total = services.peer_channels(agency)
    return render_template(
        "dashboard/peers.html",
        agency=agency,
        channels=channels_,
        missing=[c for c in channels_ if c.missing],
        peers_total=total,
        majority=services.PEER_MAJORITY,
    )


@bp.route("/admin/regions")
@permission_required(Permission.MANAGE_ALL)
def regions():
    return render_template("dashboard/regions.html", summaries=services.region_summaries())


@bp.route("/dashboard/agencies/<slug>/pending")
@permission_required(Permission.READ_REGION)
def pending(slug):
    agency = get_agency_or_404(slug)
    items, total = pending_reviews(agency.id)
    return render_template(
        "dashboard/pending.html",
        agency=agency,
        items=items,
        total=total,
        kind_labels=labels.KIND_LABELS,
        region_arg=access.region_arg(agency.region),
    )
