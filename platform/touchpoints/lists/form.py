"""A convenient read-only view of an agency's form definition (stored as JSON).

The definition is validated by :mod:`touchpoints.tenants.schema` when it is loaded; the list
kernel only reads it, so this view lives here and the tenants package depends on lists, not
the other way round."""

from __future__ import annotations

from functools import cached_property

from touchpoints.lists.procedures import procedure_of


class _Stored:
    """An attribute of the form that is its definition's key of the same name, as stored."""

    def __set_name__(self, owner, name: str) -> None:
        self.key = name

    def __get__(self, form, owner=None):
        return self if form is None else form.d[self.key]


class Form:
    def __init__(self, definition: dict):
        self.d = definition

    # Keys every definition has (tenants.schema): slug and name (str), columns, activity_areas,
    # client_needs and touchpoints (lists of dicts).
    slug = _Stored()
    name = _Stored()
    columns = _Stored()
    activity_areas = _Stored()
    client_needs = _Stored()
    touchpoints = _Stored()

    @property
    def group_by_area(self) -> bool:
        return self.d.get("group_by_area", True)

    @cached_property
    def procedure(self) -> dict:
        """Whose clauses the checks and change reasons cite (see lists.procedures)."""
        return procedure_of(self.d)

    @cached_property
    def area_by_code(self) -> dict[str, dict]:
        return {a["code"]: a for a in self.activity_areas}

    @cached_property
    def need_by_code(self) -> dict[str, dict]:
        return {n["code"]: n for n in self.client_needs}

    @cached_property
    def touchpoint_by_code(self) -> dict[str, dict]:
        return {t["code"]: t for t in self.touchpoints}

    def area_name(self, code: str) -> str:
        area = self.area_by_code.get(code)
        return area["name"] if area else code

    def need_names(self, codes: list[str]) -> list[str]:
        return [self.need_by_code[c]["name"] if c in self.need_by_code else c for c in codes or []]

    @cached_property
    def required_fields(self) -> set[str]:
        return {c["field"] for c in self.columns if c.get("required") and c["field"] != "extra"}

    @cached_property
    def extra_columns(self) -> list[dict]:
        return [c for c in self.columns if c["field"] == "extra"]

    def title(self, agency) -> str:
        return self.d["title"].format(
            agency_genitive=agency.name_in("genitive"),
            agency_dative=agency.name_in("dative"),
            agency_prepositional=agency.name_in("prepositional"),
            agency=agency.full_name,
        )
