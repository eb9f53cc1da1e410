"""The registry of processes (Kuzbass 3.1, 3.5, 5.3 подп. 1, 5.5): each rule with a list that
breaks it and one that satisfies it, the «требует актуализации» mark and the publication clock,
the XLSX import (a good file, a broken one that writes nothing), the pages and the quarterly
indicator."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import add_included, agency_id_of, data, form_post, in_agency
from registry_support import add_process, xlsx

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.calendar.services import calendars_for_regions
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines.models import Deadline
from touchpoints.lists.compliance import check
from touchpoints.lists.models import Entry
from touchpoints.lists.processes import RegistryChange, RegistryProcess
from touchpoints.registry import services

KUZBASS = "kuzbass-emergencies"


@pytest.fixture
def kuz(seeded, make_user):
    aid = agency_id_of(seeded, KUZBASS)
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(seeded, aid) as agency:
        form = agency.form
    return seeded, aid, user, form


def findings(app, aid, rule):
    with in_agency(app, aid) as agency:
        return [f for f in check(agency).findings if f.rule == rule]


def test_every_registry_process_has_touchpoints(kuz):
    # Kuzbass 3.5: for every function, service and digital service the touchpoints are defined.
    app, aid, user, form = kuz
    covered = add_process(app, aid, user, "Выдача справок о пожарах")
    bare = add_process(app, aid, user, "Аттестация спасателей", kind="function")
    add_included(
        app, aid, user, [data(form, process="Выдача справок о пожарах", process_id=covered)]
    )
    found = findings(app, aid, "process_uncovered")
    assert len(found) == 1
    assert "Аттестация спасателей" in found[0].message and found[0].message.startswith("Функция")
    assert found[0].level == "error" and found[0].clause == "п. 3.5 Порядка"
    # The list that satisfies it: a row about the second process too (named by its id).
    add_included(app, aid, user, [data(form, process="Аттестация спасателей", process_id=bare)])
    assert findings(app, aid, "process_uncovered") == []


def test_typed_process_is_allowed_with_a_warning(kuz):
    app, aid, user, form = kuz
    pid = add_process(app, aid, user, "Приём сообщений о происшествиях")
    typed, _chosen = add_included(
        app,
        aid,
        user,
        [
            data(form, process="Приём  сообщений о ПРОИСШЕСТВИЯХ"),
            data(form, process="Приём сообщений о происшествиях", process_id=pid, code=None),
        ],
    )
    found = findings(app, aid, "process_free_text")
    assert [f.entry_id for f in found] == [typed]
    assert found[0].level == "warning" and "выберите его из реестра" in found[0].message
    assert found[0].clause == "п. 3.1 Порядка"
    # A typed name still counts as covering the process (no error for it).
    assert findings(app, aid, "process_uncovered") == []


def test_no_warning_without_a_registry(kuz):
    app, aid, user, form = kuz
    add_included(app, aid, user, [data(form, process="Свой процесс")])
    assert findings(app, aid, "process_free_text") == []


def test_rows_about_an_archived_process_are_errors(kuz):
    app, aid, user, form = kuz
    pid = add_process(app, aid, user, "Старая услуга")
    (row,) = add_included(app, aid, user, [data(form, process="Старая услуга", process_id=pid)])
    with in_agency(app, aid):
        calls = services.archive_process(
            db.session.get(RegistryProcess, pid), db.session.get(User, user), "Отменена"
        )
        db.session.commit()
    assert calls is True  # the list still names it: it must be updated (5.3 подп. 1)
    found = findings(app, aid, "process_archived")
    assert [f.entry_id for f in found] == [row] and found[0].clause == "п. 5.3 подп. 1 Порядка"
    with in_agency(app, aid):
        entry = db.session.get(Entry, row)
        entry.process_id = None
        entry.process_name = "Новая услуга"
        db.session.commit()
    assert findings(app, aid, "process_archived") == []


def _open_publication(app, aid):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalars(
            sa.select(Deadline).where(
                Deadline.agency_id == aid, Deadline.kind == "publication", Deadline.status == "open"
            )
        ).all()


def test_a_new_process_marks_the_list_and_starts_the_clock(kuz, client):
    # Kuzbass 5.3 подп. 1 and 5.5: the list «требует актуализации», 10 working days to publish.
    app, aid, user, _form = kuz
    assert _open_publication(app, aid) == []
    add_process(app, aid, user, "Новый сервис оповещения", kind="digital_service")
    (deadline,) = _open_publication(app, aid)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        change = db.session.scalars(
            sa.select(RegistryChange).where(RegistryChange.agency_id == aid)
        ).one()
        assert change.change == "added" and change.calls_for_update
        region = db.session.get(Agency, aid).region
        cal = calendars_for_regions([region.id])[region.id]
        assert deadline.started_at == change.occurred_at
        assert deadline.started_on == change.occurred_at.astimezone(region.tz).date()
        assert cal.working_days_between(deadline.started_on, deadline.due_on) == 10
    login(client, app, user)
    page = client.get("/list/").get_data(as_text=True)
    assert "Перечень требует актуализации" in page and "Новый сервис оповещения" in page


def test_a_process_the_list_already_covers_calls_for_nothing(kuz, client):
    app, aid, user, form = kuz
    add_included(app, aid, user, [data(form, process="Консультирование граждан")])
    add_process(app, aid, user, "консультирование  граждан")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        change = db.session.scalars(
            sa.select(RegistryChange).where(RegistryChange.agency_id == aid)
        ).one()
        assert change.calls_for_update is False
    login(client, app, user)
    assert "Перечень требует актуализации" not in client.get("/list/").get_data(as_text=True)


def test_included_and_excluded_before_the_list_followed_cancels_out(kuz):
    app, aid, user, _form = kuz
    pid = add_process(app, aid, user, "Ошибочно внесённая услуга")
    with in_agency(app, aid):
        calls = services.archive_process(
            db.session.get(RegistryProcess, pid), db.session.get(User, user), "Внесена по ошибке"
        )
        db.session.commit()
        assert calls is False
        assert RegistryChange.pending(aid, None) == []
    assert _open_publication(app, aid) == []


def test_duplicate_names_refused(kuz):
    app, aid, user, _form = kuz
    add_process(app, aid, user, "Услуга А")
    with in_agency(app, aid) as agency, pytest.raises(services.RegistryError, match="уже есть"):
        services.add_process(
            agency, db.session.get(User, user), {"name": "услуга  а", "kind": "service"}
        )


def bomb() -> bytes:
    """A workbook whose sheet inflates a thousandfold: refused before it is inflated."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b" " * 5_000_000)
    return out.getvalue()


GOOD = [
    ["Реестр процессов департамента"],
    [],
    [
        "№ п/п",
        "Вид",
        "Наименование услуги (функции, сервиса)",
        "Номер в реестре",
        "Жизненные ситуации",
    ],
    [
        1,
        "Государственная услуга",
        "Выдача заключений о пожарной безопасности",
        "У-1",
        "Открытие бизнеса",
    ],
    [2, "Функция", "Контроль за готовностью к паводку", "Ф-7", ""],
    [
        3,
        "Цифровой сервис",
        "Оповещение о ЧС в мобильном приложении",
        "",
        "Чрезвычайная ситуация; Паводок",
    ],
]


def _count(app, aid):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RegistryProcess)
            .where(RegistryProcess.agency_id == aid)
        )


def test_xlsx_import_preview_then_confirm(kuz, client):
    app, aid, user, _form = kuz
    add_process(app, aid, user, "Контроль за готовностью к паводку", kind="function")
    login(client, app, user)
    response = client.post(
        "/registry/import", data={"file": (__import__("io").BytesIO(xlsx(GOOD)), "реестр.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert _count(app, aid) == 1  # the preview writes nothing
    # Two new processes, one that changes (it gains its number), none the same.
    assert "<b>2</b>будет добавлено" in page and "<b>1</b>будет изменено" in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/registry/import/confirm", data={"token": token})
    assert response.status_code == 302
    with app.app_context(), scoped(SYSTEM_SCOPE):
        rows = {
            p.name: p
            for p in db.session.scalars(
                sa.select(RegistryProcess).where(RegistryProcess.agency_id == aid)
            )
        }
    assert set(rows) == {r[2] for r in GOOD[3:]}
    assert rows["Оповещение о ЧС в мобильном приложении"].kind == "digital_service"
    assert rows["Оповещение о ЧС в мобильном приложении"].life_situations == [
        "Чрезвычайная ситуация",
        "Паводок",
    ]
    assert rows["Контроль за готовностью к паводку"].code == "Ф-7"
    assert rows["Выдача заключений о пожарной безопасности"].kind == "service"


@pytest.mark.parametrize(
    "content, message",
    [
        (
            xlsx([*GOOD[:4], [2, "Мероприятие", "Неизвестный вид", "", ""]]),
            "Строка 5: вид «Мероприятие»",
        ),
        (
            xlsx([*GOOD[:4], [2, "Услуга", "выдача заключений о пожарной безопасности", "", ""]]),
            "уже есть в строке 4",
        ),
        (xlsx([["Что-то"], ["без заголовков"]]), "Не найдена строка заголовков"),
        (b"PK\x03\x04 not really a workbook", "не читается как книга Excel"),
        (bomb(), "слишком большой"),
    ],
)
def test_a_broken_file_writes_nothing(kuz, client, content, message):
    app, aid, user, _form = kuz
    login(client, app, user)
    response = client.post(
        "/registry/import", data={"file": (__import__("io").BytesIO(content), "реестр.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and "Реестр не изменён" in page
    assert 'name="token"' not in page
    assert _count(app, aid) == 0


def test_a_forged_confirmation_is_refused(kuz, client):
    app, aid, user, _form = kuz
    login(client, app, user)
    response = client.post("/registry/import/confirm", data={"token": "eyJhZ2VuY3kiOjF9.forged"})
    assert response.status_code == 302 and _count(app, aid) == 0


def test_pages_search_edit_archive(kuz, client):
    app, aid, user, _form = kuz
    for i in range(app.config["PAGE_SIZE"] + 2):
        add_process(app, aid, user, f"Услуга номер {i:03d}")
    login(client, app, user)
    page = client.get("/registry/").get_data(as_text=True)
    assert "Страница 1 из 2" in page
    page = client.get("/registry/?q=НОМЕР 007").get_data(as_text=True)
    assert "Услуга номер 007" in page and "Услуга номер 008" not in page
    with app.app_context(), scoped(SYSTEM_SCOPE):
        pid = db.session.scalar(
            sa.select(RegistryProcess.id).where(RegistryProcess.name == "Услуга номер 007")
        )
    response = client.post(
        f"/registry/{pid}",
        data={"kind": "function", "name": "Функция семь", "code": "7", "activity_area": ""},
    )
    assert response.status_code == 302
    response = client.post(f"/registry/{pid}/archive", data={"reason": ""})
    assert response.status_code == 302
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.get(RegistryProcess, pid).archived_at is None  # no reason, no archive
    client.post(f"/registry/{pid}/archive", data={"reason": "Передана в другое ведомство"})
    page = client.get("/registry/?archived=1").get_data(as_text=True)
    assert "Функция семь" in page and "Передана в другое ведомство" in page


def test_viewer_reads_but_does_not_edit(kuz, client, make_user):
    app, aid, user, _form = kuz
    pid = add_process(app, aid, user, "Услуга для чтения")
    viewer = make_user(Role.VIEWER, agency_id=aid)
    login(client, app, viewer)
    assert client.get("/registry/").status_code == 200
    assert (
        client.post(f"/registry/{pid}", data={"kind": "service", "name": "Взлом"}).status_code
        == 403
    )
    assert client.get("/registry/new").status_code == 403


def test_entry_form_offers_the_registry(kuz, client):
    app, aid, user, form = kuz
    pid = add_process(app, aid, user, "Выдача справок")
    login(client, app, user)
    page = client.get("/list/entries/new").get_data(as_text=True)
    assert "Процесс из реестра процессов" in page and "Услуга: Выдача справок" in page
    code = form["touchpoints"][0]["code"]
    post = form_post(form, touchpoint_code=code, process_name="что-то другое", interaction="Приём")
    post["process_id"] = str(pid)
    response = client.post("/list/entries/new", data=post)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        entry = db.session.scalars(sa.select(Entry).where(Entry.agency_id == aid)).one()
        assert entry.process_id == pid and entry.process_name == "Выдача справок"


def test_quarterly_indicator_counts_processes_without_touchpoints(kuz):
    from touchpoints.reports.services import indicators

    app, aid, user, form = kuz
    covered = add_process(app, aid, user, "Покрытая услуга")
    add_process(app, aid, user, "Непокрытая услуга")
    add_process(app, aid, user, "Ещё одна непокрытая", kind="function")
    add_included(app, aid, user, [data(form, process="Покрытая услуга", process_id=covered)])
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region = db.session.get(Agency, aid).region
        rows = {r["agency_id"]: r for r in indicators(region)}
        # Independent count: active processes minus those named by an included row.
        processes = db.session.scalars(
            sa.select(RegistryProcess).where(
                RegistryProcess.agency_id == aid, RegistryProcess.archived_at.is_(None)
            )
        ).all()
        named = set(
            db.session.scalars(
                sa.select(Entry.process_id).where(
                    Entry.agency_id == aid, Entry.status == "included"
                )
            )
        )
    assert rows[aid]["uncovered_processes"] == len([p for p in processes if p.id not in named]) == 2

    # The quarter's snapshot keeps it, and both report files show it in the agency's row.
    import io

    from docx import Document
    from openpyxl import load_workbook

    from touchpoints.reports import exports
    from touchpoints.reports import services as reports

    with app.app_context(), scoped(SYSTEM_SCOPE):
        region = db.session.get(Agency, aid).region
        name = db.session.get(Agency, aid).full_name
        quarter = reports.Quarter.of(reports.today_in(region))
        snaps = reports.ensure_snapshot(region, quarter)
        made = reports.today_in(region)
        book = exports.xlsx(region, quarter, snaps, reports.totals(snaps), made)
        document = exports.docx(region, quarter, snaps, reports.totals(snaps), made)
    sheet = [
        [c.value for c in r] for r in load_workbook(io.BytesIO(book))["Органы власти"].iter_rows()
    ]
    header = next(r for r in sheet if r[0] == "Орган власти")
    row = next(r for r in sheet if r[0] == name)
    assert row[header.index("Процессов реестра без точек")] == 2
    table = [[c.text for c in r.cells] for r in Document(io.BytesIO(document)).tables[1].rows]
    column = table[0].index("Процессов без точек")
    assert next(r for r in table if r[1] == name)[column] == "2"


def test_the_updated_and_published_list_meets_the_clock(kuz):
    # The registry change blocks approval until the list follows it (3.5), and publishing the
    # version approved after it closes the deadline it started (5.5).
    from datetime import date

    from lists_support import approve_list

    from touchpoints.deadlines.services import record_publication
    from touchpoints.lists.errors import ReviewError

    app, aid, user, form = kuz
    add_included(
        app, aid, user, [data(form, process="Старый процесс", code=form["touchpoints"][0]["code"])]
    )
    pid = add_process(app, aid, user, "Новая функция", kind="function")
    (deadline,) = _open_publication(app, aid)
    with in_agency(app, aid) as agency, pytest.raises(ReviewError, match="ошибок"):
        approve_list(agency, db.session.get(User, user), order_number="1", order_date=date.today())
    add_included(
        app,
        aid,
        user,
        [data(form, process="Новая функция", process_id=pid, code=form["touchpoints"][0]["code"])],
    )
    with in_agency(app, aid) as agency:
        person = db.session.get(User, user)
        approve_list(agency, person, order_number="2", order_date=date.today())
        db.session.commit()
        record_publication(agency, person, date.today(), "https://example.org/list")
        db.session.commit()
    assert _open_publication(app, aid) == []
    with app.app_context(), scoped(SYSTEM_SCOPE):
        closed = db.session.get(Deadline, deadline.id)
        assert closed.status == "closed" and closed.outcome == "on_time"


def test_the_office_reads_an_agencys_registry(kuz, client, make_user, make_region):
    app, aid, user, _form = kuz
    add_process(app, aid, user, "Услуга для офиса")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, aid)
        slug, region_id = agency.slug, agency.region_id
    office = make_user(Role.OFFICE, region_id=region_id)
    login(client, app, office)
    page = client.get(f"/registry/agencies/{slug}").get_data(as_text=True)
    assert "Услуга для офиса" in page and "Перечень требует актуализации" in page
    assert "Добавить процесс" not in page
    assert client.get("/registry/").status_code in (403, 404)  # not an agency of its own
    other = make_user(Role.OFFICE, region_id=make_region())
    client.post("/logout")
    login(client, app, other)
    assert client.get(f"/registry/agencies/{slug}").status_code == 404


def test_an_imported_row_naming_a_registry_process_is_linked_to_it(seeded, make_user, tmp_path):
    # Kuzbass 3.1: the list names the registry's processes; an import links the rows whose
    # process is in the registry (case and «ё» aside) and leaves the others as free text.
    from import_fixtures import MURMANSK_HEADER, murmansk_rows
    from import_fixtures import xlsx as workbook

    aid = agency_id_of(seeded, "murmansk-tourism")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    pid = add_process(seeded, aid, user, "аттестация ЭКСКУРСОВОДОВ")
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook({"Перечень": [MURMANSK_HEADER, *murmansk_rows()]}))
    result = seeded.test_cli_runner().invoke(
        args=["lists", "import", "murmansk-tourism", str(path)]
    )
    assert result.exit_code == 0, result.output
    with in_agency(seeded, aid):
        rows = db.session.execute(
            sa.select(Entry.process_name, Entry.process_id).where(Entry.agency_id == aid)
        ).all()
    linked = {name: process for name, process in rows}
    assert linked == {
        "Аттестация экскурсоводов": pid,
        "Рассмотрение обращений граждан": None,
    }
    # Only the row whose process is not in the registry is warned about.
    assert len(findings(seeded, aid, "process_free_text")) == 1


def test_a_change_proposal_carries_the_registry_process(kuz, make_user):
    # A proposal that names another process of the registry carries its id into the row when
    # included (the link is the row's, lists.services.LINK_FIELDS); another agency's process is
    # refused, as in the entry form.
    from touchpoints.lists.errors import ReviewError
    from touchpoints.lists.services import include, propose_change, submit

    app, aid, user, form = kuz
    first = add_process(app, aid, user, "Приём заявлений")
    second = add_process(app, aid, user, "Выдача результатов")
    editor = make_user(Role.EDITOR, agency_id=aid)
    with in_agency(app, aid):
        sub = db.session.get(User, editor).subdivision_id
    (row,) = add_included(
        app,
        aid,
        user,
        [data(form, process="Приём заявлений", process_id=first, subdivision_id=sub)],
    )
    other_aid = agency_id_of(app, "murmansk-tourism")
    stranger = add_process(
        app, other_aid, make_user(Role.REGISTRAR, agency_id=other_aid), "Чужой процесс"
    )
    with in_agency(app, aid):
        target = db.session.get(Entry, row)
        with pytest.raises(ReviewError, match="нет в реестре процессов организации"):
            propose_change(
                target, db.session.get(User, editor), {"process_id": stranger, "process_name": "x"}
            )
        db.session.rollback()
    with in_agency(app, aid):
        target = db.session.get(Entry, row)
        proposal = propose_change(
            target,
            db.session.get(User, editor),
            {"process_id": second, "process_name": "Выдача результатов"},
        )
        assert proposal.process_id == second
        submit(proposal, db.session.get(User, editor))
        include(proposal, db.session.get(User, user))
        db.session.commit()
    with in_agency(app, aid):
        target = db.session.get(Entry, row)
        assert (target.process_id, target.process_name) == (second, "Выдача результатов")


def test_an_agency_of_another_order_is_held_to_the_kuzbass_clauses_by_name(seeded, make_user):
    # The Murmansk order has no registry of processes: an agency of its form that keeps one is
    # held to the Kuzbass clauses, cited by name; the list that names every process satisfies it.
    aid = agency_id_of(seeded, "murmansk-tourism")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(seeded, aid) as agency:
        form = agency.form
    pid = add_process(seeded, aid, user, "Аттестация гидов")
    (found,) = findings(seeded, aid, "process_uncovered")
    assert found.clause == "п. 3.5 (Кузбасс)" and found.level == "error"
    (typed,) = add_included(seeded, aid, user, [data(form, process="Выставки", code="portal")])
    (warned,) = findings(seeded, aid, "process_free_text")
    assert warned.clause == "п. 3.1 (Кузбасс)" and warned.entry_id == typed
    add_included(
        seeded, aid, user, [data(form, process="Аттестация гидов", process_id=pid, code="portal")]
    )
    assert findings(seeded, aid, "process_uncovered") == []
