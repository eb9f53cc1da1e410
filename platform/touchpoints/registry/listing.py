"""The registry page's query: search, kind and archived filters."""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.lists.processes import PROCESS_KIND_LABELS, RegistryProcess, normalized


def filtered(agency_id: int, args) -> tuple[sa.Select, dict]:
    archived = args.get("archived") == "1"
    kind = args.get("kind") or ""
    q = (args.get("q") or "").strip()[:200]
    query = RegistryProcess.of_agency(agency_id, archived=archived)
    if kind in {k.value for k in PROCESS_KIND_LABELS}:
        query = query.where(RegistryProcess.kind == kind)
    if q:
        like = f"%{normalized(q).replace('%', '').replace('_', '')}%"
        query = query.where(
            sa.or_(
                RegistryProcess.name_key.like(like),
                sa.func.lower(RegistryProcess.code).like(like),
            )
        )
    return query, {"archived": archived, "kind": kind, "q": q}
