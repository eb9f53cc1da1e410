"""The form editor (issue 12, item 1; docs/forms.md): columns and catalogues edited in the
interface, a live preview from the one table builder, validation that keeps what was typed,
approved versions untouched, the audit trail, concurrent edits, who may edit what."""

from __future__ import annotations

import copy
import datetime as dt

import sqlalchemy as sa
from lists_support import add_included, agency_id_of, approve_list, data, in_agency

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, FormTemplate
from touchpoints.formeditor.parsing import raw_of
from touchpoints.lists.models import AreaStatus, ListVersion

MURMANSK = "murmansk-tourism"
KUZBASS = "kuzbass-emergencies"


def post_of(raw: dict, revision, **changes) -> dict:
    """The editor page's inputs as a browser submits them (see formeditor.parsing)."""
    out: dict = {"revision": str(revision), **{k: v for k, v in raw["form"].items() if v}}
    for section in ("columns", "activity_areas", "touchpoints", "client_needs"):
        for i, row in enumerate(raw[section]):
            for field, value in row.items():
                if value in ("", [], None):
                    continue
                out[f"{section}-{i}-{field}"] = value
    pr = raw["procedure"]
    for field in ("code", "name", "order_number", "order_date", "order_title"):
        out[f"procedure-{field}"] = pr[field]
    for rule, r in pr["rules"].items():
        for field, value in r.items():
            if value:
                out[f"rule-{rule}-{field}"] = value
    for code, value in pr["hints"].items():
        out[f"hint-{code}"] = value
    for code, value in pr["reasons"].items():
        out[f"reason-{code}"] = value
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def page_of(app, slug: str) -> tuple[dict, int, dict]:
    """(raw rows, revision, stored form) of an agency's form as the editor opens it."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == slug))
        nots = {s.area_code: s.reason for s in AreaStatus.of_agency(agency.id) if s.not_performed}
        return raw_of(agency.form, nots), agency.form_revision, copy.deepcopy(agency.form)


def stored_form(app, slug: str) -> dict:
    return page_of(app, slug)[2]


def column_index(raw: dict, key: str) -> int:
    return next(i for i, c in enumerate(raw["columns"]) if c["key"] == key)


def test_registrar_edits_columns_and_catalogues(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, MURMANSK)
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    raw, revision, _ = page_of(app, MURMANSK)
    assert client.get(f"/forms/agencies/{MURMANSK}").status_code == 200
    process = column_index(raw, "process")
    n_cols, n_points, n_needs = (len(raw[s]) for s in ("columns", "touchpoints", "client_needs"))
    response = client.post(
        f"/forms/agencies/{MURMANSK}",
        data=post_of(
            raw,
            revision,
            **{
                f"columns-{process}-label": "Наименование услуги или функции",
                f"columns-{process}-width": "25",
                # A column of this form only, placed first.
                f"columns-{n_cols}-key": "note",
                f"columns-{n_cols}-label": "Примечание",
                f"columns-{n_cols}-field": "extra",
                f"columns-{n_cols}-width": "8",
                f"columns-{n_cols}-order": "0",
                f"touchpoints-{n_points}-code": "chatbot",
                f"touchpoints-{n_points}-name": "Чат-бот Комитета",
                f"touchpoints-{n_points}-channel_kind": "digital",
                f"touchpoints-{n_points}-taxonomy": "chatbot",
                "client_needs-0-delete": "1",
            },
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    form = stored_form(app, MURMANSK)
    assert form["columns"][0] == {
        "key": "note",
        "label": "Примечание",
        "field": "extra",
        "required": False,
        "width": 8,
    }
    process_col = next(c for c in form["columns"] if c["key"] == "process")
    assert (process_col["label"], process_col["width"]) == ("Наименование услуги или функции", 25)
    assert form["touchpoints"][-1]["name"] == "Чат-бот Комитета"
    assert len(form["touchpoints"]) == n_points + 1
    assert form["client_needs"][0]["code"] == "consultation"
    assert len(form["client_needs"]) == n_needs - 1
    assert page_of(app, MURMANSK)[1] == revision + 1
    # The list page shows the agency's new column head.
    assert "Наименование услуги или функции" in client.get("/list/").get_data(as_text=True)


def test_a_form_change_is_in_the_audit_trail(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    user = make_user(Role.REGISTRAR, agency_id=aid)
    client = login_as(user)
    raw, revision, _ = page_of(app, KUZBASS)
    label = "Точки взаимодействия с клиентом"
    client.post(
        f"/forms/agencies/{KUZBASS}", data=post_of(raw, revision, **{"columns-0-label": label})
    )
    with app.app_context(), scoped(SYSTEM_SCOPE):
        [event] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "form.update")
        ).all()
        assert (event.agency_id, event.actor_id) == (aid, user)
        # Only what changed, key by key (tenants/merge.py).
        assert event.after == {"columns": [{"key": "touchpoint", "label": label}]}
        assert event.before["columns"][0]["label"] == "Точки взаимодействия с внутренним клиентом"
    assert "Изменена форма перечня" in client.get("/audit/").get_data(as_text=True)


def test_live_preview_renders_the_typed_form_with_the_table_builder(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, MURMANSK)
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    raw, revision, _ = page_of(app, MURMANSK)
    spec = column_index(raw, "specifics")
    response = client.post(
        f"/forms/agencies/{MURMANSK}/preview",
        data=post_of(
            raw,
            revision,
            **{f"columns-{spec}-label": "Особые условия", f"columns-{spec}-width": "40"},
        ),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The list table and the appendix, both with the typed label; no list yet: sample rows.
    assert html.count("Особые условия") >= 2
    assert "примерные строки" in html
    assert "Предоставление государственных услуг" in html
    # The appendix's widths are those the PDF gets: 40 of (16+20+18+22+40) of 96 %.
    assert 'width="33.103%"' in html
    # Nothing was saved by a preview.
    assert "Особые условия" not in str(stored_form(app, MURMANSK))
    # A form that cannot be shown yet says why, in Russian.
    broken = client.post(
        f"/forms/agencies/{MURMANSK}/preview",
        data=post_of(raw, revision, **{f"columns-{spec}-key": "process"}),
    ).get_data(as_text=True)
    assert "Код «process» уже есть у графы № 2" in broken


def test_preview_uses_the_agencys_own_rows(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    form = stored_form(app, KUZBASS)
    add_included(app, aid, registrar, [data(form, process="Приём сообщений о ЧС", code="phone")])
    client = login_as(registrar)
    raw, revision, _ = page_of(app, KUZBASS)
    html = client.post(f"/forms/agencies/{KUZBASS}/preview", data=post_of(raw, revision)).get_data(
        as_text=True
    )
    assert "Приём сообщений о ЧС" in html and "примерные строки" not in html


def test_validation_explains_and_keeps_what_was_typed(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, MURMANSK)
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    raw, revision, before = page_of(app, MURMANSK)
    touchpoint = column_index(raw, "touchpoint")
    response = client.post(
        f"/forms/agencies/{MURMANSK}",
        data=post_of(
            raw,
            revision,
            **{
                "columns-0-label": "Сфера деятельности (введено)",
                f"columns-{touchpoint}-delete": "1",
                "columns-1-width": "широкая",
                "touchpoints-1-code": "internet",
                "touchpoints-2-taxonomy": "",
                "client_needs-0-code": "Получение",
                "rule-norm_transfers-limit": "два",
            },
        ),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for message in (
        "Форма не сохранена: исправьте отмеченные поля.",
        "Графу «Точка взаимодействия» удалить нельзя",
        "Ширина — целое число от 1 до 100",
        "Код «internet» уже есть у точки № 1",
        "Выберите код общей таксономии",
        "Код «Получение»: допустимы латинские строчные буквы",
        "Укажите предельное значение нормы числом",
    ):
        assert message in html, message
    # What was typed is on the page again; nothing was written.
    assert 'value="Сфера деятельности (введено)"' in html
    assert 'value="широкая"' in html and 'value="два"' in html
    assert stored_form(app, MURMANSK) == before


def test_the_registrar_stays_within_the_region_the_office_sets_it(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = db.session.get(Agency, aid).region_id
    raw, revision, before = page_of(app, KUZBASS)
    laxer = {
        "columns-1-required": None,  # a column the region's form requires
        "rule-norm_waiting-limit": "30",  # the region's norm is 15 minutes
        "rule-offline_only-applies": None,  # a rule the region applies
    }
    registrar = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    html = registrar.post(
        f"/forms/agencies/{KUZBASS}", data=post_of(raw, revision, **laxer)
    ).get_data(as_text=True)
    assert "обязательна в форме региона" in html
    assert "Норма региона — не более 15: установить мягче нельзя" in html
    assert "отключить его может проектный офис" in html
    assert stored_form(app, KUZBASS) == before
    # A stricter norm is the registrar's to set.
    stricter = registrar.post(
        f"/forms/agencies/{KUZBASS}",
        data=post_of(raw, revision, **{"rule-norm_waiting-limit": "10"}),
    )
    assert stricter.status_code == 302
    assert stored_form(app, KUZBASS)["procedure"]["rules"]["norm_waiting"]["limit"] == 10
    registrar.post("/logout")
    office = login_as(make_user(Role.OFFICE, region_id=region_id))
    raw, revision, _ = page_of(app, KUZBASS)
    response = office.post(f"/forms/agencies/{KUZBASS}", data=post_of(raw, revision, **laxer))
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    form = stored_form(app, KUZBASS)
    assert form["columns"][1]["required"] is False
    assert form["procedure"]["rules"]["norm_waiting"]["limit"] == 30
    assert "offline_only" not in form["procedure"]["rules"]


def test_an_approved_version_keeps_the_form_it_was_approved_in(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    form = stored_form(app, KUZBASS)
    add_included(app, aid, registrar, [data(form, process="Приём сообщений", code="phone")])
    with in_agency(app, aid) as agency:
        user = db.session.get(User, registrar)
        approve_list(agency, user, order_number="7", order_date=dt.date(2025, 3, 3))
        db.session.commit()
    client = login_as(registrar)
    raw, revision, _ = page_of(app, KUZBASS)
    response = client.post(
        f"/forms/agencies/{KUZBASS}",
        data=post_of(raw, revision, **{"columns-0-label": "Канал взаимодействия"}),
    )
    assert response.status_code == 302
    with in_agency(app, aid):
        version = db.session.scalar(sa.select(ListVersion).where(ListVersion.agency_id == aid))
        assert version.form == form
    assert "Канал взаимодействия" in client.get("/list/").get_data(as_text=True)
    old = client.get("/list/versions/1").get_data(as_text=True)
    assert "Точки взаимодействия с внутренним клиентом" in old
    assert "Канал взаимодействия" not in old


def test_a_concurrent_edit_is_detected_and_nothing_typed_is_lost(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, MURMANSK)
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    raw, revision, _ = page_of(app, MURMANSK)
    first = client.post(
        f"/forms/agencies/{MURMANSK}", data=post_of(raw, revision, **{"columns-0-label": "Первый"})
    )
    assert first.status_code == 302
    second = client.post(
        f"/forms/agencies/{MURMANSK}", data=post_of(raw, revision, **{"columns-0-label": "Второй"})
    )
    html = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "Форму уже изменил другой пользователь" in html
    assert 'value="Второй"' in html
    assert stored_form(app, MURMANSK)["columns"][0]["label"] == "Первый"


def test_areas_marked_not_performed_from_the_editor(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    raw, revision, _ = page_of(app, KUZBASS)
    without_reason = client.post(
        f"/forms/agencies/{KUZBASS}",
        data=post_of(raw, revision, **{"activity_areas-2-not_performed": "1"}),
    )
    assert "Укажите, почему направление не осуществляется" in without_reason.get_data(as_text=True)
    response = client.post(
        f"/forms/agencies/{KUZBASS}",
        data=post_of(
            raw,
            revision,
            **{"activity_areas-2-not_performed": "1", "activity_areas-2-reason": "Нет полномочий"},
        ),
    )
    assert response.status_code == 302
    with in_agency(app, aid):
        assert AreaStatus.codes_not_performed(aid) == ["control"]
        # The form did not change: its revision stays.
        assert db.session.get(Agency, aid).form_revision == revision


def test_who_may_edit_which_form(seeded, make_user, login_as, client):
    app = seeded
    mur, kuz = agency_id_of(app, MURMANSK), agency_id_of(app, KUZBASS)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        mur_region = db.session.get(Agency, mur).region_id
    url = f"/forms/agencies/{MURMANSK}"
    cases = [
        (make_user(Role.ADMIN), 200, 200),
        (make_user(Role.OFFICE, region_id=mur_region), 200, 403),
        (make_user(Role.REGISTRAR, agency_id=mur), 200, 403),
        (make_user(Role.EDITOR, agency_id=mur), 403, 403),
        (make_user(Role.VIEWER, agency_id=mur), 403, 403),
        # Another agency's registrar and another region's office: as if it did not exist.
        (make_user(Role.REGISTRAR, agency_id=kuz), 404, 403),
    ]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        kuz_region = db.session.get(Agency, kuz).region_id
    cases.append((make_user(Role.OFFICE, region_id=kuz_region), 404, 403))
    for user, agency_status, template_status in cases:
        login_as(user)
        assert client.get(url).status_code == agency_status, user
        assert client.post(f"{url}/preview", data={}).status_code in (
            (200,) if agency_status == 200 else (agency_status,)
        )
        assert client.get("/forms/templates/murmansk-6").status_code == template_status, user
        client.post("/logout")
    assert client.get(url).status_code == 302  # anonymous: to the login page


def test_admin_edits_a_shared_template_agencies_keep_their_forms(seeded, make_user, login_as):
    app = seeded
    client = login_as(make_user(Role.ADMIN))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        template = db.session.scalar(
            sa.select(FormTemplate).where(FormTemplate.slug == "kuzbass-3")
        )
        raw, revision = raw_of(template.definition), template.revision
    before = stored_form(app, KUZBASS)
    index = client.get("/forms/").get_data(as_text=True)
    assert "Общие шаблоны" in index and "/forms/templates/kuzbass-3" in index
    response = client.post(
        "/forms/templates/kuzbass-3",
        data=post_of(raw, revision, **{"columns-1-label": "Порядок взаимодействия (шаблон)"}),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        template = db.session.scalar(
            sa.select(FormTemplate).where(FormTemplate.slug == "kuzbass-3")
        )
        assert template.definition["columns"][1]["label"] == "Порядок взаимодействия (шаблон)"
        assert template.revision == revision + 1
        assert db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "form_template.update")
        )
    assert stored_form(app, KUZBASS) == before
    html = client.post("/forms/templates/kuzbass-3/preview", data=post_of(raw, revision)).get_data(
        as_text=True
    )
    assert "Наименовании органа власти" in html
