"""The project office's quarterly report: the region's trend, a quarter's table with the office's
assessments, XLSX and DOCX downloads. The office sees its own region; the operator picks one
with ``?region=``."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.auth.access import (
    current_region,
    get_agency_or_404,
    permission_required,
    region_arg,
)
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.web import committed
from touchpoints.core.xlsx import XLSX_MIME
from touchpoints.reports import exports, services
from touchpoints.reports.models import ASSESSMENT_TEXT, ASSESSMENTS

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _region_args(region) -> dict:
    arg = region_arg(region)
    return {"region": arg} if arg else {}


def _quarter(region) -> services.Quarter:
    raw = request.values.get("q")
    if not raw:
        return services.Quarter.of(services.today_in(region))
    try:
        return services.Quarter.parse(raw)
    except services.ReportError:
        abort(404)


@bp.route("/")
@permission_required(Permission.READ_REGION)
def index():
    region = current_region(url_for("dashboard.regions"))
    current = services.Quarter.of(services.today_in(region))
    return render_template(
        "reports/index.html",
        region=region,
        ra=_region_args(region),
        trend=services.trend(region),
        current=current,
        previous=current.previous(),
        can_assess=services.can_assess(current_user, region),
    )


def _quarter_page(region, q: services.Quarter, failed: dict | None = None) -> str:
    snaps = services.snapshots(region, q)
    today = services.today_in(region)
    totals = services.totals(snaps)
    return render_template(
        "reports/quarter.html",
        region=region,
        ra=_region_args(region),
        quarter=q,
        snaps=snaps,
        lines=exports.region_lines(totals) if snaps else [],
        page_check=exports.PAGE_CHECK,
        order_text=exports.order_text,
        assessments=ASSESSMENTS,
        assessment_text=ASSESSMENT_TEXT,
        is_current=services.Quarter.of(today) == q,
        started=q.start <= today,
        can_assess=services.can_assess(current_user, region),
        failed=failed,
    )


@bp.route("/quarter")
@permission_required(Permission.READ_REGION)
def quarter():
    region = current_region()
    return _quarter_page(region, _quarter(region))


@bp.route("/snapshot", methods=["POST"])
@permission_required(Permission.READ_REGION)
def snapshot():
    region = current_region()
    q = _quarter(region)
    if not services.can_assess(current_user, region):
        abort(403)
    with committed(services.ReportError) as done:
        result = services.take_snapshot(region, q)
    if done:
        flash(
            f"Показатели за {q.label} зафиксированы: новых строк {result['created']}, "
            f"обновлено {result['updated']}.",
            "success",
        )
    return redirect(url_for("reports.quarter", q=q.key, **_region_args(region)))


@bp.route("/<slug>/assessment", methods=["POST"])
@permission_required(Permission.READ_REGION)
def assessment(slug):
    agency = get_agency_or_404(slug)
    region = current_region()
    if agency.region_id != region.id:
        abort(404)
    q = _quarter(region)
    try:
        services.set_assessment(
            region,
            q,
            agency,
            current_user,
            request.form.get("level", ""),
            request.form.get("comment", ""),
            request.form.get("seen", ""),
        )
    except services.ReportError as exc:
        db.session.rollback()
        # The page again, with what was typed kept in this agency's form and the reason shown.
        failed = {
            "agency_id": agency.id,
            "message": str(exc),
            "level": request.form.get("level", ""),
            "comment": request.form.get("comment", ""),
        }
        return _quarter_page(region, q, failed), 400
    db.session.commit()
    flash(f"Оценка «{agency.short_name}» за {q.label} сохранена.", "success")
    return redirect(
        url_for("reports.quarter", q=q.key, **_region_args(region)) + f"#agency-{agency.id}"
    )


@bp.route("/export.xlsx")
@permission_required(Permission.READ_REGION)
def export_xlsx():
    return _export("xlsx")


@bp.route("/export.docx")
@permission_required(Permission.READ_REGION)
def export_docx():
    return _export("docx")


def _export(fmt: str):
    region = current_region()
    q = _quarter(region)
    snaps = services.snapshots(region, q)
    if not snaps:
        flash(f"За {q.label} показатели ещё не зафиксированы.", "error")
        return redirect(url_for("reports.quarter", q=q.key, **_region_args(region)))
    made = services.today_in(region)
    t = services.totals(snaps)
    if fmt == "xlsx":
        body, mime = exports.xlsx(region, q, snaps, t, made), XLSX_MIME
    else:
        body, mime = exports.docx(region, q, snaps, t, made), exports.DOCX_MIME
    filename = f"otchet-{region.slug}-{q.year}-{q.q}.{fmt}"
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
