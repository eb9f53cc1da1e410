import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.core.tenancy import Agency, FormTemplate


class AgencyError(ValueError):
    pass


#: Slugs that name pages of the public site (/p/opendata/) rather than agencies.
RESERVED_SLUGS = frozenset({"opendata", "api", "static", "embed", "current"})


def create_agency(data: dict) -> Agency:
    """A new agency from a form template (issue 2: from the interface, by admin or office)."""
    if data["slug"] in RESERVED_SLUGS:
        raise AgencyError("Этот код зарезервирован, выберите другой")
    if db.session.scalar(sa.select(Agency.id).where(Agency.slug == data["slug"])):
        raise AgencyError("Организация с таким кодом уже есть")
    template = db.session.scalar(
        sa.select(FormTemplate).where(FormTemplate.slug == data["form_template"])
    )
    if template is None:
        raise AgencyError("Нет такой формы перечня")
    agency = Agency(
        slug=data["slug"],
        region_id=data["region_id"],
        full_name=data["full_name"],
        short_name=data["short_name"],
        form_template=template.slug,
        form=template.definition,
        head_title=data.get("head_title") or "",
        head_name=data.get("head_name") or "",
        city=data.get("city") or "",
        legal_basis=data.get("legal_basis") or "",
        website=data.get("website") or None,
        settings={
            "policies": {
                "publication_working_days": 10,
                "review_working_days": 5,
                "reconfirm_months": 3,
            }
        },
        source="ui",
    )
    db.session.add(agency)
    db.session.flush()
    # The project office reads its region but writes nowhere; creating an agency is the one
    # write it may do, so the new agency's own rows are written in that agency's scope only.
    with scoped(agency_scope(agency.id)):
        audit.record(
            "agency.create",
            agency,
            agency_id=agency.id,
            after={k: v for k, v in data.items() if k != "csrf_token"},
        )
        db.session.flush()
    return agency
