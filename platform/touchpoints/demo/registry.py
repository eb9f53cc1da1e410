"""The demo's registry of processes, shared touchpoints and touchpoint passports (issue 16).

Both seed agencies keep a registry of their services, functions and digital services
(Kuzbass 2.4, 2.6, 2.7, 3.1) with a few life situations (2.10); the rows of their demo lists name
those processes. Each region has shared touchpoints its office keeps (a multifunctional centre
«Мои документы», a regional hotline, the regional portal of services) that the lists reference.
About half of each agency's touchpoints have a passport: legal basis with a link (Murmansk
2.4-2.5, Kuzbass 3.6), what the four client groups are offered (Murmansk 2.10.4, Kuzbass 3.8
подп. 4), feedback, measured figures with their date.

Everything is written through the services (registry.services, registry.shared,
registry.passports), as a registrar and an office would. What the check then says of the demo,
and why, is in docs/registry.md («Demo data»).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Region
from touchpoints.lists.passports import SharedTouchpoint, touchpoint_key
from touchpoints.lists.processes import RegistryProcess, normalized
from touchpoints.registry import passports, services, shared

#: A plan's touchpoint code with this prefix names a shared touchpoint of the region (below).
SHARED = "@"

#: Region slug -> {key: (name, channel kind, description, norms its rows state)}.
SHARED_TOUCHPOINTS = {
    "murmansk": {
        "mfc": (
            "Многофункциональный центр «Мои документы» Мурманской области",
            "offline",
            "ГОБУ «МФЦ МО»: офисы в городских округах и муниципальных районах области; "
            "приём заявлений и выдача результатов по соглашениям с органами власти.",
            ["waiting_minutes"],
        ),
        "hotline": (
            "Единая горячая линия Правительства Мурманской области",
            "offline",
            "Телефон для вопросов жителей и гостей области по работе органов власти; "
            "операторы отвечают по базе знаний или переводят звонок в профильный орган.",
            ["max_transfers"],
        ),
        "rpgu": (
            "Региональный портал государственных и муниципальных услуг Мурманской области",
            "digital",
            "Подача заявлений в электронной форме и уведомления о ходе их рассмотрения.",
            [],
        ),
    },
    "kuzbass": {
        "mfc": (
            "Многофункциональный центр «Мои документы» Кузбасса",
            "offline",
            "ГАУ «УМФЦ Кузбасса»: офисы во всех муниципальных образованиях; приём заявлений "
            "и выдача результатов по соглашениям с органами власти.",
            ["waiting_minutes"],
        ),
        "112": (
            "Система обеспечения вызова экстренных оперативных служб по номеру «112» Кузбасса",
            "offline",
            "Круглосуточный приём сообщений о происшествиях и справки населению в период "
            "чрезвычайных ситуаций.",
            ["max_transfers"],
        ),
    },
}

# (registry number, kind, name, activity area, life situations). Names are those the demo
# lists (demo/data.py) give their rows; each process of the registry has rows (Kuzbass 3.5).
GUIDE = "Хочу работать экскурсоводом (гидом)"
BUSINESS = "Открытие и развитие туристского бизнеса"
REGISTRY = {
    "murmansk-tourism": [
        ("У-01", "service", "Аттестация экскурсоводов (гидов) и гидов-переводчиков", "services", [GUIDE]),
        ("У-02", "service", "Ведение реестра экскурсоводов (гидов) и гидов-переводчиков", "services", [GUIDE]),
        ("С-01", "digital_service", "Подача заявления на аттестацию экскурсоводов (гидов) в электронной форме", "services", [GUIDE]),
        ("У-03", "service", "Субсидии субъектам малого и среднего предпринимательства в сфере туризма", "support", [BUSINESS]),
        ("У-04", "service", "Гранты на развитие туристской инфраструктуры", "support", [BUSINESS]),
        ("Ф-01", "function", "Региональный контроль за соблюдением требований к классификации гостиниц", "control", []),
        ("Ф-02", "function", "Рассмотрение обращений граждан", "appeals", []),
        ("Ф-03", "function", "Рассмотрение запросов организаций туристской отрасли", "appeals", [BUSINESS]),
        ("Ф-04", "function", "Информация о туристских событиях и маршрутах региона", "information", ["Планирую путешествие по Мурманской области"]),
        ("Ф-05", "function", "Информация о деятельности Комитета", "information", []),
        ("Ф-06", "function", "Согласование служебных записок и проектов документов", "internal", []),
        ("Ф-07", "function", "Проведение совещаний", "internal", []),
        ("Ф-08", "function", "Техническая поддержка рабочих мест", "internal_it", []),
        ("С-02", "digital_service", "Доступ к информационным системам и сетевым ресурсам", "internal_it", []),
        ("У-05", "service", "Выдача справок о доходах и расчётных листков", "internal_accounting", []),
        ("Ф-09", "function", "Приём авансовых отчётов", "internal_accounting", []),
        ("Ф-10", "function", "Обеспечение расходными материалами и канцелярскими товарами", "internal_admin", []),
        ("Ф-11", "function", "Организация туристских форумов и выставок", "other", [BUSINESS]),
    ],
    # «Обучение и повышение квалификации сотрудников» is in the list but not yet in the
    # registry: the check warns about it (process_free_text), as it would in life.
    "kuzbass-emergencies": [
        ("1.1", "service", "Аттестация аварийно-спасательных служб и формирований", "services", ["Создание аварийно-спасательного формирования"]),
        ("2.1", "service", "Единовременная материальная помощь гражданам, пострадавшим в результате чрезвычайных ситуаций", "support", ["Пострадал от чрезвычайной ситуации", "Утрата жилья или имущества при паводке или пожаре"]),
        ("2.2", "digital_service", "Подача заявления о единовременной материальной помощи в электронной форме", "support", ["Пострадал от чрезвычайной ситуации"]),
        ("2.3", "service", "Поддержка добровольной пожарной охраны", "support", ["Хочу стать добровольным пожарным"]),
        ("3.1", "function", "Региональный государственный надзор в области защиты населения и территорий от чрезвычайных ситуаций", "control", []),
        ("4.1", "function", "Рассмотрение обращений граждан и организаций", "appeals", []),
        ("5.1", "function", "Информирование населения о чрезвычайных ситуациях и мерах безопасности", "information", ["Угроза паводка или лесного пожара"]),
        ("5.2", "function", "Информация о деятельности Департамента", "information", []),
        ("6.1", "function", "Кадровое обеспечение и прохождение гражданской службы", "internal", []),
        ("7.1", "function", "Обучение населения в области гражданской обороны", "other", ["Подготовка к действиям при чрезвычайных ситуациях"]),
    ],
}  # fmt: skip

PRAVO = "http://pravo.gov.ru/"
_SITE_OFFERS = {
    "disabled": "Версия сайта для слабовидящих, совместимость с экранным диктором (ГОСТ Р 52872-2019)",
    "elderly": "Крупный шрифт по кнопке в шапке сайта; телефон для справок на главной странице",
    "low_digital": "Памятки «как подать заявление» с картинками; консультация по телефону",
}
_MFC_OFFERS = {
    "disabled": "Пандус, кнопка вызова специалиста, выезд специалиста на дом по записи",
    "elderly": "Обслуживание без очереди для граждан старше 70 лет",
    "low_digital": "Специалист МФЦ заполняет заявление и подаёт его в электронной форме",
    "little_russian": "Сотрудники с английским языком в офисах областного центра",
}

# Agency slug -> {touchpoint (catalogue code or SHARED + key): passport}. Fields as
# registry.passports.save_passport takes them; "measured_days_ago" dates the figures.
PASSPORTS = {
    "murmansk-tourism": {
        "portal": {
            "basis_kind": "act",
            "basis_title": "Федеральный закон от 09.02.2009 № 8-ФЗ «Об обеспечении доступа к "
            "информации о деятельности государственных органов и органов местного самоуправления»",
            "basis_url": PRAVO,
            "accessibility": {
                **_SITE_OFFERS,
                "little_russian": "Англоязычный раздел для иностранных туристов",
            },
            "feedback": ["gosuslugi_widget"],
        },
        "phone": {
            "basis_kind": "act",
            "basis_title": "Положение о Комитете по туризму Мурманской области",
            "basis_url": "https://example.org/murmansk-tourism/docs/polozhenie",
            "accessibility": {
                "elderly": "Оператор диктует порядок и перечень документов, высылает их по почте",
                "low_digital": "Консультация и запись на личный приём по телефону",
            },
            "feedback": ["survey"],
            "feedback_note": "Короткий опрос после звонка раз в квартал",
            "measured_transfers": 1,
            "measured_days_ago": 40,
        },
        "personal": {
            "basis_kind": "act",
            "basis_title": "Административный регламент аттестации экскурсоводов (гидов) и "
            "гидов-переводчиков",
            "basis_url": "https://example.org/murmansk-tourism/docs/reglament-attestacii",
            "accessibility": {
                "disabled": "Приём на первом этаже, пандус у входа",
                "elderly": "Приём по предварительной записи без ожидания",
                "low_digital": "Документы принимаются на бумаге",
            },
            "feedback": ["survey"],
            "measured_waiting_minutes": 10,
            "measured_days_ago": 40,
        },
        # Answer time to mentions over the norm of 3.2.3 (4 hours): the check warns.
        "social": {
            "basis_kind": "instruction",
            "basis_title": "Поручение председателя Комитета о ведении официальных сообществ",
            "feedback": ["gosuslugi_widget"],
            "feedback_note": "Виджет ПОС закреплён в сообществе",
            "measured_mentions_hours": 5.5,
            "measured_requests_hours": 1.5,
            "measured_days_ago": 25,
        },
        # Nothing offered to the four groups here, and the e-mail has no passport: the
        # requests of tourism organisations (e-mail and messengers only) get no_alternative.
        "messengers": {
            "basis_kind": "instruction",
            "basis_title": "Поручение председателя Комитета о создании чата туроператоров",
            "measured_mentions_hours": 2,
            "measured_requests_hours": 1,
            "measured_days_ago": 25,
        },
        SHARED + "mfc": {
            "basis_kind": "contract",
            "basis_title": "Соглашение о взаимодействии между ГОБУ «МФЦ МО» и Комитетом по туризму "
            "Мурманской области",
            "basis_url": "https://example.org/murmansk-tourism/docs/soglashenie-mfc",
            "accessibility": _MFC_OFFERS,
            "feedback": ["gosuslugi_widget", "survey"],
            "feedback_note": "Терминал оценки качества в каждом офисе",
            "measured_waiting_minutes": 12,
            "measured_days_ago": 30,
        },
        SHARED + "rpgu": {
            "basis_kind": "act",
            "basis_title": "Федеральный закон от 27.07.2010 № 210-ФЗ «Об организации "
            "предоставления государственных и муниципальных услуг»",
            "basis_url": PRAVO,
            "accessibility": {
                **_SITE_OFFERS,
                "low_digital": "Подача того же заявления в МФЦ с помощью специалиста",
            },
            "feedback": ["gosuslugi_widget"],
        },
    },
    "kuzbass-emergencies": {
        "site": {
            "basis_kind": "act",
            "basis_title": "Федеральный закон от 09.02.2009 № 8-ФЗ «Об обеспечении доступа к "
            "информации о деятельности государственных органов и органов местного самоуправления»",
            "basis_url": PRAVO,
            "accessibility": _SITE_OFFERS,
            "feedback": ["gosuslugi_widget"],
        },
        "reception": {
            "basis_kind": "act",
            "basis_title": "Положение о Департаменте по чрезвычайным ситуациям Кузбасса",
            "basis_url": "https://example.org/kuzbass-emergencies/docs/polozhenie",
            "accessibility": {
                "disabled": "Приём на первом этаже, пандус и кнопка вызова у входа",
                "elderly": "Приём по предварительной записи по телефону",
                "low_digital": "Заявления принимаются на бумаге, специалист помогает заполнить",
                "little_russian": "Памятки о порядке обращения на английском и китайском языках",
            },
            "feedback": ["survey"],
            "measured_waiting_minutes": 9,
            "measured_days_ago": 35,
        },
        "phone": {
            "basis_kind": "act",
            "basis_title": "Положение о Департаменте по чрезвычайным ситуациям Кузбасса",
            "basis_url": "https://example.org/kuzbass-emergencies/docs/polozhenie",
            "accessibility": {
                "elderly": "Консультация с записью на приём",
                "low_digital": "Справки о ходе рассмотрения заявления по телефону",
            },
            "measured_transfers": 2,
            "measured_days_ago": 35,
        },
        "social": {
            "basis_kind": "instruction",
            "basis_title": "Поручение начальника Департамента о ведении официальных страниц",
            "feedback": ["gosuslugi_widget"],
            "measured_mentions_hours": 3,
            "measured_requests_hours": 1.5,
            "measured_days_ago": 20,
        },
        # The digital service's alternative, stated: the same application at the MFC.
        "personal_account": {
            "basis_kind": "act",
            "basis_title": "Порядок предоставления единовременной материальной помощи гражданам, "
            "пострадавшим в результате чрезвычайных ситуаций",
            "basis_url": "https://example.org/kuzbass-emergencies/docs/poryadok-pomoshchi",
            "accessibility": {
                "disabled": "Подача заявления представителем или в МФЦ с выездом специалиста",
                "elderly": "Подача заявления в МФЦ или через родственника по доверенности",
                "low_digital": "Подача того же заявления в МФЦ с помощью специалиста",
            },
            "feedback": ["gosuslugi_widget"],
        },
        # Waiting time over the norm of 4.2.7 ж (15 minutes) in the flood season: the check warns.
        SHARED + "mfc": {
            "basis_kind": "contract",
            "basis_title": "Соглашение о взаимодействии между ГАУ «УМФЦ Кузбасса» и Департаментом "
            "по чрезвычайным ситуациям Кузбасса",
            "basis_url": "https://example.org/kuzbass-emergencies/docs/soglashenie-mfc",
            "accessibility": _MFC_OFFERS,
            "feedback": ["gosuslugi_widget", "survey"],
            "measured_waiting_minutes": 22,
            "measured_days_ago": 45,
        },
        SHARED + "112": {
            "basis_kind": "act",
            "basis_title": "Постановление Правительства Кузбасса о системе обеспечения вызова "
            "экстренных оперативных служб по единому номеру «112»",
            "basis_url": PRAVO,
            "accessibility": {
                "disabled": "Приём SMS-сообщений для людей с нарушением слуха",
                "elderly": "Круглосуточно, без переключений на автоответчик",
                "little_russian": "Операторы принимают вызовы на английском языке",
            },
            "measured_transfers": 1,
            "measured_days_ago": 45,
        },
    },
}


def ensure_shared(region: Region, office: User) -> dict[str, SharedTouchpoint]:
    """The region's shared touchpoints, created by its office the first time."""
    existing = {normalized(t.name): t for t in SharedTouchpoint.of_region(region.id)}
    out = {}
    for key, (name, kind, description, _norms) in SHARED_TOUCHPOINTS.get(region.slug, {}).items():
        item = existing.get(normalized(name))
        if item is None:
            item = shared.create(
                region, office, {"name": name, "channel_kind": kind, "description": description}
            )
        out[key] = item
    return out


def ensure_registry(agency: Agency, registrar: User) -> dict[str, int]:
    """The agency's registry of processes, as its registrar keeps it; process ids by name key."""
    have = RegistryProcess.ids_by_key(agency.id)
    refs = services.working_refs(agency.id)  # read once: the list has no rows yet
    for code, kind, name, area, situations in REGISTRY.get(agency.slug, []):
        if normalized(name) in have:
            continue
        services.add_process(
            agency,
            registrar,
            {
                "code": code,
                "kind": kind,
                "name": name,
                "activity_area": area,
                "life_situations": situations,
            },
            refs=refs,
            bulk=True,
        )
    return RegistryProcess.ids_by_key(agency.id)


def fill_passports(
    agency: Agency, registrar: User, shared_items: dict[str, SharedTouchpoint], today: date
) -> int:
    """Passports of the agency's touchpoints named in PASSPORTS; how many were written."""
    count = 0
    for ref, values in PASSPORTS.get(agency.slug, {}).items():
        if ref.startswith(SHARED):
            key = touchpoint_key(None, shared_items[ref[len(SHARED) :]].id, None)
        else:
            key = touchpoint_key(ref, None, None)
        data = dict(values)
        days = data.pop("measured_days_ago", None)
        data["measured_on"] = today - timedelta(days=days) if days is not None else None
        passport = passports.open_passport(agency, registrar, key)
        passports.save_passport(passport, registrar, data, today)
        count += 1
    return count


def office_of(region: Region) -> User | None:
    return db.session.scalar(
        sa.select(User).where(User.region_id == region.id, User.role == "office").order_by(User.id)
    )
