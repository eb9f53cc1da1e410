"""Query shapes several features ask of their own tables: the greatest value per key, and the
first row of each group. Each is one query however many agencies or subdivisions it covers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from touchpoints.core.db import db


def newest_first(model, moment, *where, load=()) -> sa.Select:
    """Rows of ``model`` that match ``where``, the latest ``moment`` first (of two at the same
    moment, the later row), with the relationships in ``load`` read along (one query each)."""
    return (
        sa.select(model)
        .where(*where)
        .order_by(moment.desc(), model.id.desc())
        .options(*(selectinload(relationship) for relationship in load))
    )


def values_by_id(model, column, ids) -> dict:
    """``{id: column}`` of the rows of ``model`` with the given ids (those the scope may read),
    e.g. the names of the agencies or processes a page mentions."""
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, column).where(model.id.in_(ids))).all())


def next_number(column, *where) -> int:
    """One more than the greatest ``column`` among the rows that match ``where``; 1 for the first."""
    return (db.session.scalar(sa.select(sa.func.max(column)).where(*where)) or 0) + 1


def greatest_per(key, value, *where) -> dict:
    """``{key: the greatest value}`` over the rows that match ``where`` (keys without rows are
    absent), e.g. the last reconfirmation of each agency."""
    return dict(
        db.session.execute(sa.select(key, sa.func.max(value)).where(*where).group_by(key)).all()
    )


def first_per(group, order_by, *columns, where=()) -> sa.Subquery:
    """``columns`` of the first row of each ``group`` in ``order_by`` order, among the rows that
    match ``where``: a subquery to select from or join to (a window function numbers the rows of
    each group; its number, ``rn``, is among the subquery's columns)."""
    ranked = (
        sa.select(
            *columns,
            sa.func.row_number().over(partition_by=group, order_by=order_by).label("rn"),
        )
        .where(*where)
        .subquery()
    )
    return sa.select(ranked).where(ranked.c.rn == 1).subquery()
