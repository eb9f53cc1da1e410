"""A convenient read-only view of an agency's form definition (stored as JSON).

The definition is validated by :mod:`touchpoints.tenants.schema` when it is loaded; the list
kernel only reads it, so this view lives here and the tenants package depends on lists, not
the other way round."""

from __future__ import annotations

from functools import cached_property

from touchpoints.lists.procedures import procedure_of


class Form:
    def __init__(self, definition: dict):
        self.d = definition

    @property
    def slug(self) -> str:
        return self.d["slug"]

    @property
    def name(self) -> str:
        return self.d["name"]

    @property
    def columns(self) -> list[dict]:
        return self.d["columns"]

    @property
    def group_by_area(self) -> bool:
        return self.d.get("group_by_area", True)

    @property
    def activity_areas(self) -> list[dict]:
        return self.d["activity_areas"]

    @property
    def client_needs(self) -> list[dict]:
        return self.d["client_needs"]

    @property
    def touchpoints(self) -> list[dict]:
        return self.d["touchpoints"]

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
