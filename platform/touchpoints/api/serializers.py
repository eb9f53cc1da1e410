"""JSON shapes of the API (described in openapi.py; a change here is a change there)."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import request, url_for

from touchpoints.lists.form import Form
from touchpoints.public import opendata


def _iso(value):
    return value.isoformat() if value is not None else None


def region(r, agencies_count: int) -> dict:
    return {
        "slug": r.slug,
        "name": r.name,
        "timezone": r.timezone,
        "agencies_count": agencies_count,
        "links": {"agencies": url_for("api.agencies", region=r.slug, _external=True)},
    }


def version(agency, v, *, is_current: bool) -> dict:
    out = opendata.version_record(agency, v)
    out["is_current"] = is_current
    links = {
        "self": url_for("api.version", slug=agency.slug, number=v.number, _external=True),
        "entries": url_for(
            "api.version_entries", slug=agency.slug, number=v.number, _external=True
        ),
        "html": url_for("public.version", slug=agency.slug, number=v.number, _external=True),
    }
    from touchpoints.public.services import available_formats, pdf_available

    for fmt in (["pdf"] if pdf_available() else []) + available_formats():
        links[fmt] = url_for(
            f"public.download_{fmt}", slug=agency.slug, number=v.number, _external=True
        )
    out["links"] = links
    return out


def agency(a, current) -> dict:
    out = opendata.agency_record(a)
    form = Form(current.form if current is not None else a.form)
    out["form"] = {"slug": form.slug, "name": form.name}
    out["current_version"] = version(a, current, is_current=True) if current is not None else None
    out["links"] = {
        "self": url_for("api.agency", slug=a.slug, _external=True),
        "versions": url_for("api.versions", slug=a.slug, _external=True),
        "html": url_for("public.agency", slug=a.slug, _external=True),
    }
    return out


def entry(agency, v, row, form: Form) -> dict:
    return opendata.entry_record(agency.slug, v.number, row, form)


def status(a, latest, counts: dict, last_change, deadlines) -> dict:
    return {
        "slug": a.slug,
        "short_name": a.short_name,
        "full_name": a.full_name,
        "region": {"slug": a.region.slug, "name": a.region.name},
        "latest_version": None
        if latest is None
        else {
            "number": latest.number,
            "order_number": latest.order_number,
            "order_date": latest.order_date.isoformat(),
            "approved_at": latest.approved_at.isoformat(),
            "entry_count": latest.entry_count,
        },
        "working_list": counts,
        "last_change_at": _iso(last_change),
        "deadlines": deadlines,
    }


def paginated(items: list, page) -> dict:
    """The envelope of every list: items, counts, and links to the neighbouring pages."""

    def link(n: int) -> str:
        args = request.args.to_dict()
        args.update(page=str(n), per_page=str(page.per_page))
        return f"{request.base_url}?{urlencode(args)}"

    pages = max(1, math.ceil(page.total / page.per_page))
    return {
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": pages,
        "links": {
            "self": link(page.page),
            "first": link(1),
            "last": link(pages),
            "prev": link(page.page - 1) if page.page > 1 else None,
            "next": link(page.page + 1) if page.page < pages else None,
        },
    }
