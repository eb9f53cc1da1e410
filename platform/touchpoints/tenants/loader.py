"""Reading tenants/: every problem is reported with its file and field, before anything is written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from touchpoints.tenants import checks
from touchpoints.tenants.merge import merge
from touchpoints.tenants.schema import (
    AgencyDefinition,
    FormDefinition,
    RegionDefinition,
    jsonable,
)


class DefinitionError(Exception):
    """One or more tenant definitions are broken. ``problems`` is a list of (file, field, message)."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{f}: {fld}: {msg}" for f, fld, msg in problems))


@dataclasses.dataclass
class Definitions:
    regions: list[RegionDefinition]
    forms: dict[str, FormDefinition]
    #: Agency definitions with their resolved forms (template plus overrides), as JSON.
    agencies: list[tuple[AgencyDefinition, dict]]
    catalogue: dict


def _read_yaml(path: Path, problems: list) -> object | None:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append((str(path), "-", f"файл не читается: {exc}"))
        return None


def _validate(model: type[BaseModel], data: object, path: Path, problems: list, prefix: str = ""):
    if not isinstance(data, dict):
        problems.append((str(path), prefix or "-", "ожидается словарь (ключ: значение)"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "-"
            problems.append((str(path), prefix + loc, err["msg"]))
        return None


def load(tenants_dir: Path) -> Definitions:
    problems: list[tuple[str, str, str]] = []
    tenants_dir = Path(tenants_dir)

    catalogue = _read_yaml(tenants_dir / "forms" / "_catalogue.yaml", problems) or {}
    common_areas = {a["code"] for a in catalogue.get("activity_areas", [])}
    common_needs = {n["code"] for n in catalogue.get("client_needs", [])}
    taxonomy = {t["code"] for t in catalogue.get("taxonomy", [])}

    regions: list[RegionDefinition] = []
    regions_path = tenants_dir / "regions.yaml"
    raw_regions = _read_yaml(regions_path, problems)
    if raw_regions is not None and not isinstance(raw_regions, list):
        problems.append((str(regions_path), "-", "ожидается список регионов"))
    for i, raw in enumerate(raw_regions if isinstance(raw_regions, list) else []):
        region = _validate(RegionDefinition, raw, regions_path, problems, f"[{i}].")
        if region:
            regions.append(region)

    forms: dict[str, FormDefinition] = {}
    raw_forms: dict[str, dict] = {}
    for path in sorted((tenants_dir / "forms").glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        raw = _read_yaml(path, problems)
        form = _validate(FormDefinition, raw, path, problems)
        if form is None:
            continue
        if form.slug != path.stem:
            problems.append((str(path), "slug", f"должен совпадать с именем файла ({path.stem})"))
        _check_catalogue_refs(form, path, problems, common_areas, common_needs, taxonomy)
        _check_rules(jsonable(form), catalogue, path, problems)
        forms[form.slug] = form
        raw_forms[form.slug] = raw

    region_slugs = {r.slug for r in regions}
    agencies: list[tuple[AgencyDefinition, dict]] = []
    for path in sorted(tenants_dir.glob("*/agency.yaml")):
        raw = _read_yaml(path, problems)
        agency = _validate(AgencyDefinition, raw, path, problems)
        if agency is None:
            continue
        if agency.slug != path.parent.name:
            problems.append((str(path), "slug", f"должен совпадать с папкой ({path.parent.name})"))
        if agency.region not in region_slugs:
            problems.append(
                (str(path), "region", f"регион {agency.region!r} не описан в regions.yaml")
            )
        if agency.form.template not in raw_forms:
            problems.append((str(path), "form.template", f"нет формы {agency.form.template!r}"))
            continue
        # Key by key onto the template as it resolves (its procedure code as a mapping).
        merged = merge(jsonable(forms[agency.form.template]), agency.form.overrides)
        resolved = _validate(FormDefinition, merged, path, problems, "form.overrides.")
        if resolved is None:
            continue
        _check_catalogue_refs(resolved, path, problems, common_areas, common_needs, taxonomy)
        _check_rules(jsonable(resolved), catalogue, path, problems, "form.")
        agencies.append((agency, jsonable(resolved)))

    if problems:
        raise DefinitionError(problems)
    return Definitions(regions=regions, forms=forms, agencies=agencies, catalogue=catalogue)


def _check_rules(form: dict, catalogue: dict, path: Path, problems: list, prefix="") -> None:
    """The rules the form editor enforces (tenants/checks.py), so both paths accept the same
    forms; catalogue references are reported above in the loader's own words."""
    for (section, index, field), message in checks.problems(form, catalogue):
        if field in ("common", "taxonomy"):
            continue
        where = ".".join(str(p) for p in (section, index, field) if p is not None)
        problems.append((str(path), prefix + where, message))


def _check_catalogue_refs(form, path, problems, areas, needs, taxonomy) -> None:
    for i, a in enumerate(form.activity_areas):
        if a.common not in areas:
            problems.append(
                (str(path), f"activity_areas.{i}.common", f"нет в общем каталоге: {a.common!r}")
            )
    for i, n in enumerate(form.client_needs):
        if n.common not in needs:
            problems.append(
                (str(path), f"client_needs.{i}.common", f"нет в общем каталоге: {n.common!r}")
            )
    for i, t in enumerate(form.touchpoints):
        if t.taxonomy not in taxonomy:
            problems.append(
                (str(path), f"touchpoints.{i}.taxonomy", f"нет в таксономии: {t.taxonomy!r}")
            )
