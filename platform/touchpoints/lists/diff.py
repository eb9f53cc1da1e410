"""Comparing two states of a list: versions with each other, or the working list with a version.

Rows are matched by the working-list entry they come from (``entry_id``), so a row keeps its
identity across versions. Each change is classified by the reasons for actualisation of the
orders (Murmansk 5.2.1-5.2.4, Kuzbass 5.3): a new touchpoint, a changed kind of touchpoint,
changed client needs, an exclusion; other edits are "changed details".
"""

from __future__ import annotations

import dataclasses

from touchpoints.lists.models import COMMON_FIELDS

COMPARED = (*COMMON_FIELDS, "extra")

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


#: The same reasons in the Kuzbass order (5.3): it has no separate item for a new touchpoint or
#: an exclusion; both follow from 5.3.1, the inclusion in (exclusion from) the process registry.
KUZBASS_REASONS = {
    "added": "Включение услуги, функции, сервиса в реестр процессов (п. 5.3 подп. 1)",
    "kind": "Изменение вида точки взаимодействия (п. 5.3 подп. 2)",
    "needs": "Изменение удовлетворяемых потребностей клиента (п. 5.3 подп. 3)",
    "excluded": "Исключение из реестра процессов (п. 5.3 подп. 1)",
    "details": REASONS["details"],
}


def reasons_table(family: str | None) -> dict[str, str]:
    return KUZBASS_REASONS if family == "kuzbass" else REASONS


@dataclasses.dataclass
class Change:
    key: int
    old: dict
    new: dict
    fields: list[str]

    family: str | None = None

    @property
    def reasons(self) -> list[str]:
        table = reasons_table(self.family)
        out = []
        if {"touchpoint", "channel_kind"} & set(self.fields):
            out.append(table["kind"])
        if "client_needs" in self.fields:
            out.append(table["needs"])
        if not out:
            out.append(table["details"])
        return out


@dataclasses.dataclass
class Diff:
    added: list[dict]
    changed: list[Change]
    excluded: list[dict]
    family: str | None = None

    @property
    def reasons(self) -> dict[str, str]:
        return reasons_table(self.family)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.excluded)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.excluded)


def compare(old: dict[int, dict], new: dict[int, dict], family: str | None = None) -> Diff:
    """``old`` and ``new`` map entry ids to comparable rows (see :func:`row_of`).

    ``family`` ("murmansk", "kuzbass") picks the clauses the reasons cite."""
    added = [new[k] | {"_key": k} for k in new if k not in old]
    excluded = [old[k] | {"_key": k} for k in old if k not in new]
    changed = []
    for k in new:
        if k in old:
            fields = [f for f in new[k] if _norm(new[k].get(f)) != _norm(old[k].get(f))]
            if fields:
                changed.append(Change(key=k, old=old[k], new=new[k], fields=fields, family=family))
    return Diff(added=added, changed=changed, excluded=excluded, family=family)


def _norm(value):
    if isinstance(value, list):
        return sorted(value)
    if value in ("", None, {}):
        return None
    return value


def version_rows(version) -> dict[int, dict]:
    return {ve.entry_id: row_of(ve) for ve in version.entries}


@dataclasses.dataclass(frozen=True)
class ChangedFields:
    fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Summary:
    """What the working list page shows of a :class:`Diff`: ids and changed field names only
    (small enough to keep per agency; the rows themselves are not kept)."""

    added: frozenset[int]
    changed: dict[int, ChangedFields]
    excluded: frozenset[int]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.excluded)

    @classmethod
    def of(cls, diff: Diff) -> Summary:
        return cls(
            added=frozenset(r["_key"] for r in diff.added),
            changed={c.key: ChangedFields(tuple(c.fields)) for c in diff.changed},
            excluded=frozenset(r["_key"] for r in diff.excluded),
        )
