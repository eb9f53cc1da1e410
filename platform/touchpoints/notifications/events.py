"""One hook per event of the review path; services call these in the deciding transaction.

Subjects say what happened and where («Комитет по туризму: строка возвращена на доработку»), so a
person can tell the mail apart in the inbox without opening it.
"""

from __future__ import annotations

from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import ru_date
from touchpoints.notifications import service as notices


def _agency(agency_id: int) -> Agency:
    return db.session.get(Agency, agency_id)


def _title(entry) -> str:
    name = (entry.process_name or "").strip() or (entry.touchpoint or "").strip()
    if len(name) > 120:
        name = name[:119] + "…"
    return f"«{name}»" if name else f"№ {entry.id}"


def _stamp(moment) -> str:
    # Microseconds: a resubmission within the same second is another event.
    return moment.isoformat() if moment else ""


def entry_submitted(entry, actor) -> None:
    agency = _agency(entry.agency_id)
    notices.notify(
        "entry_submitted",
        agency_id=agency.id,
        event_key=f"entry_submitted:{entry.id}:{_stamp(entry.submitted_at)}",
        recipients=notices.registrars(agency.id),
        subject=f"{agency.short_name}: строка отправлена на проверку",
        lines=[
            f"{actor.name} отправил(а) на проверку строку {_title(entry)}.",
            "Включите её в перечень или верните автору с комментарием.",
        ],
        link=notices.absolute_url("lists.entry", entry_id=entry.id),
        skip_user_id=getattr(actor, "id", None),
    )


def entry_returned(entry, actor, comment: str) -> None:
    agency = _agency(entry.agency_id)
    notices.notify(
        "entry_returned",
        agency_id=agency.id,
        event_key=f"entry_returned:{entry.id}:{_stamp(entry.reviewed_at)}",
        recipients=notices.user(entry.submitted_by_id or entry.created_by_id),
        subject=f"{agency.short_name}: строка возвращена на доработку",
        lines=[
            f"{actor.name} вернул(а) на доработку строку {_title(entry)}.",
            f"Что исправить: {comment.strip()}",
        ],
        link=notices.absolute_url("lists.entry", entry_id=entry.id),
        skip_user_id=getattr(actor, "id", None),
    )


def entry_decided(proposal, target, actor, comment: str | None) -> None:
    """Included (a new entry or a change) or excluded: told to the proposal's author."""
    agency = _agency(proposal.agency_id)
    excluded = proposal.kind == "exclusion"
    kind = "entry_excluded" if excluded else "entry_included"
    what = "исключена из перечня" if excluded else "включена в перечень"
    if proposal.kind == "change":
        what = "изменение внесено в перечень"
    shown = target or proposal
    notices.notify(
        kind,
        agency_id=agency.id,
        event_key=f"{kind}:{proposal.id}",
        recipients=notices.user(proposal.submitted_by_id or proposal.created_by_id),
        subject=f"{agency.short_name}: "
        + ("строка " + what if proposal.kind != "change" else what),
        lines=[
            f"Строка {_title(shown)}: {what}.",
            f"Решение принял(а): {actor.name}.",
            f"Комментарий: {comment}" if comment else "",
        ],
        link=notices.absolute_url("lists.entry", entry_id=shown.id),
        skip_user_id=getattr(actor, "id", None),
    )


def version_approved(version, actor) -> None:
    agency = _agency(version.agency_id)
    notices.notify(
        "version_approved",
        agency_id=agency.id,
        event_key=f"version_approved:{version.id}",
        recipients=notices.editors(agency.id) + notices.office(agency),
        subject=f"{agency.short_name}: утверждена редакция перечня № {version.number}",
        lines=[
            f"Утверждена редакция перечня № {version.number} приказом "
            f"от {ru_date(version.order_date)} № {version.order_number}; "
            f"строк в перечне: {version.entry_count}.",
            "Актуальная версия размещается на сайте в течение 10 рабочих дней "
            "(п. 5.4 / 5.5 порядка).",
        ],
        link=notices.absolute_url("public.agency", slug=agency.slug),
        skip_user_id=getattr(actor, "id", None),
    )


def version_annulled(version, annulment, actor) -> None:
    agency = _agency(version.agency_id)
    notices.notify(
        "version_annulled",
        agency_id=agency.id,
        event_key=f"version_annulled:{version.id}",
        recipients=notices.registrars(agency.id)
        + notices.editors(agency.id)
        + notices.office(agency),
        subject=f"{agency.short_name}: утверждение редакции № {version.number} аннулировано",
        lines=[
            f"{actor.name} аннулировал(а) утверждение редакции № {version.number} "
            f"(приказ от {ru_date(version.order_date)} № {version.order_number}).",
            f"Причина: {annulment.reason}",
            "Действующей снова считается предыдущая утверждённая редакция.",
        ],
        link=notices.absolute_url("public.agency", slug=agency.slug),
        skip_user_id=getattr(actor, "id", None),
    )


def publication_recorded(publication, version, actor) -> None:
    agency = _agency(publication.agency_id)
    notices.notify(
        "publication_recorded",
        agency_id=agency.id,
        event_key=f"publication_recorded:{publication.id}",
        recipients=notices.registrars(agency.id) + notices.office(agency),
        subject=f"{agency.short_name}: перечень размещён на сайте",
        lines=[
            f"Редакция № {version.number} размещена на сайте {ru_date(publication.published_on)}: "
            f"{publication.url}",
            "Срок соблюдён." if publication.on_time else "",
            "Размещено позже срока." if publication.on_time is False else "",
        ],
        link=publication.url,
        skip_user_id=getattr(actor, "id", None),
    )
