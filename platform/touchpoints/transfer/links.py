"""Which rows of an upload name a process of the agency's registry or a shared touchpoint of its
region (docs/registry.md, docs/import.md). Compared by name as people read it (case, «ё» and
spacing aside, lists.processes.normalized), as the entry form's pick would link them; any other
name stays free text. Read when the upload is analysed, for the preview and again at
confirmation, so a link always names what exists then."""

from __future__ import annotations

import dataclasses

from touchpoints.core.tenancy import Agency
from touchpoints.lists.passports import SharedTouchpoint
from touchpoints.lists.processes import RegistryProcess, normalized
from touchpoints.transfer.matching import Match


@dataclasses.dataclass(frozen=True)
class Link:
    id: int
    name: str
    channel_kind: str = ""


@dataclasses.dataclass
class Links:
    processes: dict[str, Link] = dataclasses.field(default_factory=dict)
    shared: dict[str, Link] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, agency: Agency) -> Links:
        """The agency's active processes and its region's shared touchpoints in use."""
        return cls(
            {p.name_key: Link(p.id, p.name) for p in RegistryProcess.active_of(agency.id)},
            {
                normalized(t.name): Link(t.id, t.name, t.channel_kind)
                for t in SharedTouchpoint.of_region(agency.region_id)
            },
        )

    def process(self, values: dict) -> Match | None:
        """Link ``values`` to the registry process its process name names; the preview's match."""
        found = self.processes.get(normalized(values.get("process_name")))
        if found is None:
            return None
        values["process_id"] = found.id
        return Match(str(found.id), f"{found.name} (реестр процессов)", 1.0, "registry")

    def shared_touchpoint(self, values: dict, name: str) -> Match | None:
        """Link ``values`` to the shared touchpoint ``name`` names: its name and kind, as the
        entry form writes them; the preview's match."""
        found = self.shared.get(normalized(name)) if name else None
        if found is None:
            return None
        values.update(
            touchpoint_code=None,
            touchpoint=found.name,
            channel_kind=found.channel_kind,
            shared_touchpoint_id=found.id,
        )
        return Match(f"shared:{found.id}", f"{found.name} (общая точка региона)", 1.0, "shared")
