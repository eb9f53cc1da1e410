"""Comparing two states of a list: versions with each other, or the working list with a version.

Rows are matched by the working-list entry they come from (``entry_id``), so a row keeps its
identity across versions. Each change is classified by the reasons for actualisation of the
orders (Murmansk 5.2.1-5.2.4, Kuzbass 5.3): a new touchpoint, a changed kind of touchpoint,
changed client needs, an exclusion; other edits are "changed details".
"""

from __future__ import annotations

import dataclasses

from touchpoints.lists.models import COMMON_FIELDS

COMPARED = tuple(f for f in COMMON_FIELDS) + ("extra",)

REASONS = {
    "added": "Появление новой точки взаимодействия (п. 5.2.1)",
    "kind": "Изменение вида точки взаимодействия (п. 5.2.2)",
    "needs": "Изменение удовлетворяемых потребностей клиента (п. 5.2.3)",
    "excluded": "Исключение точки взаимодействия из перечня (п. 5.2.4)",
    "details": "Уточнение сведений о точке взаимодействия",
}


def row_of(obj) -> dict:
    """The comparable fields of an Entry or a VersionEntry."""
    row = {f: getattr(obj, f, None) for f in COMPARED if f != "subdivision"}
    row["subdivision"] = getattr(obj, "subdivision_name", None) or (
        obj.subdivision.name if getattr(obj, "subdivision", None) is not None else ""
    )
    return row


@dataclasses.dataclass
class Change:
    key: int
    old: dict
    new: dict
    fields: list[str]

    @property
    def reasons(self) -> list[str]:
        out = []
        if {"touchpoint", "channel_kind"} & set(self.fields):
            out.append(REASONS["kind"])
        if "client_needs" in self.fields:
            out.append(REASONS["needs"])
        if not out:
            out.append(REASONS["details"])
        return out


@dataclasses.dataclass
class Diff:
    added: list[dict]
    changed: list[Change]
    excluded: list[dict]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.excluded)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.excluded)


def compare(old: dict[int, dict], new: dict[int, dict]) -> Diff:
    """``old`` and ``new`` map entry ids to comparable rows (see :func:`row_of`)."""
    added = [new[k] | {"_key": k} for k in new if k not in old]
    excluded = [old[k] | {"_key": k} for k in old if k not in new]
    changed = []
    for k in new:
        if k in old:
            fields = [f for f in new[k] if _norm(new[k].get(f)) != _norm(old[k].get(f))]
            if fields:
                changed.append(Change(key=k, old=old[k], new=new[k], fields=fields))
    return Diff(added=added, changed=changed, excluded=excluded)


def _norm(value):
    if isinstance(value, list):
        return sorted(value)
    if value in ("", None, {}):
        return None
    return value


def version_rows(version) -> dict[int, dict]:
    return {ve.entry_id: row_of(ve) for ve in version.entries}
