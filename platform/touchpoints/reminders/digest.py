"""The daily digest's text: reminders and notices grouped by agency, laggards first."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines import compute as deadlines
from touchpoints.deadlines.models import Deadline, DeadlineKind, Reminder
from touchpoints.deadlines.summary import status_of

STEP_WORDS = {"before": "заранее", "due": "в день срока", "after": "после срока"}


def _link(endpoint: str, anchor: str = "", **values) -> str:
    """An absolute link from BASE_URL. Built on the URL map directly: a pushed request context
    would run the request teardown on exit and drop the caller's scope."""
    parts = urlsplit(current_app.config["BASE_URL"].rstrip("/") + "/")
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True) + anchor


def render_digest(recipient: str, local_day: date, reminder_ids: list[int], notes=()):
    rows = db.session.execute(
        sa.select(Reminder, Deadline, Agency)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .join(Agency, Agency.id == Reminder.agency_id)
        .where(Reminder.id.in_(reminder_ids))
        .order_by(Deadline.due_on, Agency.short_name)
    ).all()
    agency_ids = sorted({a.id for _, _, a in rows} | {n.agency_id for n in notes})
    infos = deadlines.load_agencies(agency_ids)
    titles = _titles([d for _, d, _ in rows])
    items, seen = [], set()
    for reminder, deadline, agency in rows:
        # Catch-up after a skipped run may bring several steps of one deadline: say it once.
        if deadline.id in seen:
            continue
        seen.add(deadline.id)
        info = infos[agency.id]
        status = status_of(deadline.due_on, local_day, info.calendar)
        status_label = "выполнено" if deadline.status != "open" else status.label
        if reminder.escalation:
            link = _link("agencies.view", slug=agency.slug)
        elif deadline.kind == DeadlineKind.PUBLICATION.value:
            link = _link("deadlines.publication")
        elif deadline.kind == DeadlineKind.REVIEW.value:
            link = _link("lists.review")
        else:
            link = _link("deadlines.index", "#reconfirm")
        items.append(
            {
                "kind": DeadlineKind(deadline.kind).label,
                "agency_id": agency.id,
                "agency": agency.short_name,
                # The project office is told that a review is late, not what the draft says.
                "title": (
                    "строка перечня на проверке"
                    if reminder.escalation and deadline.kind == DeadlineKind.REVIEW.value
                    else titles.get(deadline.id, "")
                ),
                "due_on": deadline.due_on,
                "status": status_label,
                "overdue": status.days < 0,
                "escalation": reminder.escalation,
                "link": link,
            }
        )
    groups = digest_groups(items, notes, {i: infos[i].short_name for i in agency_ids})
    overdue = sum(1 for i in items if i["overdue"])
    subject = digest_subject(groups, len(items), overdue, len(notes))
    ctx = {
        "groups": groups,
        "items": items,
        "local_day": local_day,
        "settings_link": _link("reminders.index"),
        "notices_link": _link("notifications.settings"),
        "overdue": overdue,
    }
    # The environment's own render: mail has no request, so no page context processors.
    env = current_app.jinja_env
    text = env.get_template("email/reminders_digest.txt").render(**ctx)
    html = env.get_template("email/reminders_digest.html").render(**ctx)
    agency_id = agency_ids[0] if len(agency_ids) == 1 else None
    return subject, text, html, agency_id


def digest_groups(items: list[dict], notes, names: dict[int, str]) -> list[dict]:
    """The digest by agency, laggards first, each with a one-line summary.

    The project office's copies after a deadline are folded per kind of deadline into one line
    («Проверка строк: 37, самый ранний срок 12.11.2026»): the office acts per agency, not per
    row, and a hundred near-identical lines hide the one that matters."""
    by_agency: dict[int, dict] = {}
    for agency_id, name in names.items():
        by_agency[agency_id] = {"agency": name, "items": [], "folded": [], "notes": []}
    folded: dict[tuple[int, str], dict] = {}
    for i in items:
        group = by_agency[i["agency_id"]]
        if not i["escalation"]:
            group["items"].append(i)
            continue
        key = (i["agency_id"], i["kind"])
        if key not in folded:
            folded[key] = {**i, "count": 0, "overdue_count": 0}
            group["folded"].append(folded[key])
        f = folded[key]
        f["count"] += 1
        f["overdue_count"] += int(i["overdue"])
        if i["due_on"] < f["due_on"]:
            f.update(due_on=i["due_on"], status=i["status"])
    for n in notes:
        by_agency[n.agency_id]["notes"].append(n)
    out = []
    for group in by_agency.values():
        all_items = group["items"] + [
            dict(f, overdue=bool(f["overdue_count"])) for f in group["folded"]
        ]
        total = len(group["items"]) + sum(f["count"] for f in group["folded"])
        late = sum(1 for i in group["items"] if i["overdue"]) + sum(
            f["overdue_count"] for f in group["folded"]
        )
        parts = []
        if total:
            parts.append(f"сроков — {total}")
        if late:
            parts.append(f"просрочено — {late}")
        if group["notes"]:
            parts.append(f"событий — {len(group['notes'])}")
        group.update(
            summary=", ".join(parts), late=late, any_overdue=any(i["overdue"] for i in all_items)
        )
        out.append(group)
    out.sort(key=lambda g: (-g["late"], g["agency"]))
    return out


def digest_subject(groups: list[dict], total: int, overdue: int, notes: int) -> str:
    """What and where: «Комитет по туризму: сроки по перечню — 2, просрочено — 1»."""
    if len(groups) == 1:
        return f"{groups[0]['agency']}: {groups[0]['summary']}"
    late = sum(1 for g in groups if g["late"])
    subject = f"Перечни {len(groups)} организаций: сроков — {total}"
    if overdue:
        subject += f", просрочки у {late}"
    if notes:
        subject += f", событий — {notes}"
    return subject


def _titles(items: list[Deadline]) -> dict[int, str]:
    from touchpoints.core.tenancy import Subdivision
    from touchpoints.lists.models import Entry

    entry_ids = [d.entry_id for d in items if d.entry_id]
    sub_ids = [d.subdivision_id for d in items if d.subdivision_id]
    entries = dict(
        db.session.execute(
            sa.select(Entry.id, Entry.process_name).where(Entry.id.in_(entry_ids))
        ).all()
    )
    subs = dict(
        db.session.execute(
            sa.select(Subdivision.id, Subdivision.name).where(Subdivision.id.in_(sub_ids))
        ).all()
    )
    out = {}
    for d in items:
        if d.kind == DeadlineKind.REVIEW.value:
            out[d.id] = entries.get(d.entry_id) or f"строка № {d.entry_id}"
        elif d.kind == DeadlineKind.RECONFIRM.value:
            out[d.id] = subs.get(d.subdivision_id, "")
        else:
            out[d.id] = "актуальная версия перечня на сайте"
    return out
