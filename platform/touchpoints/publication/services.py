"""Proof of publication (Murmansk 5.1 / 5.4, Kuzbass 5.2 / 5.5: the current list «размещается в
электронной форме на сайте»): fetch the page the registrar recorded and say whether it shows the
current version; store the answer with its evidence; a page that stops showing it re-opens the
publication deadline (touchpoints.deadlines.services.reopen_publication).

What counts as proof is in :mod:`touchpoints.publication.matching`, how the page is fetched
safely in :mod:`touchpoints.publication.fetch`. Services flush; the caller commits.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from touchpoints.audit import service as audit
from touchpoints.core.db import db, utcnow
from touchpoints.core.queries import first_per, newest_first
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines import services as deadlines
from touchpoints.deadlines.models import Publication
from touchpoints.lists.models import ListVersion
from touchpoints.publication import fetch as fetching
from touchpoints.publication.matching import Expected, examine
from touchpoints.publication.models import Outcome, PublicationCheck

log = logging.getLogger(__name__)

#: A scheduled check is skipped when the agency's page was checked this recently: the hourly scan
#: may run twice (a retry, a second beat) without fetching the page twice.
RECENT = timedelta(hours=23)


class PublicationError(ValueError):
    """A refused action; the message is shown to the user."""


def platform_hosts() -> frozenset[str]:
    """Where the platform's public pages are served: BASE_URL's host and TRUSTED_HOSTS."""
    hosts = set()
    base = urlsplit(current_app.config.get("BASE_URL") or "")
    if base.netloc:
        hosts.add(base.netloc.lower())
    for host in current_app.config.get("TRUSTED_HOSTS") or []:
        hosts.add(host.strip().lower())
    return frozenset(hosts)


def current_version(agency_id: int) -> ListVersion | None:
    return ListVersion.latest(agency_id)


def latest_publication(agency_id: int) -> Publication | None:
    return db.session.scalar(
        newest_first(
            Publication, Publication.published_on, Publication.agency_id == agency_id
        ).limit(1)
    )


def latest_checks(agency_ids: list[int]) -> dict[int, PublicationCheck]:
    """The newest check of each agency, in one query."""
    if not agency_ids:
        return {}
    newest = first_per(
        PublicationCheck.agency_id,
        (PublicationCheck.checked_at.desc(), PublicationCheck.id.desc()),
        PublicationCheck.id,
        where=[PublicationCheck.agency_id.in_(agency_ids)],
    )
    rows = db.session.scalars(
        sa.select(PublicationCheck)
        .join(newest, newest.c.id == PublicationCheck.id)
        .options(sa.orm.selectinload(PublicationCheck.version))
    )
    return {c.agency_id: c for c in rows}


def recent_checks(agency_id: int, limit: int = 10) -> list[PublicationCheck]:
    newest = newest_first(
        PublicationCheck, PublicationCheck.checked_at, PublicationCheck.agency_id == agency_id
    )
    return list(db.session.scalars(newest.limit(limit)))


def _decode(body: bytes, content_type: str) -> str:
    """Russian sites still serve windows-1251: the declared charset, else UTF-8, else 1251."""
    declared = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    if declared is None:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", body[:4096], re.I)
    names = [declared.group(1)] if declared else []
    for name in [*names, "utf-8", "cp1251"]:
        if isinstance(name, bytes):
            name = name.decode("ascii", "ignore")
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


def verify(
    agency_id: int,
    *,
    trigger: str = "schedule",
    user_id: int | None = None,
    now: datetime | None = None,
    force: bool = True,
) -> PublicationCheck | None:
    """Check the page of the agency's latest recorded publication against its current version.

    None when there is nothing to check (no approved version or no recorded page) or, unless
    ``force``, when the page was checked within :data:`RECENT`. Flushes; the caller commits."""
    now = now or utcnow()
    version = current_version(agency_id)
    pub = latest_publication(agency_id)
    if version is None or pub is None:
        return None
    if not force:
        last = latest_checks([agency_id]).get(agency_id)
        if last is not None and last.checked_at > now - RECENT:
            return None
    agency = db.session.get(Agency, agency_id)
    expected = Expected(
        slug=agency.slug,
        version_number=version.number,
        order_number=version.order_number,
        order_date=version.order_date,
        platform_hosts=platform_hosts(),
    )
    check = PublicationCheck(
        agency_id=agency_id,
        publication_id=pub.id,
        version_id=version.id,
        checked_at=now,
        url=pub.url,
        trigger=trigger,
        requested_by_id=user_id,
    )
    _fetch_and_examine(check, expected)
    db.session.add(check)
    db.session.flush()
    _apply_to_deadline(check, pub, version, now)
    log.info(
        "publication check agency=%s outcome=%s matched=%s", agency_id, check.outcome, check.matched
    )
    return check


def _fetch_and_examine(check: PublicationCheck, expected: Expected) -> None:
    cfg = current_app.config
    limits = fetching.Limits(
        connect_timeout=cfg["PUBLICATION_CONNECT_TIMEOUT"],
        read_timeout=cfg["PUBLICATION_READ_TIMEOUT"],
        total_timeout=cfg["PUBLICATION_TOTAL_TIMEOUT"],
        max_bytes=cfg["PUBLICATION_MAX_BYTES"],
    )
    try:
        page = fetching.fetch(check.url, cfg["PUBLICATION_FETCH_PRIVATE"], limits)
    except fetching.FetchError as exc:
        check.outcome, check.error = Outcome.ERROR.value, str(exc)[:500]
        return
    check.http_status, check.final_url, check.truncated = (
        page.status,
        page.final_url,
        page.truncated,
    )
    if page.status >= 500:
        # The site is down for now: says nothing about what it publishes.
        check.outcome = Outcome.ERROR.value
        check.error = f"сайт ответил ошибкой {page.status}"
        return
    text = _decode(page.body, page.content_type)
    if page.status >= 400:
        check.outcome, check.error = Outcome.NOT_SHOWN.value, f"страница не найдена ({page.status})"
        check.excerpt = ""
        return
    match = examine(text, page.final_url, expected)
    check.outcome = Outcome.SHOWN.value if match.kind else Outcome.NOT_SHOWN.value
    check.matched, check.evidence = match.kind, match.evidence[:1000]
    check.excerpt = match.excerpt[:2000]


def _apply_to_deadline(
    check: PublicationCheck, pub: Publication, version: ListVersion, now: datetime
) -> None:
    """Not shown: the publication of the current version no longer stands, the deadline runs
    again. Shown again: it stands, the re-opened deadline closes. An error changes nothing."""
    if check.outcome == Outcome.NOT_SHOWN.value and pub.version_id == version.id:
        if deadlines.reopen_publication(pub, now):
            audit.record(
                "publication.withdrawn",
                pub,
                after={"url": pub.url, "check": check.id, "version": version.number},
                actor_label="system",
            )
    elif check.outcome == Outcome.SHOWN.value and deadlines.clear_withdrawals(check.agency_id):
        audit.record(
            "publication.restored",
            pub,
            after={"url": pub.url, "check": check.id, "version": version.number},
            actor_label="system",
        )
        deadlines.sync([check.agency_id], now=now)


def due_agency_ids(now: datetime | None = None) -> list[int]:
    """Agencies with a recorded page and no check within :data:`RECENT` (the daily scan)."""
    now = now or utcnow()
    last = (
        sa.select(PublicationCheck.agency_id, sa.func.max(PublicationCheck.checked_at).label("at"))
        .group_by(PublicationCheck.agency_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Publication.agency_id)
            .distinct()
            .outerjoin(last, last.c.agency_id == Publication.agency_id)
            .where(sa.or_(last.c.at.is_(None), last.c.at <= now - RECENT))
            .order_by(Publication.agency_id)
        )
    )


def record(agency: Agency, user, published_on, url: str) -> Publication:
    """Record where the list is published (the deadlines feature's record), then nothing else:
    the first check runs on demand or with the daily scan."""
    try:
        return deadlines.record_publication(agency, user, published_on, url)
    except deadlines.DeadlineError as exc:
        raise PublicationError(str(exc)) from exc
