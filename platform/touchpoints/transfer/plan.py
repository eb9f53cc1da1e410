"""The plan of an import into a list that has entries: added, changed, unchanged, missing rows.

A row is the same entry as a row of the list when it carries that entry's id (our exports write
it in «Все сведения» and the CSV), else when it names the same process and touchpoint within the
same activity area (Murmansk 2.8 / Kuzbass 3.7: a touchpoint is named once within a process).
Only the fields the file carries are compared, so a file without a needs column does not wipe
the entries' needs.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from touchpoints.lists import services as lists
from touchpoints.lists.diff import LINKS
from touchpoints.lists.models import Entry
from touchpoints.transfer.fields import norm
from touchpoints.transfer.matching import ENTRY_ID

#: Fields compared between a row and an entry, with the label the preview shows.
COMPARED = (
    "activity_area", "process_name", "touchpoint_code", "touchpoint", "channel_kind",
    "client_kind", "client_needs", "interaction", "specifics", "subdivision_id", "organisation",
    "response_hours_mentions", "response_hours_requests", "max_transfers", "waiting_minutes",
    "extra",
)  # fmt: skip


@dataclasses.dataclass
class Change:
    row: object
    entry: Entry
    #: field → (value in the list, value in the file)
    fields: dict


@dataclasses.dataclass
class Plan:
    added: list = dataclasses.field(default_factory=list)
    changed: list[Change] = dataclasses.field(default_factory=list)
    unchanged: list = dataclasses.field(default_factory=list)
    missing: list[Entry] = dataclasses.field(default_factory=list)
    row_warnings: dict[int, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def has_entries(self) -> bool:
        return bool(self.changed or self.unchanged or self.missing)


def _key(area, process, touchpoint) -> tuple:
    return (area, norm(process), norm(touchpoint))


def _same(field: str, a, b) -> bool:
    if field == "client_needs":
        return list(a or []) == list(b or [])
    if field == "extra":
        return {k: v for k, v in (a or {}).items() if v not in ("", None)} == {
            k: v for k, v in (b or {}).items() if v not in ("", None)
        }
    if isinstance(a, int | float) or isinstance(b, int | float):
        return a is not None and b is not None and float(a) == float(b)
    return (a or "") == (b or "")


def compared_fields(row, mapped: set[str]) -> list[str]:
    out = [f for f in COMPARED if f in row.values and f != "extra"]
    if row.values.get("extra"):
        out.append("extra")
    if "client_needs" in out and "client_needs" not in mapped and not row.values["client_needs"]:
        out.remove("client_needs")  # none found in free text: the list's needs stay
    return out


def make_plan(agency, form, rows, mapped: set[str]) -> Plan:
    plan = Plan()
    entries = Entry.working(agency.id)
    entries.sort(key=lists.sort_key_for(form))
    by_id = {e.id: e for e in entries}
    by_key: dict[tuple, list[Entry]] = defaultdict(list)
    for e in entries:
        by_key[_key(e.activity_area, e.process_name, e.touchpoint)].append(e)
    used: set[int] = set()
    seen: dict[tuple, int] = {}
    for row in rows:
        v = row.values
        key = _key(v.get("activity_area"), v.get("process_name"), v.get("touchpoint"))
        if key[1] and key[2] and key[0]:
            if key in seen:
                plan.row_warnings.setdefault(row.index, []).append(
                    f"Эта точка уже указана для этого процесса в строке {seen[key]} "
                    "(п. 2.8 / 3.7 Порядка)."
                )
            seen.setdefault(key, row.line)
        entry = by_id.get(v.get(ENTRY_ID)) if v.get(ENTRY_ID) else None
        if entry is None or entry.id in used:
            entry = next((e for e in by_key.get(key, []) if e.id not in used), None)
        if entry is None:
            plan.added.append(row)
            continue
        used.add(entry.id)
        diff = {}
        for field in compared_fields(row, mapped):
            before = getattr(entry, field)
            if not _same(field, before, v[field]):
                diff[field] = (before, v[field])
        for link, name in LINKS.items():
            # The row's registry process or shared touchpoint (transfer.links): taken when the
            # file names one the entry does not, dropped when the entry's name changes to a
            # name of none; the same name without a link leaves the entry's link alone.
            before, after = getattr(entry, link), v.get(link)
            if before != after and (after is not None or name in diff):
                diff[link] = (before, after)
        if diff:
            plan.changed.append(Change(row, entry, diff))
        else:
            plan.unchanged.append((row, entry))
    plan.missing = [e for e in entries if e.id not in used]
    return plan
