"""How entry fields are found in a file the importer reads (the export writes them through
:mod:`touchpoints.lists.table`)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from touchpoints.lists.labels import CHANNEL_KINDS, CLIENT_KINDS, COLUMN_LABELS

#: The importer matches headers of columns the agency's form does not have against these; the
#: kinds are parsed back from their cell text. Defined once in :mod:`touchpoints.lists.labels`.
FIELD_LABELS = COLUMN_LABELS
CHANNEL_LABELS = CHANNEL_KINDS
CLIENT_LABELS = CLIENT_KINDS
NUMERIC_FIELDS = {
    "response_hours_mentions": float,
    "response_hours_requests": float,
    "max_transfers": int,
    "waiting_minutes": int,
}


def column_target(column: dict) -> str:
    """The field a form column fills: a common field name or ``extra:<key>``."""
    return f"extra:{column['key']}" if column["field"] == "extra" else column["field"]


# --------------------------------------------------------------------------- fuzzy text


def norm(text) -> str:
    """Lower case, «ё» as «е», punctuation and extra spaces dropped: how headers are compared."""
    text = str(text or "").replace("ё", "е").replace("Ё", "Е").lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _stems(text: str) -> set[str]:
    # Four letters are a crude but dependable Russian stem: «точка»/«точки», «взаимодействие»/«-ия».
    return {w[:4] for w in text.split() if len(w) > 2}


def similarity(a, b, floor: float = 0.0) -> float:
    """0..1: how alike two labels are, tolerant of word endings, order and small typos.

    Scores below ``floor`` may come back as a cheaper lower estimate: callers that only care
    whether a threshold is reached pass it, and most pairs are then settled without the full
    (quadratic) comparison."""
    return _similarity(norm(a), norm(b), floor)


@lru_cache(maxsize=20_000)
def _similarity(na: str, nb: str, floor: float) -> float:
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    sa, sb = _stems(na), _stems(nb)
    dice = 0.95 * 2 * len(sa & sb) / (len(sa) + len(sb)) if sa and sb else 0.0
    matcher = SequenceMatcher(None, na, nb, autojunk=False)
    if max(dice, matcher.real_quick_ratio()) < floor or max(dice, matcher.quick_ratio()) < floor:
        return dice
    return max(matcher.ratio(), dice)
