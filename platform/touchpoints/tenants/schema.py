"""The shape of tenant definitions. Pydantic names the field that is wrong; the loader adds the file."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from touchpoints.lists.models import COMMON_FIELDS
from touchpoints.lists.procedures import (
    DEFAULT,
    HINT_CODES,
    NORM_RULES,
    PROCEDURES,
    REASON_CODES,
    RULE_CODES,
)

Slug = str
NORM_FIELDS = (
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Column(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    #: A common field, or "extra" for a column of this form only.
    field: str
    required: bool = False
    #: Relative width in the PDF appendix.
    width: int = Field(default=10, ge=1, le=100)

    @field_validator("field")
    @classmethod
    def _known_field(cls, v: str) -> str:
        if v != "extra" and v not in COMMON_FIELDS:
            raise ValueError(
                f"неизвестное поле {v!r}; допустимы: {', '.join(COMMON_FIELDS)}, extra"
            )
        return v


class ActivityArea(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    common: str
    name: str = Field(min_length=1)
    clause: str | None = None
    process_hint: str | None = None
    client_kind: Literal["external", "internal"] = "external"
    note: str | None = None


class ClientNeed(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    common: str
    name: str = Field(min_length=1)
    clause: str | None = None


class TouchpointItem(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    channel_kind: Literal["digital", "offline"]
    taxonomy: str
    clause: str | None = None
    #: Service norms this kind of touchpoint has (seeds 3.2.3-3.2.4, Kuzbass 4.2.3, 4.2.5, 4.2.7).
    norms: list[str] = []

    @field_validator("norms")
    @classmethod
    def _known_norms(cls, v: list[str]) -> list[str]:
        bad = [n for n in v if n not in NORM_FIELDS]
        if bad:
            raise ValueError(f"неизвестные нормы {bad}; допустимы: {', '.join(NORM_FIELDS)}")
        return v


class RuleCitation(Strict):
    #: The clause a finding of this rule cites, as printed («п. 3.5 Порядка»).
    clause: str = Field(min_length=1)
    #: The norm's limit (hours, transfers, minutes) for the norm rules.
    limit: float | None = Field(default=None, ge=0)
    #: "warning" where the order states the rule as a target rather than a limit.
    level: Literal["error", "warning"] | None = None


class OrderRef(Strict):
    """The agency's own order that set up its list (its procedure): number, date, title."""

    number: str = ""
    date: dt.date | None = None
    title: str = ""


class Procedure(Strict):
    """Which order's clauses the checks, hints and change reasons cite (see lists.procedures).

    A rule left out of ``rules`` does not apply to the agency."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    order: OrderRef | None = None
    rules: dict[str, RuleCitation]
    hints: dict[str, str] = {}
    change_reasons: dict[str, str]

    @model_validator(mode="after")
    def _complete(self):
        unknown = [r for r in self.rules if r not in RULE_CODES]
        if unknown:
            raise ValueError(f"правила: неизвестны {unknown}; известны: {', '.join(RULE_CODES)}")
        unlimited = [r for r in NORM_RULES if r in self.rules and self.rules[r].limit is None]
        if unlimited:
            raise ValueError(f"правила: у норм {unlimited} не задано предельное значение")
        unknown = [h for h in self.hints if h not in HINT_CODES]
        if unknown:
            raise ValueError(f"hints: неизвестны {unknown}; известны: {', '.join(HINT_CODES)}")
        missing = [r for r in REASON_CODES if r not in self.change_reasons]
        if missing:
            raise ValueError(f"change_reasons: нет {missing}")
        return self


def _procedure(value):
    """A procedure is named by its code (lists.procedures.PROCEDURES) or given in full."""
    if value is None:
        value = DEFAULT
    if isinstance(value, str):
        if value not in PROCEDURES:
            raise ValueError(f"неизвестный порядок {value!r}; известны: {', '.join(PROCEDURES)}")
        return PROCEDURES[value]
    return value


class FormDefinition(Strict):
    slug: Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    title: str
    group_by_area: bool = True
    columns: list[Column] = Field(min_length=1)
    activity_areas: list[ActivityArea] = Field(min_length=1)
    client_needs: list[ClientNeed] = Field(min_length=1)
    touchpoints: list[TouchpointItem] = Field(min_length=1)
    #: Whose clauses and norms apply: a code of lists.procedures.PROCEDURES or a full mapping.
    procedure: Procedure = Field(default=DEFAULT, validate_default=True)

    _resolve_procedure = field_validator("procedure", mode="before")(_procedure)

    @model_validator(mode="after")
    def _unique_codes(self):
        for name in ("columns", "activity_areas", "client_needs", "touchpoints"):
            items = getattr(self, name)
            keys = [getattr(i, "key", None) or i.code for i in items]
            dupes = {k for k in keys if keys.count(k) > 1}
            if dupes:
                raise ValueError(f"{name}: повторяются коды {sorted(dupes)}")
        return self


class OrderSettings(Strict):
    procedure_order: dict | None = None
    appendix_title: str | None = None
    paragraphs: list[str] = []


class Policies(Strict):
    publication_working_days: int = Field(default=10, ge=1, le=60)
    review_working_days: int = Field(default=5, ge=1, le=60)
    reconfirm_months: int = Field(default=3, ge=1, le=24)


class FormRef(Strict):
    template: Slug
    #: This agency's changes to the template, merged key by key (tenants/merge.py,
    #: docs/forms.md): lists by their items' keys, maps deeply, other values replaced.
    overrides: dict = {}


class SubdivisionDef(Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)


class AgencyDefinition(Strict):
    slug: Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    region: Slug
    full_name: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    name_genitive: str | None = None
    name_dative: str | None = None
    name_prepositional: str | None = None
    form: FormRef
    head_title: str = ""
    head_name: str = ""
    city: str = ""
    legal_basis: str = ""
    order: OrderSettings = OrderSettings()
    policies: Policies = Policies()
    website: str | None = None
    subdivisions: list[SubdivisionDef] = []
    notes: list[str] = []


class RegionDefinition(Strict):
    slug: Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    timezone: str
    office_email: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"неизвестный часовой пояс {v!r}") from None
        return v


def jsonable(model: BaseModel) -> dict:
    return model.model_dump(mode="json", exclude_none=True)


__all__ = ["AgencyDefinition", "FormDefinition", "RegionDefinition", "dt"]
