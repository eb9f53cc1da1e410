"""Issue 6: the project office's region dashboard, its exports, peers' channels and regions."""

from __future__ import annotations

import io
import random
from datetime import date

import pytest
import sqlalchemy as sa
from lists_support import approve_list
from openpyxl import load_workbook

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists import services as lists
from touchpoints.lists.models import AreaStatus, Entry


def _add_entries(app, agency_id: int, count: int, rnd: random.Random, **fixed) -> list[dict]:
    """Entries with random fields from the agency's own form; returns what was written."""
    written = []
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        form = agency.form
        sub = db.session.scalar(sa.select(Subdivision).where(Subdivision.agency_id == agency_id))
        for n in range(count):
            area = rnd.choice(form["activity_areas"])
            tp = rnd.choice(form["touchpoints"])
            needs = rnd.sample([x["code"] for x in form["client_needs"]], k=rnd.randint(1, 3))
            values = {
                "agency_id": agency_id,
                "subdivision_id": sub.id,
                "activity_area": area["code"],
                "process_name": f"Процесс {n}",
                "touchpoint_code": tp["code"],
                "touchpoint": tp["name"],
                "channel_kind": tp["channel_kind"],
                "client_kind": rnd.choice(["external", "internal"]),
                "client_needs": needs,
                "interaction": "Взаимодействие",
                "status": "included",
                "kind": "new",
                "position": n,
            }
            values.update(fixed)
            db.session.add(Entry(**values))
            written.append(values)
        db.session.commit()
    return written


def _expected(written: list[dict]) -> dict:
    working = [e for e in written if e["status"] == "included" and e["kind"] == "new"]
    return {
        "touchpoints": len(working),
        "external": sum(1 for e in working if e["client_kind"] == "external"),
        "internal": sum(1 for e in working if e["client_kind"] == "internal"),
        "digital": sum(1 for e in working if e["channel_kind"] == "digital"),
        "areas": len({e["activity_area"] for e in working}),
        "needs": len({n for e in working for n in e["client_needs"]}),
        "pending": sum(1 for e in written if e["status"] == "submitted"),
    }


@pytest.fixture
def region_with_agencies(app, make_region, make_agency, make_user):
    """Three agencies of three forms with random lists; one approved, one with an area not
    performed. Returns ids and what each was given."""
    rnd = random.Random(6)
    region_id = make_region(slug="north", name="Северная область")
    other_region = make_region(slug="south", name="Южная область")
    data = {}
    for slug, template in (
        ("alpha", "murmansk-6"),
        ("beta", "kuzbass-3"),
        ("gamma", "default-full"),
    ):
        agency_id = make_agency(slug=slug, region_id=region_id, template=template)
        written = _add_entries(app, agency_id, rnd.randint(8, 20), rnd)
        written += _add_entries(app, agency_id, rnd.randint(1, 4), rnd, status="submitted")
        written += _add_entries(app, agency_id, 2, rnd, status="returned")
        written += _add_entries(app, agency_id, 1, rnd, status="draft")
        # An applied change proposal is not a row of the working list.
        written += _add_entries(app, agency_id, 1, rnd, status="applied", kind="change")
        data[slug] = {"id": agency_id, "written": written, "template": template}
    registrar = make_user(Role.REGISTRAR, agency_id=data["alpha"]["id"])
    with app.app_context(), scoped(SYSTEM_SCOPE):
        alpha = db.session.get(Agency, data["alpha"]["id"])
        approve_list(
            alpha,
            db.session.get(User, registrar),
            order_number="17-п",
            order_date=date(2025, 3, 14),
        )
        lists.set_area_not_performed(
            db.session.get(Agency, data["beta"]["id"]), "control", True, "нет полномочий"
        )
        db.session.commit()
    foreign = make_agency(slug="far-away", region_id=other_region)
    _add_entries(app, foreign, 5, rnd)
    office = make_user(Role.OFFICE, region_id=region_id)
    return {
        "region_id": region_id,
        "other_region": other_region,
        "agencies": data,
        "office": office,
        "registrar": registrar,
        "foreign": foreign,
    }


def _xlsx_rows(data: bytes) -> dict[str, dict]:
    from touchpoints.dashboard.exports import COLUMNS

    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c for c, _ in COLUMNS]
    rows, seen = {}, False
    for values in ws.iter_rows(values_only=True):
        if list(values[: len(header)]) == header:
            seen = True
            continue
        if seen and values[0]:
            rows[values[0]] = dict(zip(header, values, strict=False))
    return rows


def test_figures_match_the_entries(app, client, login_as, region_with_agencies):
    ctx = region_with_agencies
    login_as(ctx["office"])
    response = client.get("/dashboard/export.xlsx")
    assert response.status_code == 200
    rows = _xlsx_rows(response.data)
    assert len(rows) == 3
    total = 0
    for slug, info in ctx["agencies"].items():
        exp = _expected(info["written"])
        total += exp["touchpoints"]
        row = rows[f"Министерство {slug}"]
        assert row["Строк (точек)"] == exp["touchpoints"]
        assert row["Внешние клиенты"] == exp["external"]
        assert row["Внутренние клиенты"] == exp["internal"]
        assert row["Доля цифровых"] == pytest.approx(exp["digital"] / exp["touchpoints"], abs=1e-4)
        assert row["Направлений охвачено"] == exp["areas"]
        assert row["Потребностей охвачено"] == exp["needs"]
        assert row["Ждут проверки"] == exp["pending"]
        with app.app_context(), scoped(SYSTEM_SCOPE):
            form = db.session.get(Agency, info["id"]).form
        assert row["Направлений в форме"] == len(form["activity_areas"])
        assert row["Потребностей в форме"] == len(form["client_needs"])
    alpha = rows["Министерство alpha"]
    assert alpha["Редакция №"] == 1
    assert alpha["Дата приказа"].date() == date(2025, 3, 14)
    assert alpha["Дней с изменения"] == 0
    assert rows["Министерство beta"]["Редакция №"] is None
    assert rows["Министерство beta"]["Не осуществляется"] == 1

    page = client.get("/dashboard/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"<b>{total}</b>точек взаимодействия в регионе" in html
    assert "<b>1 из 3</b>с утверждённым перечнем" in html
    assert "<svg" in html and "Данные графика таблицей" in html
    # Every agency links to its drill-down.
    for slug in ctx["agencies"]:
        assert f'href="/agencies/{slug}/' in html


def test_sort_and_filter(client, login_as, region_with_agencies):
    ctx = region_with_agencies
    login_as(ctx["office"])
    counts = {
        slug: _expected(info["written"])["touchpoints"] for slug, info in ctx["agencies"].items()
    }
    html = client.get("/dashboard/?sort=touchpoints&dir=desc").get_data(as_text=True)
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    positions = {slug: table.index(f">Министерство {slug}<") for slug in counts}
    order = sorted(counts, key=lambda s: positions[s])
    assert [counts[s] for s in order] == sorted(counts.values(), reverse=True)

    html = client.get("/dashboard/?approved=yes").get_data(as_text=True)
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    assert ">Министерство alpha<" in table
    assert ">Министерство beta<" not in table
    html = client.get("/dashboard/?form=kuzbass-3").get_data(as_text=True)
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    assert ">Министерство beta<" in table and ">Министерство gamma<" not in table
    assert client.get("/dashboard/?sort=nonsense&publication=<x>").status_code == 200


def test_query_count_does_not_grow_with_agencies(
    app, client, login_as, make_region, make_agency, make_user
):
    rnd = random.Random(1)

    def fill(region_id, n):
        for _ in range(n):
            agency_id = make_agency(
                region_id=region_id,
                template=rnd.choice(["murmansk-6", "kuzbass-3", "default-full"]),
            )
            _add_entries(app, agency_id, 6, rnd)
            _add_entries(app, agency_id, 1, rnd, status="submitted")

    small, large = make_region(), make_region()
    fill(small, 3)
    fill(large, 15)
    counts = {}
    for region_id in (small, large):
        office = make_user(Role.OFFICE, region_id=region_id)
        login_as(office)
        client.get("/dashboard/")  # warm caches (catalogue, url map)
        with app.app_context():
            engine = db.engine
            # The figures' refresh tasks run on other threads of this process: let them finish,
            # so that only the page's own statements are counted.
            wait_for_inprocess_jobs()
        statements = []

        def listener(conn, cursor, statement, parameters, context, executemany, out=statements):
            out.append(statement)

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/dashboard/").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        counts[region_id] = len(statements)
        client.post("/logout")
    assert counts[small] == counts[large], counts


def test_office_sees_only_its_region(client, login_as, region_with_agencies, make_user):
    ctx = region_with_agencies
    login_as(ctx["office"])
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Министерство alpha" in html
    assert "far-away" not in html
    # Asking for another region does not switch it for an office.
    html = client.get("/dashboard/?region=south").get_data(as_text=True)
    assert "Министерство alpha" in html and "far-away" not in html
    rows = _xlsx_rows(client.get("/dashboard/export.xlsx").data)
    assert "Министерство far-away" not in rows
    assert "far-away" not in client.get("/dashboard/channels").get_data(as_text=True)
    assert client.get("/admin/regions").status_code == 403
    # The office's home page is the dashboard.
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/dashboard/")


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.EDITOR, Role.VIEWER])
def test_agency_users_cannot_open_the_dashboard(client, login_as, make_agency, make_user, role):
    agency_id = make_agency()
    login_as(make_user(role, agency_id=agency_id))
    for url in (
        "/dashboard/",
        "/dashboard/channels",
        "/dashboard/export.xlsx",
        "/dashboard/export.pdf",
        "/admin/regions",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_compares_regions(client, login_as, region_with_agencies, make_user):
    ctx = region_with_agencies
    login_as(make_user(Role.ADMIN))
    html = client.get("/admin/regions").get_data(as_text=True)
    assert "Северная область" in html and "Южная область" in html
    html = client.get("/dashboard/?region=south").get_data(as_text=True)
    assert "far-away" in html and "Министерство alpha" not in html
    assert client.get("/dashboard/?region=no-such-region").status_code == 404
    assert client.get("/dashboard/").headers["Location"].endswith("/admin/regions")
    assert client.get("/dashboard/export.xlsx?region=north").status_code == 200
    assert ctx  # the fixture made both regions


def test_exports_open_and_name_the_agencies(client, login_as, region_with_agencies):
    from pypdf import PdfReader

    ctx = region_with_agencies
    login_as(ctx["office"])
    xlsx = client.get("/dashboard/export.xlsx")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert {"Сводка", "Направления", "Каналы", "По месяцам"} <= set(wb.sheetnames)
    names = {c.value for c in wb["Сводка"]["A"]}
    for slug in ctx["agencies"]:
        assert f"Министерство {slug}" in names

    pdf = client.get("/dashboard/export.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    for slug in ctx["agencies"]:
        assert f"Министерство {slug}" in text
    assert "Северная область" in text
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


def test_pdf_fetcher_refuses_files_and_network():
    from touchpoints.dashboard.exports import _NoFetch

    fetcher = _NoFetch()
    for url in ("file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.org/f.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_peers_channels_for_a_registrar(app, client, login_as, make_region, make_agency, make_user):
    rnd = random.Random(3)
    region_id = make_region()
    own = make_agency(region_id=region_id, template="default-full")
    _add_entries(app, own, 3, rnd, touchpoint_code="site", channel_kind="digital")
    for _ in range(3):
        peer = make_agency(region_id=region_id, template="kuzbass-3")
        _add_entries(app, peer, 2, rnd, touchpoint_code="mfc", channel_kind="offline")
        _add_entries(app, peer, 1, rnd, touchpoint_code="site", channel_kind="digital")
        registrar = make_user(Role.REGISTRAR, agency_id=peer)
        with app.app_context(), scoped(SYSTEM_SCOPE):
            approve_list(
                db.session.get(Agency, peer),
                db.session.get(User, registrar),
                order_number="1",
                order_date=date(2025, 1, 10),
            )
            db.session.commit()
    # A peer's draft channels (no approved version) are not visible to others.
    drafty = make_agency(region_id=region_id, template="kuzbass-3")
    _add_entries(app, drafty, 4, rnd, touchpoint_code="chatbot", channel_kind="digital")

    login_as(make_user(Role.REGISTRAR, agency_id=own))
    response = client.get("/list/peers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    missing = html[html.index("Есть у большинства") : html.index("</section>")]
    assert "Многофункциональный центр (МФЦ)" in missing
    assert "3 из 3" in missing
    assert "Официальный сайт" not in missing  # theirs has it too
    assert "Чат-бот" not in missing


def test_area_not_performed_in_heat_map(app, region_with_agencies):
    from touchpoints.core.db import Scope
    from touchpoints.dashboard import compute, services

    ctx = region_with_agencies
    with app.test_request_context(), scoped(Scope("region", region_id=ctx["region_id"])):
        agencies = services.region_agencies(ctx["region_id"])
        board = compute.build(agencies, date.today())
        beta = next(r for r in board.rows if r.slug == "beta")
        with scoped(SYSTEM_SCOPE):
            has_control = db.session.scalar(
                sa.select(sa.func.count()).where(
                    Entry.agency_id == beta.agency_id,
                    Entry.activity_area == "control",
                    Entry.status == "included",
                )
            )
            marked = db.session.scalar(
                sa.select(sa.func.count()).where(AreaStatus.agency_id == beta.agency_id)
            )
        assert marked == 1
        assert beta.areas_not_performed == 1
        assert ("control" in beta.common_areas_not_performed) is True
        assert beta.common_areas.get("control", 0) == has_control


def test_seed_command_fills_a_region(app):
    from touchpoints.core.tenancy import Region

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["demo", "seed", "--region", "demo-r", "--agencies", "6", "--rows", "25"]
    )
    assert result.exit_code == 0, result.output
    assert "Добавлено органов власти: 6, строк: 150" in result.output
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region = db.session.scalar(sa.select(Region).where(Region.slug == "demo-r"))
        agencies = db.session.scalars(sa.select(Agency).where(Agency.region_id == region.id)).all()
        assert len(agencies) == 6
        assert {a.form_template for a in agencies} == {"murmansk-6", "kuzbass-3", "default-full"}
        statuses = set(
            db.session.scalars(
                sa.select(Entry.status).where(Entry.agency_id.in_([a.id for a in agencies]))
            )
        )
        assert "included" in statuses and len(statuses) > 1
        from touchpoints.lists.models import ListVersion

        with_version = set(db.session.scalars(sa.select(ListVersion.agency_id)))
        assert 0 < len(with_version & {a.id for a in agencies}) < 6
    again = runner.invoke(
        args=["demo", "seed", "--region", "demo-r", "--agencies", "6", "--rows", "25"]
    )
    assert "Добавлено органов власти: 0" in again.output and "уже были: 6" in again.output


def test_cached_figures_follow_changes(app, client, login_as, make_region, make_agency, make_user):
    region_id = make_region()
    agency_id = make_agency(region_id=region_id, template="default-full")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    login_as(make_user(Role.OFFICE, region_id=region_id))

    def count():
        rows = _xlsx_rows(client.get("/dashboard/export.xlsx").data)
        return next(iter(rows.values()))["Строк (точек)"]

    assert count() == 0
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        user = db.session.get(User, registrar)
        entry = lists.create_entry(
            agency,
            user,
            {
                "activity_area": "services",
                "process_name": "Услуга",
                "touchpoint_code": "site",
                "client_needs": ["info"],
                "interaction": "Информирование",
            },
        )
        lists.include(entry, user)
        db.session.commit()
    assert count() == 1


def test_compliance_and_deadlines_are_wired(app, client, login_as, region_with_agencies):
    """The columns from issue 3 (compliance) and issue 5 (deadlines) show those features' own
    answers, asked for directly here."""
    from touchpoints.core.db import Scope
    from touchpoints.deadlines.summary import deadline_summaries
    from touchpoints.lists.compliance import check_many

    ctx = region_with_agencies
    ids = {slug: info["id"] for slug, info in ctx["agencies"].items()}
    with app.app_context(), scoped(Scope("region", region_id=ctx["region_id"])):
        reports = check_many(list(ids.values()))
        summaries = deadline_summaries(list(ids.values()))
    login_as(ctx["office"])
    rows = _xlsx_rows(client.get("/dashboard/export.xlsx").data)
    for slug, agency_id in ids.items():
        row = rows[f"Министерство {slug}"]
        assert row["Ошибок"] == len(reports[agency_id].errors)
        assert row["Предупреждений"] == len(reports[agency_id].warnings)
        assert row["Размещение"] == summaries[agency_id].publication_label


def test_reused_page_follows_changes_and_views(
    app, client, login_as, make_region, make_agency, make_user
):
    """The rendered page is reused only for the same figures, query string and role."""
    region_id = make_region()
    agency_id = make_agency(region_id=region_id, template="default-full")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    login_as(make_user(Role.OFFICE, region_id=region_id))

    def page(url="/dashboard/"):
        response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "<b>0</b>точек взаимодействия в регионе" in page()
    assert "<b>0</b>точек взаимодействия в регионе" in page()  # reused
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        user = db.session.get(User, registrar)
        entry = lists.create_entry(
            agency,
            user,
            {
                "activity_area": "services",
                "process_name": "Услуга",
                "touchpoint_code": "site",
                "client_needs": ["info"],
                "interaction": "Информирование",
            },
        )
        lists.include(entry, user)
        db.session.commit()
    assert "<b>1</b>точек взаимодействия в регионе" in page()
    assert "Под отбор не попал ни один орган власти" in page("/dashboard/?q=nothing-like-it")
    assert "Под отбор не попал" not in page("/dashboard/?q=")


def test_pdf_report_is_laid_out_once_for_the_same_figures(
    app, seeded, make_user, login_as, monkeypatch
):
    import sqlalchemy as sa

    from touchpoints.core.db import db
    from touchpoints.core.tenancy import Region
    from touchpoints.dashboard import exports

    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = db.session.scalar(sa.select(Region.id).where(Region.slug == "murmansk"))
    calls = []
    real = exports.pdf
    monkeypatch.setattr(exports, "pdf", lambda html: calls.append(1) or real(html))
    client = login_as(make_user("office", region_id=region_id))
    first = client.get("/dashboard/export.pdf")
    second = client.get("/dashboard/export.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.startswith(b"%PDF")
    assert len(calls) == 1
