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


def _order(version) -> str:
    """The order that approved ``version``, as the mail names it: «от 1 марта 2026 г. № 12»."""
    return f"от {ru_date(version.order_date)} № {version.order_number}"


def _send(kind, agency, key, recipients, what, lines, link, actor) -> None:
    """Tell ``recipients`` of an event of ``agency``: the subject names the agency and ``what``
    happened; ``key`` makes the event unique (once per recipient however often it is called)."""
    notices.notify(
        kind,
        agency_id=agency.id,
        event_key=f"{kind}:{key}",
        recipients=recipients,
        subject=f"{agency.short_name}: {what}",
        lines=lines,
        link=link,
        skip_user_id=getattr(actor, "id", None),
    )


def entry_submitted(entry, actor) -> None:
    agency = _agency(entry.agency_id)
    _send(
        "entry_submitted",
        agency,
        f"{entry.id}:{_stamp(entry.submitted_at)}",
        notices.registrars(agency.id),
        "строка отправлена на проверку",
        [
            f"{actor.name} отправил(а) на проверку строку {_title(entry)}.",
            "Включите её в перечень или верните автору с комментарием.",
        ],
        notices.absolute_url("lists.entry", entry_id=entry.id),
        actor,
    )


def entry_returned(entry, actor, comment: str) -> None:
    agency = _agency(entry.agency_id)
    _send(
        "entry_returned",
        agency,
        f"{entry.id}:{_stamp(entry.reviewed_at)}",
        notices.user(entry.submitted_by_id or entry.created_by_id),
        "строка возвращена на доработку",
        [
            f"{actor.name} вернул(а) на доработку строку {_title(entry)}.",
            f"Что исправить: {comment.strip()}",
        ],
        notices.absolute_url("lists.entry", entry_id=entry.id),
        actor,
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
    _send(
        kind,
        agency,
        proposal.id,
        notices.user(proposal.submitted_by_id or proposal.created_by_id),
        what if proposal.kind == "change" else f"строка {what}",
        [
            f"Строка {_title(shown)}: {what}.",
            f"Решение принял(а): {actor.name}.",
            f"Комментарий: {comment}" if comment else "",
        ],
        notices.absolute_url("lists.entry", entry_id=shown.id),
        actor,
    )


def _about_version(kind: str, version, actor, recipients, what: str, lines: list[str]) -> None:
    """An event of an approved version: once per version, linking to the agency's public page;
    ``recipients`` names them given the agency."""
    agency = _agency(version.agency_id)
    link = notices.absolute_url("public.agency", slug=agency.slug)
    _send(kind, agency, version.id, recipients(agency), what, lines, link, actor)


def version_approved(version, actor) -> None:
    _about_version(
        "version_approved",
        version,
        actor,
        lambda agency: notices.editors(agency.id) + notices.office(agency),
        f"утверждена редакция перечня № {version.number}",
        [
            f"Утверждена редакция перечня № {version.number} приказом {_order(version)}; "
            f"строк в перечне: {version.entry_count}.",
            "Актуальная версия размещается на сайте в течение 10 рабочих дней "
            "(п. 5.4 / 5.5 порядка).",
        ],
    )


def version_annulled(version, annulment, actor) -> None:
    _about_version(
        "version_annulled",
        version,
        actor,
        lambda agency: (
            notices.registrars(agency.id) + notices.editors(agency.id) + notices.office(agency)
        ),
        f"утверждение редакции № {version.number} аннулировано",
        [
            f"{actor.name} аннулировал(а) утверждение редакции № {version.number} "
            f"(приказ {_order(version)}).",
            f"Причина: {annulment.reason}",
            "Действующей снова считается предыдущая утверждённая редакция.",
        ],
    )


def publication_recorded(publication, version, actor) -> None:
    agency = _agency(publication.agency_id)
    _send(
        "publication_recorded",
        agency,
        f"{publication.id}",
        notices.registrars(agency.id) + notices.office(agency),
        "перечень размещён на сайте",
        [
            f"Редакция № {version.number} размещена на сайте {ru_date(publication.published_on)}: "
            f"{publication.url}",
            "Срок соблюдён." if publication.on_time else "",
            "Размещено позже срока." if publication.on_time is False else "",
        ],
        publication.url,
        actor,
    )
