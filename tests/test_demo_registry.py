"""The demo's registry of processes, shared touchpoints and passports (issue 16, docs/registry.md
«Demo data»): the rows name the registry and the region's shared touchpoints by id, about half
of the touchpoints have a passport, the check shows no error and exactly the warnings the demo
means, and the pages show it all."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.demo.registry import PASSPORTS, REGISTRY, SHARED_TOUCHPOINTS
from touchpoints.lists.compliance import check
from touchpoints.lists.models import Entry
from touchpoints.lists.passports import SharedTouchpoint, TouchpointPassport
from touchpoints.lists.processes import RegistryProcess, normalized
from touchpoints.registry.passports import touchpoints_of

MURMANSK, KUZBASS = "murmansk-tourism", "kuzbass-emergencies"


def _agency(slug: str) -> Agency:
    return db.session.scalar(sa.select(Agency).where(Agency.slug == slug))


def test_rows_name_the_registry_and_the_shared_touchpoints(demo_app):
    with demo_app.app_context(), scoped(SYSTEM_SCOPE):
        for slug in (MURMANSK, KUZBASS):
            agency = _agency(slug)
            processes = {p.name_key: p for p in RegistryProcess.active_of(agency.id)}
            assert len(processes) == len(REGISTRY[slug])
            assert {p.kind for p in processes.values()} == {
                "service",
                "function",
                "digital_service",
            }
            assert any(p.life_situations for p in processes.values())
            rows = Entry.working(agency.id)
            for row in rows:
                process = processes.get(normalized(row.process_name))
                # A row about a registry process names it by id; any other stays free text.
                assert row.process_id == (process.id if process else None), row.process_name
            # Every process of the registry has rows (Kuzbass 3.5).
            assert {r.process_id for r in rows} - {None} == {p.id for p in processes.values()}

            shared = SharedTouchpoint.of_region(agency.region_id)
            assert {s.name for s in shared} == {
                v[0] for v in SHARED_TOUCHPOINTS[agency.region.slug].values()
            }
            used = Counter(r.shared_touchpoint_id for r in rows if r.shared_touchpoint_id)
            assert set(used) == {s.id for s in shared}
            for row in rows:
                if row.shared_touchpoint_id:
                    item = db.session.get(SharedTouchpoint, row.shared_touchpoint_id)
                    assert (row.touchpoint, row.touchpoint_code) == (item.name, None)

            # A realistic share of passports: some touchpoints have one, some do not yet.
            touchpoints = touchpoints_of(agency)
            with_passport = [t for t in touchpoints if t.passport is not None]
            assert len(with_passport) == len(PASSPORTS[slug])
            assert 0.3 < len(with_passport) / len(touchpoints) < 0.7
            for t in with_passport:
                assert t.rows > 0, t.name  # each passport is of a touchpoint the list uses
                assert t.passport.basis_kind and t.passport.basis_title
                measured = t.passport.measured_on
                assert (measured is None) == (
                    all(getattr(t.passport, f) is None for f in ("measured_transfers",
                        "measured_waiting_minutes", "measured_mentions_hours",
                        "measured_requests_hours"))
                )  # fmt: skip
            offers = Counter(k for t in with_passport for k in t.passport.offers)
            assert set(offers) == {"disabled", "elderly", "low_digital", "little_russian"}


def test_the_check_shows_no_error_and_the_warnings_the_demo_means(demo_app):
    expected = {
        MURMANSK: {("no_alternative", "Рассмотрение запросов организаций туристской отрасли"): 1,
                   ("measured_norm", "Сообщества Комитета в социальных сетях"): 1},
        KUZBASS: {("measured_norm", "Многофункциональный центр «Мои документы» Кузбасса"): 1,
                  ("process_free_text", "Обучение и повышение квалификации сотрудников"): 2},
    }  # fmt: skip
    with demo_app.app_context(), scoped(SYSTEM_SCOPE):
        for slug, wanted in expected.items():
            report = check(_agency(slug))
            assert report.errors == []
            found = Counter()
            for finding in report.warnings:
                named = [name for rule, name in wanted if rule == finding.rule]
                match = [name for name in named if name in finding.message]
                assert match, f"{slug}: unexpected {finding.rule}: {finding.message}"
                found[(finding.rule, match[0])] += 1
            assert dict(found) == wanted


def test_the_pages_show_the_registry_the_passports_and_the_shared_touchpoints(demo_app):
    client = demo_app.test_client()

    def sign_in(email):
        client.post("/logout")
        response = client.post("/login", data={"email": email, "password": "demo"})
        assert response.status_code == 302

    sign_in(f"registrar@{KUZBASS}.example.org")
    page = client.get("/registry/").get_data(as_text=True)
    assert "Поддержка добровольной пожарной охраны" in page and "Хочу стать добровольным" in page
    assert "Услуги, функции и сервисы Департамента по чрезвычайным ситуациям Кузбасса" in page
    assert "Перечень требует актуализации" not in client.get("/list/").get_data(as_text=True)
    page = client.get("/registry/passports/").get_data(as_text=True)
    assert "Многофункциональный центр «Мои документы» Кузбасса" in page
    assert "Заполнить паспорт" in page  # some touchpoints have none yet
    with demo_app.app_context(), scoped(SYSTEM_SCOPE):
        agency = _agency(KUZBASS)
        mfc = db.session.scalar(
            sa.select(TouchpointPassport).where(
                TouchpointPassport.agency_id == agency.id,
                TouchpointPassport.touchpoint_name.like("Многофункциональный%"),
            )
        )
        shared_id = int(mfc.touchpoint_key.split(":")[1])
    page = client.get(f"/registry/passports/{mfc.id}").get_data(as_text=True)
    assert "Соглашение о взаимодействии" in page and 'value="22"' in page

    sign_in("office@kuzbass.example.org")
    page = client.get("/registry/shared/").get_data(as_text=True)
    assert "Система обеспечения вызова экстренных оперативных служб" in page
    page = client.get(f"/registry/shared/{shared_id}").get_data(as_text=True)
    assert "Какие органы её используют" in page and "Департамент по ЧС" in page
    sign_in("office@murmansk.example.org")
    page = client.get("/registry/shared/").get_data(as_text=True)
    assert "Единая горячая линия Правительства Мурманской области" in page
    assert "Кузбасса" not in page
