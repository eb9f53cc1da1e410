"""Errors of the list's review path; their messages are shown to the user as they are."""

from __future__ import annotations


class ReviewError(ValueError):
    """An action that the review path does not allow; the message is shown to the user."""


class ConflictError(ReviewError):
    """Someone saved the entry since this person opened it (optimistic lock)."""

    def __init__(self, entry, attempted: dict):
        self.entry = entry
        self.attempted = attempted
        super().__init__(
            "Эту строку уже изменил другой пользователь. Сравните версии и сохраните заново."
        )
