"""Cross-agency figures for the project office (README, what people do with it; issue 6): the
region's board from stored figures, peers' channels, one line per region for the operator.

Rows: :mod:`~touchpoints.dashboard.compute`; the board: :mod:`~touchpoints.dashboard.board`;
filters: :mod:`~touchpoints.dashboard.filters`; stored figures: :mod:`~touchpoints.dashboard.figures`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date

import sqlalchemy as sa

from touchpoints.core.db import Scope, db, scoped, utcnow
from touchpoints.core.tenancy import Agency, Region
from touchpoints.dashboard import figures
from touchpoints.dashboard.board import Dashboard, Headline, assemble, catalogue
from touchpoints.dashboard.compute import UNMAPPED, blank_row, fill_working_list, latest_versions
from touchpoints.dashboard.filters import STALE_DAYS
from touchpoints.lists.models import VersionEntry

#: A channel counts as "most peers have it" from this share of peer agencies up.
PEER_MAJORITY = 0.5


def region_agencies(region_id: int) -> list[Agency]:
    return list(
        db.session.scalars(
            sa.select(Agency).where(Agency.region_id == region_id).order_by(Agency.short_name)
        )
    )


def region_today(region: Region) -> date:
    return utcnow().astimezone(region.tz).date()


def region_dashboard(region: Region) -> Dashboard:
    """The region's board from its agencies' stored figures (dashboard/figures.py)."""
    today = region_today(region)
    return assemble(figures.region_rows(region, today), today)


# --------------------------------------------------------------------------- peers


@dataclasses.dataclass
class PeerChannel:
    code: str
    name: str
    channel_kind: str
    peers_using: int
    peers_total: int
    own_entries: int

    @property
    def share(self) -> float:
        return self.peers_using / self.peers_total if self.peers_total else 0.0

    @property
    def missing(self) -> bool:
        return self.own_entries == 0 and self.share >= PEER_MAJORITY and self.peers_using > 0


def peer_channels(agency: Agency) -> tuple[list[PeerChannel], int]:
    """Channels of the common taxonomy: how many peer agencies of the region list each, and
    whether this agency does. Peers are read from their latest approved versions only, which
    are public (the "public" scope), so no draft of another agency is ever read."""
    row = blank_row(agency)
    fill_working_list({agency.id: row}, {agency.id: agency.form or {}}, [agency.id])
    own = row.taxonomy
    # Other agencies' rows are outside an agency's own scope; their names and forms are public.
    with scoped(Scope("public")):
        peers = list(
            db.session.scalars(
                sa.select(Agency).where(
                    Agency.region_id == agency.region_id, Agency.id != agency.id
                )
            )
        )
    peer_ids = [a.id for a in peers]
    used: dict[int, set] = defaultdict(set)
    with_version: set[int] = set()
    if peer_ids:
        forms = {
            a.id: {t["code"]: t.get("taxonomy", UNMAPPED) for t in a.form.get("touchpoints", [])}
            for a in peers
        }
        with scoped(Scope("public")):
            latest = latest_versions(peer_ids).subquery()
            for agency_id, code in db.session.execute(
                sa.select(VersionEntry.agency_id, VersionEntry.touchpoint_code)
                .join(latest, VersionEntry.version_id == latest.c.id)
                .group_by(VersionEntry.agency_id, VersionEntry.touchpoint_code)
            ):
                with_version.add(agency_id)
                used[agency_id].add(forms[agency_id].get(code or "", UNMAPPED))
    total = len(with_version)
    counts = Counter(code for codes in used.values() for code in codes)
    out = [
        PeerChannel(
            code=t["code"],
            name=t["name"],
            channel_kind=t.get("channel_kind", ""),
            peers_using=counts.get(t["code"], 0),
            peers_total=total,
            own_entries=own.get(t["code"], 0),
        )
        for t in catalogue()["taxonomy"]
    ]
    out.sort(key=lambda c: (-c.peers_using, c.name))
    return out, total


# --------------------------------------------------------------------------- regions


@dataclasses.dataclass
class RegionSummary:
    region: Region
    headline: Headline
    errors: int | None
    pending: int
    stale: int


def region_summaries() -> list[RegionSummary]:
    """One line per region for the operator; a fixed number of queries per region."""
    out = []
    for region in db.session.scalars(sa.select(Region).order_by(Region.name)):
        board = region_dashboard(region)
        errors = [r.errors for r in board.rows if r.errors is not None]
        out.append(
            RegionSummary(
                region=region,
                headline=board.headline,
                errors=sum(errors) if errors else None,
                pending=sum(r.pending for r in board.rows),
                stale=sum(
                    1
                    for r in board.rows
                    if r.days_since_change is None or r.days_since_change >= STALE_DAYS
                ),
            )
        )
    return out
