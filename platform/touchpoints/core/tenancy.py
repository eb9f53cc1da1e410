"""The tenant: regions, their agencies (each agency is a tenant), subdivisions, form templates.

In core because tenant scopes (core.db) filter by them and every feature refers to them; the
features above depend on core, never the other way round."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantMixin, db, utcnow


class Region(db.Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    #: IANA time zone; deadlines and reminder hours are local to it.
    timezone: Mapped[str] = mapped_column(sa.String(64))
    #: E-mail of the project office, for escalations.
    office_email: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agencies: Mapped[list[Agency]] = relationship(
        back_populates="region", order_by="Agency.short_name"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:
        return f"<Region {self.slug}>"


class FormTemplate(db.Model):
    """A shared form of the list (tenants/forms/*.yaml): columns and catalogues."""

    __tablename__ = "form_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    #: The validated definition (see touchpoints.tenants.schema.FormDefinition).
    definition: Mapped[dict] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Agency(db.Model):
    """The tenant: one executive agency (орган власти) with its one touchpoint list."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(500))
    short_name: Mapped[str] = mapped_column(sa.String(255))
    #: Slug of the form template the agency's form was made from.
    form_template: Mapped[str] = mapped_column(sa.String(64))
    #: The agency's resolved form (template plus overrides), see FormDefinition.
    form: Mapped[dict] = mapped_column(sa.JSON)
    head_name: Mapped[str] = mapped_column(sa.String(255), default="")
    head_title: Mapped[str] = mapped_column(sa.String(500), default="")
    city: Mapped[str] = mapped_column(sa.String(255), default="")
    #: Preamble of the approving order: the acts the order is issued under.
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")
    #: Order details, policies and recorded choices about flaws of the source texts.
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    website: Mapped[str | None] = mapped_column(sa.String(500))
    #: "tenants" when tenants/<slug>/ defines it, "ui" when created in the interface.
    source: Mapped[str] = mapped_column(sa.String(16), default="ui")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship(back_populates="agencies")
    subdivisions: Mapped[list[Subdivision]] = relationship(
        back_populates="agency", order_by="Subdivision.name"
    )

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"


class Subdivision(TenantMixin, db.Model):
    """A structural subdivision of an agency; editors belong to one (seeds 2.2.4 / 3.4)."""

    __tablename__ = "subdivision"
    __table_args__ = (sa.UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key from the tenant definition, so that sync can update names in place.
    code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(default=True)

    agency: Mapped[Agency] = relationship(back_populates="subdivisions")
