"""Filtering and sorting the board's rows on the office's page (and its exports)."""

from __future__ import annotations

import dataclasses

from touchpoints.dashboard.board import AgencyRow

SORT_KEYS = {
    "name": lambda r: r.name.lower(),
    "version": lambda r: r.version_number,
    "version_date": lambda r: r.version_date,
    "publication": lambda r: _publication_rank(r),
    "touchpoints": lambda r: r.touchpoints,
    "digital": lambda r: r.digital_share,
    "areas": lambda r: (r.areas_covered / r.areas_total) if r.areas_total else None,
    "needs": lambda r: (r.needs_covered / r.needs_total) if r.needs_total else None,
    "errors": lambda r: r.errors,
    "warnings": lambda r: r.warnings,
    "pending": lambda r: r.pending,
    "days": lambda r: r.days_since_change,
    "reminder": lambda r: r.last_reminder_at,
}
PUBLICATION_FILTERS = {
    "on_time": "размещено в срок",
    "due": "срок идёт",
    "overdue": "просрочено",
    "none": "нечего размещать",
    "unknown": "нет данных",
}


def _publication_rank(row: AgencyRow):
    """Overdue first when sorted descending: the larger, the worse."""
    p = row.publication
    if p is None:
        return None
    if p.status == "overdue":
        return 1000 + (p.days or 0)
    if p.status == "due":
        return 500 - (p.days or 0)
    return 0 if p.status == "on_time" else -1


@dataclasses.dataclass
class Filters:
    q: str = ""
    publication: str = ""
    approved: str = ""
    form: str = ""
    problems: str = ""
    sort: str = "name"
    desc: bool = False

    @classmethod
    def from_args(cls, args) -> Filters:
        sort = args.get("sort", "name")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            publication=args.get("publication", "")
            if args.get("publication") in PUBLICATION_FILTERS
            else "",
            approved=args.get("approved", "") if args.get("approved") in ("yes", "no") else "",
            form=(args.get("form") or "").strip()[:64],
            problems=args.get("problems", "")
            if args.get("problems") in ("errors", "pending", "stale")
            else "",
            sort=sort if sort in SORT_KEYS else "name",
            desc=args.get("dir") == "desc",
        )

    def as_args(self, **changes) -> dict:
        out = {
            "q": self.q,
            "publication": self.publication,
            "approved": self.approved,
            "form": self.form,
            "problems": self.problems,
            "sort": self.sort,
            "dir": "desc" if self.desc else "",
        }
        out.update(changes)
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.q or self.publication or self.approved or self.form or self.problems)

    @property
    def key(self) -> tuple:
        return dataclasses.astuple(self)


#: Days without a change after which an agency counts as stale in the filter.
STALE_DAYS = 90


def apply(rows: list[AgencyRow], f: Filters) -> list[AgencyRow]:
    out = rows
    if f.q:
        needle = f.q.lower()
        out = [r for r in out if needle in r.name.lower() or needle in r.full_name.lower()]
    if f.publication:
        out = [r for r in out if r.publication_status == f.publication]
    if f.approved == "yes":
        out = [r for r in out if r.has_version]
    elif f.approved == "no":
        out = [r for r in out if not r.has_version]
    if f.form:
        out = [r for r in out if r.form_template == f.form]
    if f.problems == "errors":
        out = [r for r in out if (r.errors or 0) > 0]
    elif f.problems == "pending":
        out = [r for r in out if r.pending > 0]
    elif f.problems == "stale":
        out = [r for r in out if r.days_since_change is None or r.days_since_change >= STALE_DAYS]
    key = SORT_KEYS[f.sort]
    present = [r for r in out if key(r) is not None]
    missing = [r for r in out if key(r) is None]
    present.sort(key=lambda r: (key(r), r.name.lower()), reverse=f.desc)
    # Rows without the figure go last either way: "no data" is not the smallest value.
    return present + missing
