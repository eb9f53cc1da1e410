"""Demo accounts and realistic lists for both seed agencies (issue 2, `flask demo load`).

Entries are built from the processes below and the touchpoints, areas and needs named in the
seeds; each agency gets one approved version and a few items waiting in the review path. The
registry of processes, the region's shared touchpoints the rows name and the touchpoint
passports come from demo/registry.py (docs/registry.md, «Demo data»).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.core.text import counted
from touchpoints.deadlines.compute import local_date
from touchpoints.demo import registry as demo_registry
from touchpoints.lists import approval
from touchpoints.lists import services as lists
from touchpoints.lists.models import Entry
from touchpoints.lists.processes import normalized
from touchpoints.tenants.sync import sync

DEMO_USERS = [
    ("admin@example.org", "Администратор платформы", Role.ADMIN, None, None, None),
    (
        "office@murmansk.example.org",
        "Проектный офис Мурманской области",
        Role.OFFICE,
        None,
        "murmansk",
        None,
    ),
    ("office@kuzbass.example.org", "Проектный офис Кузбасса", Role.OFFICE, None, "kuzbass", None),
    (
        "registrar@murmansk-tourism.example.org",
        "Иванова Мария Сергеевна",
        Role.REGISTRAR,
        "murmansk-tourism",
        None,
        None,
    ),
    (
        "editor@murmansk-tourism.example.org",
        "Петров Алексей Николаевич",
        Role.EDITOR,
        "murmansk-tourism",
        None,
        "tourism-dev",
    ),
    (
        "viewer@murmansk-tourism.example.org",
        "Смирнова Ольга Викторовна",
        Role.VIEWER,
        "murmansk-tourism",
        None,
        None,
    ),
    (
        "registrar@kuzbass-emergencies.example.org",
        "Кузнецов Дмитрий Игоревич",
        Role.REGISTRAR,
        "kuzbass-emergencies",
        None,
        None,
    ),
    (
        "editor@kuzbass-emergencies.example.org",
        "Соколова Анна Павловна",
        Role.EDITOR,
        "kuzbass-emergencies",
        None,
        "civil-defence",
    ),
    (
        "viewer@kuzbass-emergencies.example.org",
        "Морозов Игорь Васильевич",
        Role.VIEWER,
        "kuzbass-emergencies",
        None,
        None,
    ),
]

# (area, process, subdivision code, [(touchpoint code, needs, interaction, specifics)])
MURMANSK = [
    (
        "services",
        "Аттестация экскурсоводов (гидов) и гидов-переводчиков",
        "tourism-dev",
        [
            (
                "portal",
                ["info", "forms"],
                "Размещение порядка аттестации, перечня документов и форм заявлений",
                "Раздел «Аттестация гидов» на сайте",
            ),
            (
                "email",
                ["submit", "result"],
                "Приём заявлений и документов, направление уведомлений о результатах",
                "Подтверждение получения в течение 1 рабочего дня",
            ),
            (
                "phone",
                ["consultation", "info"],
                "Консультирование по порядку аттестации и ходу рассмотрения",
                "Не более двух переключений",
            ),
            (
                "personal",
                ["submit", "inspection", "result"],
                "Приём документов и проведение аттестационного испытания",
                "По предварительной записи",
            ),
            (
                "@mfc",
                ["submit", "result"],
                "Приём заявлений об аттестации и выдача удостоверений",
                "В офисах МФЦ в городских округах области",
            ),
        ],
    ),
    (
        "services",
        "Подача заявления на аттестацию экскурсоводов (гидов) в электронной форме",
        "tourism-dev",
        [
            (
                "@rpgu",
                ["submit", "info", "result"],
                "Заявление с электронными копиями документов, уведомления о ходе аттестации",
                "Уведомления в личный кабинет заявителя",
            ),
        ],
    ),
    (
        "services",
        "Ведение реестра экскурсоводов (гидов) и гидов-переводчиков",
        "tourism-dev",
        [
            (
                "portal",
                ["info"],
                "Публикация сведений реестра",
                "Обновляется по мере внесения изменений",
            ),
            ("email", ["submit", "result"], "Приём заявлений о внесении изменений в реестр", ""),
        ],
    ),
    (
        "support",
        "Субсидии субъектам малого и среднего предпринимательства в сфере туризма",
        "support",
        [
            ("portal", ["info", "forms"], "Объявление об отборе, порядок и формы документов", ""),
            (
                "edms",
                ["submit", "status"],
                "Приём заявок и информирование о ходе рассмотрения",
                "Через систему электронного документооборота",
            ),
            (
                "phone",
                ["consultation"],
                "Консультирование заявителей",
                "Не более двух переключений",
            ),
            (
                "social",
                ["info", "feedback"],
                "Анонсы отборов и ответы на вопросы",
                "Ответ на упоминание до 4 ч, на обращение до 2 ч",
            ),
        ],
    ),
    (
        "support",
        "Гранты на развитие туристской инфраструктуры",
        "support",
        [
            ("portal", ["info", "forms", "result"], "Публикация условий конкурса и его итогов", ""),
            (
                "personal",
                ["consultation", "submit"],
                "Консультации и приём заявок на бумаге",
                "Время ожидания не более 15 минут",
            ),
        ],
    ),
    (
        "control",
        "Региональный контроль за соблюдением требований к классификации гостиниц",
        "legal",
        [
            ("portal", ["info"], "Размещение программы профилактики и проверочных листов", ""),
            (
                "email",
                ["inspection", "result"],
                "Направление предписаний и получение отчётов об устранении нарушений",
                "",
            ),
        ],
    ),
    (
        "appeals",
        "Рассмотрение обращений граждан",
        "legal",
        [
            (
                "portal",
                ["submit", "status"],
                "Интернет-приёмная: подача обращения и отслеживание его статуса",
                "",
            ),
            (
                "email",
                ["submit", "result"],
                "Приём обращений и направление ответов",
                "Ответ в срок не более 30 дней",
            ),
            (
                "phone",
                ["consultation", "status"],
                "Справки о ходе рассмотрения обращений",
                "Не более двух переключений",
            ),
            (
                "personal",
                ["submit", "consultation"],
                "Личный приём председателем Комитета",
                "По графику личного приёма",
            ),
            (
                "@hotline",
                ["consultation", "submit"],
                "Приём вопросов о туризме; перевод звонка в Комитет",
                "Вопросы, на которые нет ответа в базе знаний, передаются в Комитет",
            ),
        ],
    ),
    (
        "appeals",
        "Рассмотрение запросов организаций туристской отрасли",
        "tourism-dev",
        [
            ("email", ["submit", "result"], "Приём запросов и направление ответов", ""),
            (
                "messengers",
                ["consultation", "feedback"],
                "Чат туроператоров Мурманской области",
                "Ответ на упоминание до 4 ч, на обращение до 2 ч",
            ),
        ],
    ),
    (
        "information",
        "Информация о туристских событиях и маршрутах региона",
        "tourism-dev",
        [
            ("portal", ["info"], "Новости, календарь событий, туристские маршруты", ""),
            (
                "social",
                ["info", "feedback", "feedback_result"],
                "Публикации и ответы на комментарии",
                "Ответ на упоминание до 4 ч, на комментарий до 2 ч",
            ),
            ("messengers", ["info"], "Канал Комитета в мессенджере", ""),
            ("internet", ["info"], "Туристский портал региона", ""),
        ],
    ),
    (
        "information",
        "Информация о деятельности Комитета",
        "legal",
        [
            ("portal", ["info", "forms"], "Нормативные акты, планы, отчёты, открытые данные", ""),
        ],
    ),
    (
        "internal",
        "Согласование служебных записок и проектов документов",
        "legal",
        [
            ("edms", ["submit", "status", "result"], "Согласование и подписание документов", ""),
            ("memo_book", ["submit"], "Регистрация служебных записок на бумаге", ""),
        ],
    ),
    (
        "internal",
        "Проведение совещаний",
        "legal",
        [
            ("vks", ["info", "consultation"], "Совещания по видеоконференцсвязи", ""),
            ("offices", ["consultation"], "Очные совещания в кабинетах", ""),
        ],
    ),
    (
        "internal_it",
        "Техническая поддержка рабочих мест",
        "it",
        [
            (
                "tickets",
                ["submit", "status", "result"],
                "Приём и исполнение заявок на обслуживание",
                "",
            ),
            (
                "it_desk",
                ["consultation", "result"],
                "Приём сотрудниками отдела связи и информатизации",
                "Время ожидания не более 15 минут",
            ),
            (
                "request_log",
                ["submit"],
                "Регистрация заявок в журнале при недоступности системы",
                "",
            ),
            (
                "phone",
                ["consultation"],
                "Телефон отдела связи и информатизации",
                "Не более двух переключений",
            ),
        ],
    ),
    (
        "internal_it",
        "Доступ к информационным системам и сетевым ресурсам",
        "it",
        [
            ("arm", ["result"], "Настройка АРМ государственного служащего", ""),
            ("netdrive", ["info", "forms"], "Сетевой диск с шаблонами документов", ""),
        ],
    ),
    (
        "internal_accounting",
        "Выдача справок о доходах и расчётных листков",
        "accounting",
        [
            ("email", ["submit", "result"], "Запрос и получение справок", ""),
            ("offices", ["consultation", "result"], "Консультации в бухгалтерии", ""),
        ],
    ),
    (
        "internal_accounting",
        "Приём авансовых отчётов",
        "accounting",
        [
            ("edms", ["submit", "result"], "Представление авансовых отчётов", ""),
        ],
    ),
    (
        "internal_admin",
        "Обеспечение расходными материалами и канцелярскими товарами",
        "legal",
        [
            ("tickets", ["submit", "status"], "Заявки на обеспечение", ""),
            ("workplace", ["result"], "Доставка материалов на рабочее место", ""),
        ],
    ),
    (
        "other",
        "Организация туристских форумов и выставок",
        "tourism-dev",
        [
            ("portal", ["info", "submit"], "Регистрация участников", ""),
            ("email", ["consultation"], "Переписка с участниками", ""),
        ],
    ),
]

KUZBASS = [
    (
        "services",
        "Аттестация аварийно-спасательных служб и формирований",
        "prevention",
        [
            ("site", ["info", "forms"], "Размещение порядка аттестации и форм заявлений", ""),
            (
                "email",
                ["submit", "status", "result"],
                "Приём заявлений и информирование о ходе аттестации",
                "",
            ),
            (
                "reception",
                ["submit", "inspection"],
                "Приём документов и проверка готовности формирования",
                "Время ожидания не более 15 минут",
            ),
        ],
    ),
    (
        "support",
        "Единовременная материальная помощь гражданам, пострадавшим в результате чрезвычайных ситуаций",
        "civil-defence",
        [
            ("site", ["info", "forms"], "Порядок и перечень документов для получения помощи", ""),
            (
                "@mfc",
                ["submit", "result"],
                "Приём заявлений в многофункциональных центрах",
                "Время ожидания не более 15 минут",
            ),
            (
                "phone",
                ["consultation", "status"],
                "Консультации и справки о ходе рассмотрения",
                "Не более двух переключений",
            ),
        ],
    ),
    (
        "support",
        "Подача заявления о единовременной материальной помощи в электронной форме",
        "civil-defence",
        [
            (
                "personal_account",
                ["submit", "status", "result"],
                "Подача заявления и отслеживание статуса в личном кабинете",
                "",
            ),
        ],
    ),
    (
        "support",
        "Поддержка добровольной пожарной охраны",
        "civil-defence",
        [
            ("site", ["info"], "Информация о мерах поддержки добровольцев", ""),
            ("letter", ["submit", "result"], "Приём заявок общественных объединений", ""),
        ],
    ),
    (
        "control",
        "Региональный государственный надзор в области защиты населения и территорий от чрезвычайных ситуаций",
        "supervision",
        [
            ("site", ["info", "forms"], "Программа профилактики, проверочные листы, доклады", ""),
            (
                "email",
                ["inspection", "result"],
                "Направление предписаний и приём отчётов об их исполнении",
                "",
            ),
            (
                "reception",
                ["consultation"],
                "Профилактические консультирования",
                "Время ожидания не более 15 минут",
            ),
        ],
    ),
    (
        "appeals",
        "Рассмотрение обращений граждан и организаций",
        "staff",
        [
            ("site", ["submit", "status"], "Интернет-приёмная Департамента", ""),
            (
                "email",
                ["submit", "result"],
                "Приём обращений по электронной почте и направление ответов",
                "",
            ),
            ("letter", ["submit", "result"], "Приём письменных обращений", ""),
            (
                "reception",
                ["submit", "consultation"],
                "Личный приём начальником Департамента",
                "По графику личного приёма",
            ),
            (
                "phone",
                ["consultation", "status"],
                "Справочный телефон",
                "Не более двух переключений",
            ),
        ],
    ),
    (
        "information",
        "Информирование населения о чрезвычайных ситуациях и мерах безопасности",
        "information",
        [
            ("site", ["info"], "Оперативная информация и памятки", ""),
            (
                "social",
                ["info", "feedback", "feedback_result"],
                "Официальные страницы Департамента",
                "Ответ на упоминание до 4 ч, на обращение до 2 ч",
            ),
            (
                "public_chats",
                ["info", "consultation"],
                "Публичные чаты муниципалитетов",
                "Ответ на упоминание до 4 ч, на обращение до 2 ч",
            ),
            ("chatbot", ["info", "status"], "Чат-бот оповещения о ЧС", ""),
            ("mobile_app", ["info"], "Мобильное приложение «Безопасный Кузбасс»", ""),
            (
                "@112",
                ["info", "consultation"],
                "Справки населению о мерах безопасности в период чрезвычайной ситуации",
                "Круглосуточно",
            ),
        ],
    ),
    (
        "information",
        "Информация о деятельности Департамента",
        "information",
        [
            ("site", ["info", "forms"], "Нормативные акты, планы и отчёты", ""),
            ("subordinate_sites", ["info"], "Сайты подведомственных учреждений", ""),
        ],
    ),
    (
        "internal",
        "Кадровое обеспечение и прохождение гражданской службы",
        "staff",
        [
            ("email", ["submit", "result"], "Запросы справок и копий документов", ""),
            ("reception", ["consultation", "submit"], "Приём в отделе кадров", ""),
            ("personal_chats", ["consultation"], "Чат сотрудников Департамента", ""),
        ],
    ),
    (
        "internal",
        "Обучение и повышение квалификации сотрудников",
        "staff",
        [
            ("site", ["info"], "План обучения и материалы", ""),
            ("email", ["submit", "result"], "Заявки на обучение", ""),
        ],
    ),
    (
        "other",
        "Обучение населения в области гражданской обороны",
        "civil-defence",
        [
            ("site", ["info", "forms"], "Учебные материалы и расписание занятий", ""),
            ("reception", ["consultation"], "Занятия в учебно-методическом центре", ""),
        ],
    ),
]

NORMS = {
    "response_hours_mentions": 4,
    "response_hours_requests": 2,
    "max_transfers": 2,
    "waiting_minutes": 15,
}


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _ensure_users() -> list[str]:
    created = []
    regions = {r.slug: r for r in db.session.scalars(sa.select(Region))}
    agencies = {a.slug: a for a in db.session.scalars(sa.select(Agency))}
    for email, name, role, agency_slug, region_slug, sub_code in DEMO_USERS:
        if _user(email):
            continue
        agency = agencies.get(agency_slug)
        sub = None
        if sub_code:
            sub = db.session.scalar(
                sa.select(Subdivision).where(
                    Subdivision.agency_id == agency.id, Subdivision.code == sub_code
                )
            )
        db.session.add(
            User(
                email=email,
                name=name,
                role=role.value,
                agency_id=agency.id if agency else None,
                region_id=regions[region_slug].id if region_slug else None,
                subdivision_id=sub.id if sub else None,
                is_demo=True,
            )
        )
        created.append(email)
    db.session.flush()
    return created


def _entry_data(agency: Agency, area: str, process: str, sub: Subdivision, tp: tuple, refs) -> dict:
    """A row of the plan; ``refs``: (registry process ids by name key, shared touchpoints by
    the plan's key). A process of the registry is named by its id (docs/registry.md)."""
    code, needs, interaction, specifics = tp
    process_ids, shared = refs
    area_def = next(a for a in agency.form["activity_areas"] if a["code"] == area)
    data = {
        "activity_area": area,
        "process_name": process,
        "process_id": process_ids.get(normalized(process)),
        "client_kind": area_def.get("client_kind", "external"),
        "client_needs": needs,
        "interaction": interaction,
        "specifics": specifics,
        "subdivision_id": sub.id,
    }
    if code.startswith(demo_registry.SHARED):
        key = code[len(demo_registry.SHARED) :]
        item = shared[key]
        data |= {
            "shared_touchpoint_id": item.id,
            "touchpoint_code": None,
            "touchpoint": item.name,
            "channel_kind": item.channel_kind,
        }
        norms = demo_registry.SHARED_TOUCHPOINTS[agency.region.slug][key][3]
    else:
        item = next(t for t in agency.form["touchpoints"] if t["code"] == code)
        data |= {
            "touchpoint_code": code,
            "touchpoint": item["name"],
            "channel_kind": item["channel_kind"],
        }
        norms = item.get("norms", [])
    for norm in norms:
        data[norm] = NORMS[norm]
    return data


def _fill(agency: Agency, plan: list, registrar: User, refs) -> int:
    subs = {
        s.code: s
        for s in db.session.scalars(
            sa.select(Subdivision).where(Subdivision.agency_id == agency.id)
        )
    }
    count = 0
    for area, process, sub_code, touchpoints in plan:
        for tp in touchpoints:
            entry = lists.create_entry(
                agency, registrar, _entry_data(agency, area, process, subs[sub_code], tp, refs)
            )
            entry.status = "included"
            entry.submitted_by_id = registrar.id
            count += 1
    db.session.flush()
    return count


def _pending(agency: Agency, registrar: User, editor: User) -> None:
    """A few items in flight so that every review screen shows something."""
    sub = editor.subdivision
    form = agency.form
    area = form["activity_areas"][0]["code"]
    site = form["touchpoints"][0]
    submitted = lists.create_entry(
        agency,
        editor,
        {
            "activity_area": area,
            "process_name": "Консультирование по вопросам предоставления услуг",
            "touchpoint_code": site["code"],
            "touchpoint": site["name"],
            "client_needs": ["consultation"],
            "interaction": "Онлайн-консультация через форму обратной связи",
            "subdivision_id": sub.id,
        },
    )
    lists.submit(submitted, editor)
    returned = lists.create_entry(
        agency,
        editor,
        {
            "activity_area": area,
            "process_name": "Запись на приём",
            "touchpoint": "Электронная очередь",
            "channel_kind": "digital",
            "client_needs": [],
            "interaction": "Запись на удобное время",
            "subdivision_id": sub.id,
        },
    )
    lists.submit(returned, editor)
    lists.return_entry(
        returned, registrar, "Укажите удовлетворяемые потребности клиента (п. 2.6 / 3.7 Порядка)."
    )
    lists.create_entry(
        agency,
        editor,
        {
            "activity_area": area,
            "process_name": "Информирование о ходе рассмотрения",
            "touchpoint": site["name"],
            "touchpoint_code": site["code"],
            "client_needs": ["status"],
            "interaction": "Черновик: уточняется",
            "subdivision_id": sub.id,
        },
    )
    target = db.session.scalar(
        sa.select(Entry)
        .where(
            Entry.agency_id == agency.id, Entry.status == "included", Entry.subdivision_id == sub.id
        )
        .order_by(Entry.id)
    )
    if target is not None:
        change = lists.propose_change(
            target,
            editor,
            {"specifics": (target.specifics + "; ответ в течение рабочего дня").strip("; ")},
        )
        lists.submit(change, editor)


def load_demo() -> list[str]:
    out = []
    report = sync(current_app.config["TENANTS_DIR"])
    out.append(f"Определения: создано {len(report.created)}, обновлено {len(report.updated)}.")
    with scoped(SYSTEM_SCOPE):
        created = _ensure_users()
        out.append(f"Демонстрационные учётные записи: добавлено {len(created)} (пароль demo).")
        for slug, plan, order in (
            ("murmansk-tourism", MURMANSK, ("34", date(2024, 3, 15))),
            ("kuzbass-emergencies", KUZBASS, ("141", date(2024, 1, 22))),
        ):
            agency = db.session.scalar(sa.select(Agency).where(Agency.slug == slug))
            has_entries = db.session.scalar(
                sa.select(sa.func.count()).where(Entry.agency_id == agency.id)
            )
            if has_entries:
                out.append(f"{agency.short_name}: данные уже загружены.")
                continue
            registrar = _user(f"registrar@{slug}.example.org")
            editor = _user(f"editor@{slug}.example.org")
            # The region's shared touchpoints and the agency's registry come first: the list
            # is formed «с учетом» of the registry (Kuzbass 3.1) and its rows name them.
            shared = demo_registry.ensure_shared(
                agency.region, demo_registry.office_of(agency.region)
            )
            process_ids = demo_registry.ensure_registry(agency, registrar)
            n = _fill(agency, plan, registrar, (process_ids, shared))
            version = approval.approve_version(
                agency, registrar, order_number=order[0], order_date=order[1]
            )
            today = local_date(utcnow(), agency.region.tz)
            passports = demo_registry.fill_passports(agency, registrar, shared, today)
            _pending(agency, registrar, editor)
            out.append(
                f"{agency.short_name}: {counted(n, 'строка', 'строки', 'строк')}, утверждена редакция № {version.number}; "
                f"в реестре процессов {len(process_ids)}, паспортов точек {passports}."
            )
        db.session.commit()
    return out
