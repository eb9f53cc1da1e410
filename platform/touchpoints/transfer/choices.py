"""The person's answers in a preview become the agency's: the next file is understood without
asking (docs/import.md, «Understanding»)."""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.core.db import db, utcnow
from touchpoints.transfer.fields import norm
from touchpoints.transfer.models import ImportChoice
from touchpoints.transfer.rows import NO_AREA


def remember(agency, session, user_id) -> None:
    """The person's answers become the agency's: the next file is understood without asking."""
    state = session.state or {}
    choices = [(kind, text, code) for kind, items in (state.get("settled") or {}).items()
               for text, code in items.items()]  # fmt: skip
    header = session.cells[session.header_row] if session.cells else []
    if state.get("mapping_set"):
        choices += [("header", norm(h), m) for h, m in zip(header, session.mapping, strict=False)
                    if h and norm(h)]  # fmt: skip
    choices = [(k, t[:500], c) for k, t, c in choices if t != norm(NO_AREA)]
    # (which area a file without areas is about is this file's answer only)
    if not choices:
        return
    existing = {
        (row.kind, row.text): row
        for row in db.session.scalars(
            sa.select(ImportChoice).where(
                ImportChoice.agency_id == agency.id,
                ImportChoice.kind.in_({k for k, _, _ in choices}),
            )
        )
    }
    for kind, text, code in choices:
        row = existing.get((kind, text))
        if row is None:
            row = existing[(kind, text)] = ImportChoice(agency_id=agency.id, kind=kind, text=text)
            db.session.add(row)
        row.code, row.chosen_by_id, row.chosen_at = code, user_id, utcnow()
    db.session.flush()
