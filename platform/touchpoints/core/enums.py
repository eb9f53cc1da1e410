"""Enumerations whose members read as Russian words: the value is stored, the label is shown."""

from __future__ import annotations

import enum


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members carry their label: ``ADMIN = "admin", "Администратор"``.

    The value (``"admin"``) is what the database, forms and URLs hold; ``member.label`` is what a
    person reads, and :meth:`labels` maps every member to it (choices, filters, tables)."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[LabelledEnum, str]:
        """Every member and its label, in the order of declaration."""
        return {member: member.label for member in cls}
