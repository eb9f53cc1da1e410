"""The tenant: regions, their agencies (each agency is a tenant), subdivisions, form templates.

In core because tenant scopes (core.db) filter by them and every feature refers to them; the
features above depend on core, never the other way round."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core import queries
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

    @classmethod
    def ordered(cls, region_id: int | None = None) -> sa.Select:
        """Regions by name (only the given one when set: the project office's own)."""
        q = sa.select(cls).order_by(cls.name, cls.id)
        return q.where(cls.id == region_id) if region_id is not None else q

    @classmethod
    def by_name(cls) -> list[Region]:
        return list(db.session.scalars(cls.ordered()))

    @classmethod
    def by_slug(cls, slug: str | None) -> Region | None:
        if not slug:
            return None
        return db.session.scalar(sa.select(cls).where(cls.slug == slug))

    @classmethod
    def agency_counts(cls, region_ids: list[int] | None = None) -> dict[int, int]:
        """Agencies per region id (of the given regions)."""
        q = sa.select(Agency.region_id, sa.func.count()).group_by(Agency.region_id)
        if region_ids is not None:
            q = q.where(Agency.region_id.in_(region_ids))
        return dict(db.session.execute(q).all())

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
    #: Bumped by every change of the definition: the form editor saves only over the revision
    #: it was opened at (two people editing at once).
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @classmethod
    def by_name(cls) -> list[FormTemplate]:
        return list(db.session.scalars(sa.select(cls).order_by(cls.name)))


#: Grammatical cases of an agency's name that titles and documents use.
NAME_CASES = ("nominative", "genitive", "dative", "prepositional")


class Agency(db.Model):
    """The tenant: one executive agency (орган власти) with its one touchpoint list."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    #: The full name in the nominative («Комитет по туризму Мурманской области»).
    full_name: Mapped[str] = mapped_column(sa.String(500))
    #: The full name in the other cases titles and documents need (empty: not yet given, the
    #: nominative stands in); always read through :meth:`name_in`.
    name_genitive: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    name_dative: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    name_prepositional: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    short_name: Mapped[str] = mapped_column(sa.String(255))
    #: Slug of the form template the agency's form was made from.
    form_template: Mapped[str] = mapped_column(sa.String(64))
    #: The agency's resolved form (template plus overrides), see FormDefinition.
    form: Mapped[dict] = mapped_column(sa.JSON)
    #: Bumped by every change of ``form`` (editor or sync); the editor saves over the one it read.
    form_revision: Mapped[int] = mapped_column(default=0, server_default="0")
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

    def name_in(self, case: str = "nominative") -> str:
        """The full name in a grammatical case: «Перечень … {genitive}», «в {prepositional}»,
        «подведомственные {dative}». The one place titles and documents take the name from."""
        if case not in NAME_CASES:
            raise ValueError(f"unknown case {case!r}")
        if case == "nominative":
            return self.full_name
        return getattr(self, f"name_{case}") or self.full_name

    @property
    def cases_missing(self) -> list[str]:
        """Cases not given yet (titles fall back to the nominative and read wrong)."""
        return [c for c in NAME_CASES[1:] if not getattr(self, f"name_{c}")]

    @classmethod
    def listed(cls, region_id: int | None = None) -> sa.Select:
        """Agencies by region and short name (of one region when given)."""
        q = sa.select(cls).join(Region).order_by(Region.name, cls.short_name)
        return q.where(cls.region_id == region_id) if region_id is not None else q

    @classmethod
    def by_slug(cls, slug: str) -> Agency | None:
        return db.session.scalar(sa.select(cls).where(cls.slug == slug))

    @classmethod
    def by_short_name(cls) -> list[Agency]:
        return list(db.session.scalars(sa.select(cls).order_by(cls.short_name)))

    @classmethod
    def short_names(cls, ids) -> dict[int, str]:
        return queries.values_by_id(cls, cls.short_name, ids)

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"


class UnitKind:
    """What a unit of an agency is: its own structural subdivision, or a subordinate
    organisation (подведомственная организация) that keeps its touchpoints in the agency's
    list (Murmansk 1.1, Kuzbass 1.1 and 3.2)."""

    SUBDIVISION = "subdivision"
    SUBORDINATE = "subordinate"


class Subdivision(TenantMixin, db.Model):
    """A structural subdivision of an agency, or a subordinate organisation; editors belong to
    one (seeds 2.2.4 / 3.4). Archived (``active`` false), never deleted while referenced."""

    __tablename__ = "subdivision"
    __table_args__ = (sa.UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key from the tenant definition, so that sync can update names in place.
    code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(default=True)
    #: UnitKind: a subdivision of the agency or a subordinate organisation.
    kind: Mapped[str] = mapped_column(
        sa.String(16), default=UnitKind.SUBDIVISION, server_default=UnitKind.SUBDIVISION
    )

    agency: Mapped[Agency] = relationship(back_populates="subdivisions")

    @property
    def is_subordinate(self) -> bool:
        return self.kind == UnitKind.SUBORDINATE

    @classmethod
    def of_agency(cls, agency_id: int | None = None) -> list[Subdivision]:
        """Subdivisions by name: of one agency, or of every agency the scope shows."""
        q = sa.select(cls).order_by(cls.name)
        if agency_id is not None:
            q = q.where(cls.agency_id == agency_id)
        return list(db.session.scalars(q))
