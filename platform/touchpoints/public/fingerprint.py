"""Whether a public page changed, in one round trip to the database (docs/public-cache.md).

Triggers of the migration public15fingerprint draw a new random stamp for an agency whenever
anything its public pages show changes (its card, its region, its approved versions, their
annulments, the state of their orders' PDFs), in the transaction of the change. A page's
validator — and the key of its rendered body — is that stamp, read here before anything else:

* by one statement on a connection of its own, in autocommit: not in the request's transaction,
  which would cost four round trips (BEGIN, the signed scope, the query, ROLLBACK);
* on PostgreSQL through two narrow ``SECURITY DEFINER`` lookups of the owner: without a scope,
  row-level security shows this connection nothing, and the lookups return what the public
  scope may read of the table anyway (a slug, an id, a random number, a time), no more;
* from a small pool without the pre-ping of the application's engine (one more round trip per
  checkout): a connection found dead is replaced and the statement run once more.

SQLite (the demo) has no RLS, no roles: the table itself, on the application's engine.
"""

from __future__ import annotations

import dataclasses
import weakref
from datetime import datetime

import sqlalchemy as sa

from touchpoints.core.db import db
from touchpoints.public.models import PublicFingerprint
from touchpoints.public.services import SLUG_RE

#: The lookup engine of each application engine (tests build several applications).
_ENGINES: weakref.WeakKeyDictionary[sa.Engine, sa.Engine] = weakref.WeakKeyDictionary()


@dataclasses.dataclass(frozen=True)
class PageTag:
    """An agency's publication fingerprint."""

    agency_id: int
    #: Random, new whenever anything the agency's public pages show has changed.
    stamp: int
    #: When that was: the pages' Last-Modified.
    changed_at: datetime


def _statements(lookup: str, select: sa.Select) -> tuple[sa.TextClause, sa.Select]:
    """PostgreSQL's lookup, typed like its SQLite twin (the table read directly)."""
    return sa.text(lookup).columns(*select.selected_columns), select


_f = PublicFingerprint
#: Built once: a request only binds its slug.
_PAGE = _statements(
    "SELECT agency_id, stamp, changed_at FROM public_fingerprint_lookup(:slug)",
    sa.select(_f.agency_id, _f.stamp, _f.changed_at).where(_f.slug == sa.bindparam("slug")),
)
_INDEX = _statements(
    "SELECT agencies, stamps, changed_at FROM public_fingerprint_summary()",
    sa.select(
        sa.func.count().label("agencies"),
        sa.func.sum(_f.stamp).label("stamps"),
        sa.func.max(_f.changed_at).label("changed_at"),
    ),
)


def page_tag(slug: str) -> PageTag | None:
    """The agency's fingerprint, by its slug; None when there is no such agency."""
    if not SLUG_RE.match(slug or ""):
        return None
    row = _read(*_PAGE, slug=slug)
    return PageTag(*row) if row is not None else None


def index_tag() -> tuple[tuple, datetime | None]:
    """The validator of the /p/ index from every agency's fingerprint, in one aggregate of one
    narrow table: (how many agencies, the sum of their stamps), and when the last of them
    changed. Any change an agency's pages show changes the sum; an agency added or removed
    changes the count."""
    count, total, last = _read(*_INDEX)
    return (count, total), last


def _read(lookup: sa.TextClause, select: sa.Select, **params) -> sa.Row | None:
    engine = _lookup_engine()
    if engine.dialect.name != "postgresql":
        return _first(engine, select, params)
    try:
        return _first(engine, lookup, params)
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The server went away since the connection was pooled (a restart): the pool has
        # dropped its connections; a new one answers.
        return _first(engine, lookup, params)


def _first(engine: sa.Engine, statement, params: dict) -> sa.Row | None:
    with engine.connect() as conn:
        return conn.execute(statement, params).first()


def _lookup_engine() -> sa.Engine:
    app_engine = db.engine
    if app_engine.dialect.name != "postgresql":
        return app_engine
    engine = _ENGINES.get(app_engine)
    if engine is None:
        engine = sa.create_engine(
            app_engine.url, isolation_level="AUTOCOMMIT", pool_size=2, pool_pre_ping=False
        )
        _ENGINES[app_engine] = engine
    return engine
