"""The list's pages: the working list in the agency's form, entries and their review path,
compliance report, approved versions and their comparison; read-only drill-down for the office.

Views are thin: every change goes through :mod:`touchpoints.lists.services`, every query lives in a
model or a query module (:mod:`~touchpoints.lists.listing`, :mod:`~touchpoints.lists.queue`).
This module holds the blueprint and what the page modules share.
"""

from __future__ import annotations

from flask import Blueprint, flash

from touchpoints.audit.labels import ACTION_LABELS
from touchpoints.lists import history as describe
from touchpoints.lists import labels, table
from touchpoints.lists.form import Form

bp = Blueprint("lists", __name__)


@bp.app_context_processor
def _labels():
    return {
        "STATUS_LABELS": labels.STATUS_LABELS,
        "KIND_LABELS": labels.KIND_LABELS,
        "CHANNEL_CHOICES": labels.CHANNEL_CHOICES,
        "CLIENT_CHOICES": labels.CLIENT_CHOICES,
        "FIELD_LABELS": labels.FIELD_LABELS,
        "AUDIT_LABELS": labels.AUDIT_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "cell_text": table.cell_text,
        "field_text": table.field_text,
        "extra_text": table.extra_text,
    }


def audit_items(
    values: dict | None, form: Form, sub_names: dict[int, str], skip_empty: bool = False
) -> list[tuple]:
    """An audit event's before/after as (label, readable value) pairs: catalogue names, never
    codes (lists.history)."""
    return describe.items(
        values, describe.Context(form=form, subdivisions=sub_names), skip_empty=skip_empty
    )


def flash_error(exc: Exception) -> None:
    flash(str(exc), "error")
