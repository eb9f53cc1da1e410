"""Comparing two states of a list: versions with each other, or the working list with a version.

Rows are matched by the working-list entry they come from (``entry_id``), so a row keeps its
identity across versions. Each change is classified by the reasons for actualisation of the
orders (Murmansk 5.2.1-5.2.4, Kuzbass 5.3): a new touchpoint, a changed kind of touchpoint,
changed client needs, an exclusion; other edits are "changed details".
"""

from __future__ import annotations

import dataclasses

from touchpoints.core.queries import values_by_id
from touchpoints.lists.models import COMMON_FIELDS
from touchpoints.lists.passports import SharedTouchpoint
from touchpoints.lists.procedures import DEFAULT, PROCEDURES
from touchpoints.lists.processes import RegistryProcess

COMPARED = (*COMMON_FIELDS, "extra")
#: A row's reference to its registry process and to its region's shared touchpoint, and the
#: name each stands behind. Not compared themselves: a version approved before they were kept
#: has none, and linking a typed name to the registry changes no word of the list. A name that
#: changed under the same reference is a rename (docs/registry.md), not another process or
#: another touchpoint.
LINKS = {"process_id": "process_name", "shared_touchpoint_id": "touchpoint"}
RENAMED = {
    "process_name": "Процесс переименован в реестре процессов: строка о том же процессе",
    "touchpoint": "Общая точка региона переименована: это та же точка взаимодействия",
}


def row_of(obj) -> dict:
    """The comparable fields of an Entry or a VersionEntry, and its references (LINKS)."""
    row = {f: getattr(obj, f, None) for f in COMPARED if f != "subdivision"}
    row["subdivision"] = getattr(obj, "subdivision_name", None) or (
        obj.subdivision.name if getattr(obj, "subdivision", None) is not None else ""
    )
    for link in LINKS:
        row[link] = getattr(obj, link, None)
    return row


def reasons_table(procedure: dict | None) -> dict[str, str]:
    """The reasons for actualisation as the procedure words them (Murmansk 5.2, Kuzbass 5.3)."""
    return (procedure or PROCEDURES[DEFAULT])["change_reasons"]


@dataclasses.dataclass
class Change:
    key: int
    old: dict
    new: dict
    fields: list[str]

    procedure: dict | None = None
    #: Fields whose new value is the same registry process or shared touchpoint renamed.
    renamed: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        table = reasons_table(self.procedure)
        # A shared touchpoint renamed by the office is the same touchpoint, not a new kind.
        fields = set(self.fields) - set(self.renamed)
        out = []
        if {"touchpoint", "channel_kind"} & fields:
            out.append(table["kind"])
        if "client_needs" in fields:
            out.append(table["needs"])
        if not out:
            out.append(table["details"])
        return out

    @property
    def notes(self) -> list[str]:
        return [RENAMED[f] for f in self.renamed]


@dataclasses.dataclass
class Diff:
    added: list[dict]
    changed: list[Change]
    excluded: list[dict]
    procedure: dict | None = None

    @property
    def reasons(self) -> dict[str, str]:
        return reasons_table(self.procedure)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.excluded)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.excluded)


def compare(old: dict[int, dict], new: dict[int, dict], procedure: dict | None = None) -> Diff:
    """``old`` and ``new`` map entry ids to comparable rows (see :func:`row_of`).

    ``procedure`` (the form's, :func:`touchpoints.lists.procedures.procedure_of`) words the
    reasons and picks the clauses they cite."""
    added = [new[k] | {"_key": k} for k in new if k not in old]
    excluded = [old[k] | {"_key": k} for k in old if k not in new]
    changed = []
    for k in new:
        if k in old:
            a, b = old[k], new[k]
            fields = [f for f in b if f not in LINKS and _norm(b.get(f)) != _norm(a.get(f))]
            if fields:
                renamed = tuple(
                    name
                    for link, name in LINKS.items()
                    if name in fields and a.get(link) and a.get(link) == b.get(link)
                )
                changed.append(Change(k, a, b, fields, procedure=procedure, renamed=renamed))
    return Diff(added=added, changed=changed, excluded=excluded, procedure=procedure)


def _norm(value):
    if isinstance(value, list):
        return sorted(value)
    if value in ("", None, {}):
        return None
    return value


@dataclasses.dataclass(frozen=True)
class Renamed:
    """A registry process or shared touchpoint a version's rows named, called otherwise now."""

    what: str
    approved: str
    now: str


def renamed_since(rows) -> list[Renamed]:
    """What the rows of an approved version name by reference (LINKS) and is named otherwise
    now, each once in the rows' order. Rows of versions approved before the references were
    kept have none and name nothing here."""
    process_ids = {r.process_id for r in rows if getattr(r, "process_id", None)}
    shared_ids = {r.shared_touchpoint_id for r in rows if getattr(r, "shared_touchpoint_id", None)}
    names = {
        "process_id": values_by_id(RegistryProcess, RegistryProcess.name, process_ids),
        "shared_touchpoint_id": values_by_id(SharedTouchpoint, SharedTouchpoint.name, shared_ids),
    }
    what = {"process_id": "процесс реестра", "shared_touchpoint_id": "общая точка региона"}
    out, seen = [], set()
    for row in rows:
        for link, field in LINKS.items():
            ref, approved = getattr(row, link, None), getattr(row, field) or ""
            now = names[link].get(ref)
            if ref and now is not None and now != approved and (link, ref, approved) not in seen:
                seen.add((link, ref, approved))
                out.append(Renamed(what[link], approved, now))
    return out


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
