"""Database foundations: the declarative base, UTC datetimes and tenant scoping.

Tenant isolation has two layers (docs/tenancy.md):

1. the application: :func:`_scope_orm_queries` adds ``agency_id`` criteria to every ORM query of a
   :class:`TenantMixin` model, from the scope of the current request or job;
2. the database: on PostgreSQL, every tenant table has a forced row-level security policy, and the
   same scope is handed to PostgreSQL per transaction with ``set_config(..., true)``, signed with
   a key the application's database role cannot read (``TOUCHPOINTS_SCOPE_KEY``): the policies
   believe a scope only if its signature is right (``app_scope()`` in the migration
   a0000000003), so SQL run as the application role cannot widen its own scope.
   docs/security.md has the threat model.

A scope is explicit. Nothing is visible without one (fail closed). Cross-agency readers (the
project office, reminder scans, the operator) get a named scope, never a disabled policy.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    registry,
    with_loader_criteria,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


class TenantScoped:
    """A row that belongs to one agency; scoped in the application and by RLS.

    Declares ``agency_id`` here (not only on subclasses) because ``with_loader_criteria`` first
    evaluates its criteria against this very class."""

    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)

    #: What the project office of the agency's region may read of this table: an SQL condition
    #: over the table's own columns for the RLS policy, or None for nothing. The same rule for the
    #: ORM is ``region_criteria``; tests/test_isolation.py checks that the two agree.
    __region_read__: ClassVar[str | None] = "true"

    @classmethod
    def region_criteria(cls):
        """The ORM form of ``__region_read__`` (None: no restriction beyond the region)."""
        if cls.__region_read__ is None:
            return sa.false()
        return None


class TenantMixin(TenantScoped):
    """The usual tenant row: its agency is required."""


class PublicReadMixin:
    """A tenant row that is public once it exists (approved versions): readable in 'public' scope."""


# --------------------------------------------------------------------------- scopes


@dataclasses.dataclass(frozen=True)
class Scope:
    """What the current request or job may read.

    kind: ``none`` (nothing), ``agency`` (one agency), ``region`` (read all agencies of a region:
    the project office), ``public`` (approved versions of every agency, read only), ``all`` (the
    operator and system jobs).
    """

    kind: str = "none"
    agency_id: int | None = None
    region_id: int | None = None


NO_SCOPE = Scope()
SYSTEM_SCOPE = Scope("all")
_current: contextvars.ContextVar[Scope] = contextvars.ContextVar("tenant_scope", default=NO_SCOPE)


def current_scope() -> Scope:
    return _current.get()


def set_scope(scope: Scope, *, push: bool = True) -> None:
    """Switch scope now, also inside an already open transaction (unless ``push`` is False:
    the caller ends the transaction itself, e.g. at the end of a request)."""
    _current.set(scope)
    if not push:
        return
    session = db.session()
    if session.in_transaction():
        # Mid-transaction: the after_begin listener has already run for this connection.
        push_scope(session.connection(), scope)


@contextlib.contextmanager
def scoped(scope: Scope) -> Iterator[Scope]:
    previous = _current.get()
    set_scope(scope)
    try:
        yield scope
    finally:
        set_scope(previous)


def agency_scope(agency_id: int) -> Scope:
    return Scope("agency", agency_id=agency_id)


def scope_signature(key: str, scope: Scope, backend_pid: int) -> str:
    """HMAC-SHA256 of the scope, bound to one server process: PostgreSQL's ``app_scope_valid()``
    computes the same over the settings and ``pg_backend_pid()``, so a signature seen once
    cannot be replayed on another connection."""
    message = "|".join(
        (
            scope.kind,
            "" if scope.agency_id is None else str(scope.agency_id),
            "" if scope.region_id is None else str(scope.region_id),
            str(backend_pid),
        )
    )
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def _scope_key() -> str:
    from flask import current_app

    return current_app.config["SCOPE_KEY"]


def push_scope(connection: sa.Connection, scope: Scope, key: str | None = None) -> None:
    """Hand ``scope`` to PostgreSQL for the current transaction (signed); nothing on SQLite."""
    if connection.dialect.name != "postgresql":
        return
    pid = connection.connection.dbapi_connection.info.backend_pid
    connection.execute(
        sa.text(
            "SELECT set_config('app.scope', :kind, true), "
            "set_config('app.agency_id', :agency, true), "
            "set_config('app.region_id', :region, true), "
            "set_config('app.scope_sig', :sig, true)"
        ),
        {
            "kind": scope.kind,
            "agency": "" if scope.agency_id is None else str(scope.agency_id),
            "region": "" if scope.region_id is None else str(scope.region_id),
            "sig": scope_signature(key or _scope_key(), scope, pid),
        },
    )


@event.listens_for(Session, "after_begin")
def _after_begin(session, transaction, connection):
    # Per transaction, never per connection: a pooled connection must not carry the previous
    # user's agency into the next request (docs/tenancy.md). set_config(...,
    # true) ends with its transaction, so a new one starts with empty settings, which the
    # policies read as "no scope": nothing to send for NO_SCOPE.
    scope = _current.get()
    if scope != NO_SCOPE:
        push_scope(connection, scope)


@event.listens_for(Session, "do_orm_execute")
def _scope_orm_queries(state):
    if not state.is_select:
        return
    scope = _current.get()
    if scope.kind == "all":
        return
    if scope.kind == "agency":
        agency_id = scope.agency_id
        crit = lambda cls: cls.agency_id == agency_id  # noqa: E731
    elif scope.kind == "region":
        from touchpoints.core.tenancy import Agency

        region_id = scope.region_id
        crit = lambda cls: cls.agency_id.in_(  # noqa: E731
            sa.select(Agency.id).where(Agency.region_id == region_id)
        )
        # The office reads its region's approved and working data, never drafts or uploads.
        state.statement = state.statement.options(
            *(
                with_loader_criteria(cls, restriction, include_aliases=True)
                for cls, restriction in _region_restrictions()
            )
        )
    elif scope.kind == "public":
        # Only published data: tenant tables that are not public read as empty. One criterion
        # per private class: a lambda branching on the class is evaluated first against
        # TenantScoped itself and that first answer (false) was applied to every table.
        state.statement = state.statement.options(
            *(
                with_loader_criteria(cls, sa.false(), include_aliases=True)
                for cls in _private_tenant_classes()
            )
        )
        return
    else:
        crit = lambda cls: sa.false()  # noqa: E731
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, crit, include_aliases=True)
    )


def _region_restrictions() -> list[tuple[type, object]]:
    out = []
    for m in Base.registry.mappers:
        cls = m.class_
        if issubclass(cls, TenantScoped):
            restriction = cls.region_criteria()
            if restriction is not None:
                out.append((cls, restriction))
    return out


def _private_tenant_classes() -> list[type]:
    return [
        m.class_
        for m in Base.registry.mappers
        if issubclass(m.class_, TenantScoped) and not issubclass(m.class_, PublicReadMixin)
    ]


# --------------------------------------------------------------------------- RLS DDL

# The verified scope (SECURITY DEFINER functions of the migration a0000000003). Wrapped in a
# sub-select so that PostgreSQL computes each once per query (an InitPlan), not once per row.
APP_SCOPE = "(SELECT app_scope())"
APP_AGENCY = "(SELECT app_agency())"
APP_REGION = "(SELECT app_region())"


def rls_statements(
    table: str, *, public_read: bool = False, region_read: str | None = "true"
) -> list[str]:
    """DDL that puts one tenant table under forced row-level security.

    Writes need the row's own agency (or the operator's ``all`` scope); reads may also come from
    the project office of the agency's region (limited by ``region_read``, None: not at all),
    and for public tables from the public pages. Every scope value comes from the verified
    functions: a scope the application role set by hand reads as no scope at all.
    """
    own = f"agency_id = {APP_AGENCY}"
    read = [own, f"{APP_SCOPE} = 'all'"]
    if region_read is not None:
        read.append(
            f"({APP_SCOPE} = 'region' AND ({region_read}) AND agency_id IN "
            f"(SELECT id FROM agency WHERE region_id = {APP_REGION}))"
        )
    if public_read:
        read.append(f"{APP_SCOPE} = 'public'")
    write = f"{own} OR {APP_SCOPE} = 'all'"
    return policy_statements(table, " OR ".join(read), write)


def policy_statements(table: str, read: str, write: str) -> list[str]:
    """Forced RLS on ``table`` with one read and one write policy (SQL conditions)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_read ON {table}",
        f"DROP POLICY IF EXISTS tenant_write ON {table}",
        f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY tenant_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})",
    ]


def tenant_tables() -> dict[str, bool]:
    """Every mapped tenant table, with whether it is publicly readable."""
    return {name: public for name, (public, _) in tenant_table_policies().items()}


def tenant_table_policies() -> dict[str, tuple[bool, str | None]]:
    """Every mapped tenant table: (publicly readable, what the project office may read)."""
    out = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, TenantScoped) and mapper.local_table is not None:
            out[mapper.local_table.name] = (issubclass(cls, PublicReadMixin), cls.__region_read__)
    return dict(sorted(out.items()))
