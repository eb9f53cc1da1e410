"""`flask demo seed`: a region full of realistic agencies, for demonstrations and benchmarks.

Agencies get different forms (murmansk-6, kuzbass-3, default-full), different states (approved
once or twice, never approved, entries waiting, returned or in draft, activity areas marked as not
performed) and different ages of their last change, so that every column and chart of the
dashboard has something to show. Rows are written with bulk inserts (Core ``executemany``): a
hundred agencies of three hundred entries take seconds, not minutes.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.lists.models import AreaStatus, Entry, ListVersion, VersionEntry
from touchpoints.regions.models import Agency, Region, Subdivision

FORMS = ("murmansk-6", "kuzbass-3", "default-full")
CHUNK = 5000

AGENCY_KINDS = [
    "Министерство здравоохранения",
    "Министерство образования и науки",
    "Министерство культуры",
    "Министерство труда и социального развития",
    "Министерство экономического развития",
    "Министерство финансов",
    "Министерство строительства",
    "Министерство транспорта и дорожного хозяйства",
    "Министерство природных ресурсов и экологии",
    "Министерство сельского хозяйства",
    "Министерство промышленности и торговли",
    "Министерство цифрового развития",
    "Министерство спорта",
    "Министерство имущественных отношений",
    "Министерство энергетики и жилищно-коммунального хозяйства",
    "Министерство юстиции",
    "Министерство молодёжной политики",
    "Министерство туризма",
    "Комитет по делам молодёжи",
    "Комитет по тарифному регулированию",
    "Комитет государственной охраны объектов культурного наследия",
    "Комитет ветеринарии",
    "Комитет по обеспечению безопасности населения",
    "Комитет по рыбохозяйственному комплексу",
    "Комитет по лесному хозяйству",
    "Департамент занятости населения",
    "Департамент по чрезвычайным ситуациям",
    "Департамент контрактной системы",
    "Департамент записи актов гражданского состояния",
    "Департамент жилищной политики",
    "Управление государственной жилищной инспекции",
    "Управление делами губернатора",
    "Инспекция государственного строительного надзора",
    "Государственная инспекция по надзору за техническим состоянием самоходных машин",
    "Агентство по развитию предпринимательства",
    "Агентство по туризму и внешним связям",
    "Архивное управление",
    "Управление по обеспечению деятельности мировых судей",
]

SUBDIVISIONS = [
    ("general", "Отдел организационной работы и документооборота"),
    ("services", "Отдел предоставления государственных услуг"),
    ("control", "Отдел контроля (надзора)"),
    ("it", "Отдел информатизации"),
]

#: Processes by common activity area (seeds 2.5 / 3.5 list the areas; the names are typical).
PROCESSES = {
    "services": [
        "Выдача лицензии",
        "Переоформление лицензии",
        "Выдача разрешения",
        "Аккредитация организаций",
        "Аттестация специалистов",
        "Ведение регионального реестра",
        "Выдача справок и выписок из реестра",
        "Согласование документации",
    ],
    "support": [
        "Предоставление субсидий",
        "Предоставление грантов",
        "Компенсация части затрат",
        "Единовременная выплата",
        "Предоставление льготного займа",
        "Имущественная поддержка",
    ],
    "control": [
        "Региональный государственный контроль (надзор)",
        "Профилактическое консультирование",
        "Выдача предписаний и контроль их исполнения",
        "Ведение перечня объектов контроля",
    ],
    "appeals": [
        "Рассмотрение обращений граждан",
        "Рассмотрение запросов организаций",
        "Личный приём граждан",
        "Рассмотрение жалоб на решения и действия",
    ],
    "information": [
        "Информирование о деятельности",
        "Публикация открытых данных",
        "Информирование о мерах поддержки",
        "Новости и анонсы мероприятий",
    ],
    "internal": [
        "Кадровое обеспечение",
        "Согласование служебных документов",
        "Техническая поддержка рабочих мест",
        "Выдача справок сотрудникам",
        "Организация обучения сотрудников",
        "Обеспечение расходными материалами",
    ],
    "other": [
        "Организация мероприятий",
        "Проведение конкурсов",
        "Работа общественного совета",
    ],
}

#: What is done through a channel, by taxonomy code.
INTERACTIONS = {
    "official_site": "Размещение порядка, форм документов и результатов",
    "internet": "Информирование на внешних интернет-ресурсах",
    "mobile_app": "Подача заявки и получение уведомлений в приложении",
    "social_network": "Публикации и ответы на комментарии",
    "messenger": "Консультирование в канале и чате",
    "chatbot": "Ответы на типовые вопросы",
    "email": "Приём документов и направление ответов",
    "personal_account": "Подача заявления и отслеживание статуса",
    "edms": "Приём и согласование документов в СЭД",
    "video_conf": "Совещания и консультации по ВКС",
    "ticket_system": "Приём и исполнение заявок",
    "workstation": "Работа с документами на рабочем месте",
    "network_drive": "Шаблоны и материалы на сетевом диске",
    "voice_assistant": "Запись на приём и справки голосовым помощником",
    "call_centre": "Консультирование операторами",
    "phone": "Консультирование по телефону",
    "reception": "Приём документов и консультации",
    "mfc": "Приём заявлений и выдача результатов в МФЦ",
    "letter": "Приём письменных заявлений",
    "paper_journal": "Регистрация заявок в журнале",
    "personal": "Личное взаимодействие",
}

NORMS = {
    "response_hours_mentions": 4,
    "response_hours_requests": 2,
    "max_transfers": 2,
    "waiting_minutes": 15,
}


@dataclasses.dataclass
class SeedReport:
    region: str
    created_region: bool = False
    agencies: int = 0
    skipped: int = 0
    entries: int = 0
    versions: int = 0


def _forms() -> dict[str, dict]:
    from touchpoints.tenants.loader import load
    from touchpoints.tenants.schema import jsonable

    forms = load(current_app.config["TENANTS_DIR"]).forms
    return {slug: jsonable(forms[slug]) for slug in FORMS}


def _insert(table, rows: list[dict], returning=None) -> list:
    """Insert many rows; with ``returning`` (the id column), return their ids in row order."""
    if not rows:
        return []
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        return _insert_postgres(conn, table, rows, returning is not None)
    out = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if returning is None:
            db.session.execute(sa.insert(table), chunk)
        else:
            result = db.session.execute(
                sa.insert(table).returning(returning, sort_by_parameter_order=True), chunk
            )
            out.extend(result.scalars().all())
    return out


def _insert_postgres(conn, table, rows: list[dict], with_ids: bool) -> list[int]:
    """psycopg's pipelined executemany of one short statement.

    SQLAlchemy's multi-row VALUES pages are statements too long for psycopg's parse cache and
    re-parsing them dominated the run (≈30 s for 30,000 rows); COPY is refused under row-level
    security. Ids come from the table's sequence in one query, so rows need no RETURNING."""
    from psycopg.types.json import Json

    ids: list[int] = []
    if with_ids:
        ids = list(
            conn.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": len(rows)},
            ).scalars()
        )
    columns = [c for c in table.columns if c.name != "id" or with_ids]

    def value(column, row, index):
        if column.name == "id":
            return ids[index]
        if column.name in row:
            v = row[column.name]
        elif column.default is not None and column.default.is_scalar:
            v = column.default.arg
        elif column.default is not None and column.default.is_callable:
            v = column.default.arg(None)
        else:
            v = None
        if v is not None and isinstance(column.type, sa.JSON):
            v = Json(v)
        return v

    names = ", ".join(f'"{c.name}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    params = [tuple(value(c, row, i) for c in columns) for i, row in enumerate(rows)]
    with conn.connection.driver_connection.cursor() as cursor:
        if _bypasses_rls(conn):
            # COPY: the bench's 300,000 rows in seconds (the owner seeding a scratch database).
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in params:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, params)
    return ids


def _bypasses_rls(conn) -> bool:
    """COPY FROM is refused on tables under row-level security unless the role bypasses it."""
    return bool(
        conn.execute(
            sa.text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


def seed_region(
    region_slug: str, agencies: int, rows: int, *, now: datetime | None = None, seed: int = 6
) -> SeedReport:
    """Fill ``region_slug`` with ``agencies`` agencies of ``rows`` entries each.

    Re-running adds nothing for agencies that exist already (same slugs)."""
    if agencies < 1 or rows < 1:
        raise ValueError("число организаций и строк должно быть положительным")
    now = now or datetime.now(UTC)
    rnd = random.Random(f"{region_slug}:{seed}")
    report = SeedReport(region=region_slug)
    forms = _forms()
    with scoped(SYSTEM_SCOPE):
        region = db.session.scalar(sa.select(Region).where(Region.slug == region_slug))
        if region is None:
            region = Region(
                slug=region_slug,
                name=f"Демонстрационный регион «{region_slug}»",
                timezone="Europe/Moscow",
            )
            db.session.add(region)
            db.session.flush()
            report.created_region = True
        existing = set(db.session.scalars(sa.select(Agency.slug)))
        plans = []
        for i in range(agencies):
            slug = f"{region_slug}-demo-{i + 1:03d}"
            if slug in existing:
                report.skipped += 1
                continue
            kind = AGENCY_KINDS[i % len(AGENCY_KINDS)]
            if i >= len(AGENCY_KINDS):
                kind = f"{kind} (№ {i // len(AGENCY_KINDS) + 1})"
            template = FORMS[i % len(FORMS)]
            plans.append((i, slug, kind, template))
        if not plans:
            db.session.commit()
            return report

        agency_rows = [
            {
                "slug": slug,
                "region_id": region.id,
                "full_name": f"{kind} — {region.name}",
                "short_name": kind,
                "form_template": template,
                "form": forms[template],
                "head_title": "Руководитель",
                "head_name": f"{rnd.choice('АБВГДЕИКЛМНОПРС')}.{rnd.choice('АВДИМНОПС')}. "
                f"{rnd.choice(['Иванов', 'Петрова', 'Смирнов', 'Кузнецова', 'Попов', 'Соколова', 'Лебедев', 'Новикова'])}",
                "city": "",
                "legal_basis": "В соответствии с распоряжением о внедрении клиентоцентричности",
                "settings": {
                    "policies": {"publication_working_days": 10, "review_working_days": 5}
                },
                "source": "ui",
                "created_at": now - timedelta(days=540),
            }
            for _, slug, kind, template in plans
        ]
        agency_ids = _insert(Agency.__table__, agency_rows, Agency.__table__.c.id)
        sub_rows = [
            {"agency_id": aid, "code": code, "name": name, "active": True}
            for aid in agency_ids
            for code, name in SUBDIVISIONS
        ]
        sub_ids = _insert(Subdivision.__table__, sub_rows, Subdivision.__table__.c.id)
        subs = {
            aid: sub_ids[k * len(SUBDIVISIONS) : (k + 1) * len(SUBDIVISIONS)]
            for k, aid in enumerate(agency_ids)
        }
        user_ids = _insert(
            User.__table__,
            [
                {
                    "email": f"registrar@{slug}.example.org",
                    "name": f"Уполномоченное лицо ({kind})",
                    "role": Role.REGISTRAR.value,
                    "agency_id": aid,
                    "is_demo": True,
                    "active": True,
                }
                for aid, (_, slug, kind, _t) in zip(agency_ids, plans, strict=True)
            ],
            User.__table__.c.id,
        )

        entries, meta, profiles = [], [], []
        area_statuses, audits = [], []
        for k, (aid, (i, _slug, _kind, template)) in enumerate(zip(agency_ids, plans, strict=True)):
            form = forms[template]
            profile = _profile(i, now)
            profiles.append(profile)
            areas = list(form["activity_areas"])
            skipped_areas = []
            if profile["not_performed"]:
                # An agency without control powers marks the area (Kuzbass 3.5).
                skipped_areas = [a for a in areas if a.get("common") in ("control", "support")][
                    : profile["not_performed"]
                ]
                for a in skipped_areas:
                    area_statuses.append(
                        {
                            "agency_id": aid,
                            "area_code": a["code"],
                            "not_performed": True,
                            "reason": "Полномочия по направлению у органа власти отсутствуют",
                            "updated_at": profile["last_change"],
                        }
                    )
                    audits.append(
                        _audit(
                            aid, user_ids[k], "area.status", "area_status", profile["last_change"]
                        )
                    )
                areas = [a for a in areas if a not in skipped_areas]
            for n in range(rows):
                entries.append(
                    _entry(aid, subs[aid], user_ids[k], form, areas, n, profile, rnd, now)
                )
                meta.append(k)
        entry_ids = _insert(Entry.__table__, entries, Entry.__table__.c.id)
        if area_statuses:
            _insert(AreaStatus.__table__, area_statuses)

        by_agency: dict[int, list] = {}
        for k, entry, eid in zip(meta, entries, entry_ids, strict=True):
            if entry["status"] == "included":
                by_agency.setdefault(k, []).append((eid, entry))
                audits.append(
                    _audit(
                        entry["agency_id"],
                        user_ids[k],
                        "entry.review.include",
                        "entry",
                        entry["reviewed_at"],
                        eid,
                    )
                )
        versions, version_rows = [], []
        for k, (aid, (i, _slug, _kind, template)) in enumerate(zip(agency_ids, plans, strict=True)):
            profile = profiles[k]
            included = sorted(by_agency.get(k, []), key=lambda x: x[1]["reviewed_at"])
            if not profile["approvals"] or not included:
                continue
            for number, approved_at in enumerate(profile["approvals"], start=1):
                snapshot = [(eid, e) for eid, e in included if e["reviewed_at"] <= approved_at]
                if not snapshot:
                    continue
                versions.append(
                    {
                        "agency_id": aid,
                        "number": number,
                        "order_number": f"{10 + i}-{number}",
                        "order_date": approved_at.date(),
                        "signatory_title": "Руководитель",
                        "signatory_name": agency_rows[k]["head_name"],
                        "approved_at": approved_at,
                        "approved_by_id": user_ids[k],
                        "self_approved": False,
                        "form": forms[template],
                        "areas_not_performed": [],
                        "entry_count": len(snapshot),
                    }
                )
                version_rows.append(snapshot)
                audits.append(
                    _audit(aid, user_ids[k], "version.approve", "list_version", approved_at)
                )
        version_ids = _insert(ListVersion.__table__, versions, ListVersion.__table__.c.id)
        _publish(versions, version_ids, plans, agency_ids)
        frozen = []
        fields = (
            "activity_area", "process_name", "touchpoint_code", "touchpoint", "channel_kind",
            "client_kind", "client_needs", "interaction", "specifics", "organisation",
            "response_hours_mentions", "response_hours_requests", "max_transfers",
            "waiting_minutes", "extra",
        )  # fmt: skip
        for vid, v, snapshot in zip(version_ids, versions, version_rows, strict=True):
            for row_number, (eid, e) in enumerate(snapshot, start=1):
                frozen.append(
                    {
                        "agency_id": v["agency_id"],
                        "version_id": vid,
                        "entry_id": eid,
                        "row_number": row_number,
                        "subdivision_name": "",
                        **{f: e[f] for f in fields},
                    }
                )
        _insert(VersionEntry.__table__, frozen)
        _insert(AuditEvent.__table__, audits)
        db.session.commit()
    report.agencies = len(agency_ids)
    report.entries = len(entries)
    report.versions = len(versions)
    return report


def _profile(i: int, now: datetime) -> dict:
    """How far along agency ``i`` is: deterministic by its index, varied across the region."""
    state = i % 5
    # 0: approved and published after the last change (on time); 1: published, then changed a
    # few days ago (deadline running or just missed); 2: changed after the published version
    # (overdue); 3: never approved, quiet for months; 4: never approved, busy.
    days_since_change = [3 + i % 20, 2 + i % 8, 40 + i % 20, 150 + i % 20, 7 + i % 20][state]
    last_change = now - timedelta(days=days_since_change, hours=i % 9)
    approvals: list[datetime] = []
    if state in (0, 1, 2):
        approvals.append(now - timedelta(days=300 + (i * 13) % 120))
        if state == 0:
            approvals.append(last_change + timedelta(hours=2))
        elif state == 1:
            approvals.append(last_change - timedelta(days=5))
        else:
            approvals.append(now - timedelta(days=60 + i % 30))
    return {
        "state": state,
        "digital_bias": 0.3 + ((i * 37) % 55) / 100,
        "last_change": last_change,
        "approvals": approvals,
        "not_performed": 1 if i % 4 == 1 else 0,
        # Entries in the review path: many waiting for some, returned or drafts for others.
        "pending_share": [0.01, 0.02, 0.05, 0.12, 0.03][state],
        "returned_share": [0.0, 0.01, 0.02, 0.03, 0.08][state],
        "draft_share": [0.01, 0.02, 0.02, 0.05, 0.05][state],
    }


def _publish(versions: list[dict], version_ids: list[int], plans, agency_ids) -> None:
    """Record each agency's latest version as published two days after approval (seeds 5.4 /
    5.5), when the deadlines feature is installed; its deadlines then differ by agency."""
    try:
        from touchpoints.deadlines.models import Publication
    except ImportError:
        return
    latest: dict[int, tuple[int, dict]] = {}
    for vid, v in zip(version_ids, versions, strict=True):
        if v["agency_id"] not in latest or v["number"] > latest[v["agency_id"]][1]["number"]:
            latest[v["agency_id"]] = (vid, v)
    slugs = {aid: slug for aid, (_, slug, _k, _t) in zip(agency_ids, plans, strict=True)}
    _insert(
        Publication.__table__,
        [
            {
                "agency_id": v["agency_id"],
                "version_id": vid,
                "published_on": (v["approved_at"] + timedelta(days=2)).date(),
                "url": f"https://{slugs[v['agency_id']]}.example.org/perechen",
                "on_time": True,
                "recorded_by_id": v["approved_by_id"],
                "recorded_at": v["approved_at"] + timedelta(days=2),
            }
            for vid, v in latest.values()
        ],
    )


def _entry(aid, subs, user_id, form, areas, n, profile, rnd: random.Random, now) -> dict:
    area = areas[n % len(areas)]
    common = area.get("common", area["code"])
    processes = PROCESSES.get(common, PROCESSES["other"])
    process = processes[(n // len(areas)) % len(processes)]
    if n // (len(areas) * len(processes)):
        process = f"{process} ({n // (len(areas) * len(processes)) + 1})"
    touchpoints = form["touchpoints"]
    digital = [t for t in touchpoints if t["channel_kind"] == "digital"]
    offline = [t for t in touchpoints if t["channel_kind"] == "offline"]
    pool = (
        digital if (rnd.random() < profile["digital_bias"] and digital) or not offline else offline
    )
    tp = rnd.choice(pool)
    needs = [x["code"] for x in form["client_needs"]]
    chosen = rnd.sample(needs, k=min(len(needs), rnd.choice((1, 1, 2, 2, 3))))
    r = rnd.random()
    status = "included"
    if r < profile["pending_share"]:
        status = "submitted"
    elif r < profile["pending_share"] + profile["returned_share"]:
        status = "returned"
    elif r < profile["pending_share"] + profile["returned_share"] + profile["draft_share"]:
        status = "draft"
    span = max(1, (profile["last_change"] - (now - timedelta(days=520))).days)
    created = now - timedelta(days=520) + timedelta(days=rnd.randrange(span))
    reviewed = None
    if status == "included":
        reviewed = created + timedelta(hours=rnd.randrange(1, 72))
        if reviewed > profile["last_change"]:
            reviewed = profile["last_change"]
    if status == "included" and n == 0:
        reviewed = profile["last_change"]  # the agency's last change, exactly
    data = {
        "agency_id": aid,
        "subdivision_id": subs[n % len(subs)],
        "status": status,
        "kind": "new",
        "activity_area": area["code"],
        "process_name": process,
        "touchpoint_code": tp["code"],
        "touchpoint": tp["name"],
        "channel_kind": tp["channel_kind"],
        "client_kind": area.get("client_kind", "external"),
        "client_needs": chosen,
        "interaction": INTERACTIONS.get(tp.get("taxonomy", ""), "Взаимодействие с клиентом"),
        "specifics": "",
        "organisation": "",
        "response_hours_mentions": None,
        "response_hours_requests": None,
        "max_transfers": None,
        "waiting_minutes": None,
        "extra": {},
        "position": n + 1,
        "created_by_id": user_id,
        "submitted_by_id": user_id if status != "draft" else None,
        "reviewed_by_id": user_id if reviewed else None,
        "created_at": created,
        "updated_at": reviewed or created,
        "submitted_at": created if status != "draft" else None,
        "reviewed_at": reviewed,
        "review_comment": "Уточните удовлетворяемые потребности" if status == "returned" else None,
        "revision": 1,
    }
    for norm in tp.get("norms", []):
        data[norm] = NORMS[norm]
    return data


def _audit(aid, user_id, action, object_type, at, object_id=None) -> dict:
    return {
        "agency_id": aid,
        "at": at,
        "actor_id": user_id,
        "actor_label": "",
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "before": None,
        "after": None,
        "comment": "демонстрационные данные",
    }
