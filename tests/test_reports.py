"""The project office's quarterly report (issue 16, item 4): figures against independent SQL
counts, the trend across quarters, XLSX and DOCX read back, and the office of another region."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.conftest import login
from touchpoints.auth.models import User
from touchpoints.config import DEMO_SCOPE_KEY
from touchpoints.core.db import SYSTEM_SCOPE, Scope, db, push_scope, scoped
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.dashboard import figures as stored_figures
from touchpoints.deadlines import services as deadlines
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists.compliance import check_many
from touchpoints.lists.models import Entry, ListVersion
from touchpoints.reports import services as reports
from touchpoints.reports.models import QuarterSnapshot

MSK = ZoneInfo("Europe/Moscow")


def _add_entries(app, agency_id, specs):
    """specs: (status, channel_kind, area index), one entry each."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        areas = [a["code"] for a in agency.form["activity_areas"]]
        now = datetime.now(MSK)
        for i, (status, channel, area) in enumerate(specs):
            db.session.add(
                Entry(
                    agency_id=agency_id,
                    activity_area=areas[area],
                    process_name=f"Процесс {i}",
                    touchpoint="Официальный сайт" if channel == "digital" else "Приёмная",
                    channel_kind=channel,
                    status=status,
                    submitted_at=now if status == "submitted" else None,
                    reviewed_at=now if status == "included" else None,
                )
            )
        db.session.commit()


@pytest.fixture
def region_a(app, make_region, make_agency, make_user):
    """Region A: agency a1 (version approved 02.06.2025 by order No. 21, published 10.06.2025,
    a subdivision re-confirmed) and agency a2 (no version); region B with its own office."""
    reg_a, reg_b = make_region(slug="reg-a"), make_region(slug="reg-b")
    a1 = make_agency(slug="rep-a1", region_id=reg_a)
    a2 = make_agency(slug="rep-a2", region_id=reg_a)
    b1 = make_agency(slug="rep-b1", region_id=reg_b)
    registrar = make_user("registrar", agency_id=a1)
    office_a = make_user("office", region_id=reg_a)
    office_b = make_user("office", region_id=reg_b)
    _add_entries(
        app,
        a1,
        [
            ("included", "digital", 0),
            ("included", "digital", 1),
            ("included", "offline", 1),
            ("submitted", "digital", 0),
            ("draft", "digital", 2),
        ],
    )
    _add_entries(app, a2, [("included", "offline", 0), ("submitted", "digital", 0)] * 2)
    _add_entries(app, b1, [("included", "digital", 0)])
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, a1)
        db.session.add(
            ListVersion(
                agency_id=a1,
                number=1,
                order_number="21",
                order_date=date(2025, 6, 2),
                approved_at=datetime(2025, 6, 2, 12, tzinfo=MSK),
                form=agency.form,
                entry_count=3,
            )
        )
        db.session.flush()
        user = db.session.get(User, registrar)
        deadlines.record_publication(agency, user, date(2025, 6, 10), "https://a1.example/list")
        sub_id = db.session.scalar(
            sa.select(Subdivision.id).where(Subdivision.agency_id == a1).limit(1)
        )
        deadlines.confirm_subdivision(agency, user, sub_id, "всё актуально")
        db.session.commit()
    return {
        "region": reg_a,
        "region_b": reg_b,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "office_a": office_a,
        "office_b": office_b,
    }


def _current_quarter(app, region_id) -> reports.Quarter:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return reports.Quarter.of(reports.today_in(db.session.get(Region, region_id)))


def _snapshots(app, region_id, q) -> dict[int, dict]:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region = db.session.get(Region, region_id)
        return {
            s.agency_id: {c.name: getattr(s, c.name) for c in QuarterSnapshot.__table__.c}
            for s in reports.snapshots(region, q)
        }


def test_quarterly_figures_match_independent_counts(app, migrated, region_a, client):
    q = _current_quarter(app, region_a["region"])
    login(client, app, region_a["office_a"])
    assert client.post(f"/reports/snapshot?q={q.key}").status_code == 302
    snaps = _snapshots(app, region_a["region"], q)
    assert set(snaps) == {region_a["a1"], region_a["a2"]}  # region B's agency is not in it

    owner = sa.create_engine(migrated["owner"])  # the owner: no RLS, nothing shared with the app
    with owner.connect() as conn, app.app_context(), scoped(SYSTEM_SCOPE):
        errors = check_many([region_a["a1"], region_a["a2"]])
        for agency_id, snap in snaps.items():

            def one(sql, agency_id=agency_id):
                return conn.execute(sa.text(sql), {"a": agency_id}).scalar()

            working = "FROM entry WHERE agency_id = :a AND status = 'included' AND kind = 'new'"
            assert snap["touchpoints"] == one(f"SELECT count(*) {working}")
            assert snap["digital"] == one(f"SELECT count(*) {working} AND channel_kind = 'digital'")
            assert snap["areas_covered"] == one(f"SELECT count(DISTINCT activity_area) {working}")
            assert snap["pending"] == one(
                "SELECT count(*) FROM entry WHERE agency_id = :a AND status = 'submitted'"
            )
            assert snap["version_number"] == one(
                "SELECT max(number) FROM list_version WHERE agency_id = :a"
            )
            assert snap["published_on"] == one(
                "SELECT min(p.published_on) FROM publication p JOIN list_version v "
                "ON v.id = p.version_id WHERE v.agency_id = :a AND v.number = "
                "(SELECT max(number) FROM list_version WHERE agency_id = :a)"
            )
            assert snap["last_reconfirmed_on"] == one(
                "SELECT max(confirmed_on) FROM reconfirmation WHERE agency_id = :a"
            )
            assert snap["errors"] == len(errors[agency_id].errors)
    owner.dispose()
    a1, a2 = snaps[region_a["a1"]], snaps[region_a["a2"]]
    assert (a1["touchpoints"], a1["digital"], a1["areas_covered"], a1["pending"]) == (3, 2, 2, 1)
    assert (a2["touchpoints"], a2["digital"], a2["pending"]) == (2, 0, 2)
    # 02.06.2025 → 10.06.2025: 3, 4, 5, 6, 9, 10 June are working days.
    weekdays = sum(1 for i in range(1, 9) if (date(2025, 6, 2) + timedelta(days=i)).weekday() < 5)
    assert a1["days_to_publish"] == weekdays == 6
    assert a1["order_number"] == "21" and a1["approved_on"] == date(2025, 6, 2)
    assert a2["version_number"] is None and a2["published_on"] is None
    page = client.get(f"/reports/quarter?q={q.key}").get_data(as_text=True)
    assert f"Отчёт о ведении перечней за {q.label}" in page
    assert "Министерство rep-a1" in page and "Министерство rep-b1" not in page
    assert "с 10.06.2025, через 6 раб. дн. после утверждения" in page
    # Region figures: 1 of 2 published, digital 2 of 5 touchpoints.
    assert "1 (50 %)" in page and "40 %" in page


def test_trend_across_two_quarters(app, region_a, client):
    q = _current_quarter(app, region_a["region"])
    prev = q.previous()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        reports.take_snapshot(db.session.get(Region, region_a["region"]), prev)
        db.session.commit()
    _add_entries(app, region_a["a2"], [("included", "digital", 1)] * 3)
    login(client, app, region_a["office_a"])
    client.post(f"/reports/snapshot?q={q.key}")
    # The quarter that ended keeps its figures: taking it again changes nothing.
    client.post(f"/reports/snapshot?q={prev.key}")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        trend = reports.trend(db.session.get(Region, region_a["region"]))
    assert [quarter for quarter, _ in trend] == [prev, q]
    (_, before), (_, after) = trend
    assert (before.touchpoints, before.digital) == (5, 2)
    assert (after.touchpoints, after.digital) == (8, 5)
    assert before.agencies == after.agencies == 2 and before.published == after.published == 1
    page = client.get("/reports/").get_data(as_text=True)
    table = page[page.index("Динамика по региону") :]
    assert prev.label in table and q.label in table
    assert table.index(prev.label) < table.index(q.label)  # oldest first
    assert '<meter min="0" max="1" value="0.625">' in page  # 5 of 8 digital this quarter
    # A quarter that has not begun cannot be snapshotted.
    response = client.post(f"/reports/snapshot?q={q.next().key}", follow_redirects=True)
    assert "ещё не начался" in response.get_data(as_text=True)


def test_assessment_exports_and_cli(app, region_a, client, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    q = _current_quarter(app, region_a["region"])
    login(client, app, region_a["office_a"])
    client.post(f"/reports/snapshot?q={q.key}")
    response = client.post(
        f"/reports/rep-a1/assessment?q={q.key}",
        data={"level": "green", "comment": '=HYPERLINK("x") перечень ведётся', "seen": ""},
    )
    assert response.status_code == 302
    # A stale form (someone assessed meanwhile) is refused and keeps what was typed.
    response = client.post(
        f"/reports/rep-a1/assessment?q={q.key}",
        data={"level": "red", "comment": "мой текст", "seen": ""},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Оценку уже изменил" in body and "мой текст" in body
    response = client.post(
        f"/reports/rep-a2/assessment?q={q.key}",
        data={"level": "purple", "comment": "нет", "seen": ""},
    )
    assert response.status_code == 400 and "Выберите оценку" in response.get_data(as_text=True)

    xlsx = client.get(f"/reports/export.xlsx?q={q.key}")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.data))["Органы власти"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][0] == (
        f"Отчёт о ведении перечней точек взаимодействия с клиентом за {q.q} квартал {q.year} г."
    )
    row = next(r for r in cells if r[0] == "Министерство rep-a1")
    assert row[1] == 1 and row[2] == "№ 21 от 02.06.2025" and row[4] == 6
    assert row[14] == "зелёный"
    # Kept as typed and stored as text: a spreadsheet never runs it as a formula.
    comment = ws.cell(row=cells.index(row) + 1, column=16)
    assert comment.value == '=HYPERLINK("x") перечень ведётся' and comment.data_type == "s"

    docx = client.get(f"/reports/export.docx?q={q.key}")
    doc = Document(io.BytesIO(docx.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert (
        f"Отчёт о ведении перечней точек взаимодействия с клиентом за {q.q} квартал {q.year} г."
        in text
    )
    assert "Регион: Регион reg-a" in text and "Дата составления:" in text
    assessed = [[c.text for c in r.cells] for r in doc.tables[2].rows]
    assert assessed[0] == ["№ п/п", "Орган власти", "Оценка", "Комментарий"]
    assert any(r[1] == "Министерство rep-a1" and r[2].startswith("зелёный") for r in assessed)
    agencies = [[c.text for c in r.cells] for r in doc.tables[1].rows]
    assert any("с 10.06.2025, через 6 раб. дн." in r[3] for r in agencies)

    # The command line takes the snapshot of a quarter that has none, then writes the file.
    runner = app.test_cli_runner()
    out = tmp_path / "report.docx"
    prev = q.previous()
    result = runner.invoke(
        args=["reports", "quarterly", "reg-a", "--quarter", prev.key, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "зафиксированы сейчас" in result.output
    assert prev.label in "\n".join(p.text for p in Document(str(out)).paragraphs)
    out_x = tmp_path / "report.xlsx"
    result = runner.invoke(
        args=["reports", "quarterly", "reg-a", "--quarter", prev.key, "-o", str(out_x)]
    )
    assert result.exit_code == 0 and "зафиксированы сейчас" not in result.output
    assert load_workbook(str(out_x))["Регион"]["A1"].value.endswith(f"{prev.label}")
    bad = runner.invoke(
        args=["reports", "quarterly", "reg-a", "--quarter", "2025-7", "-o", "x.pdf"]
    )
    assert bad.exit_code != 0


def test_office_of_another_region_cannot_see_it(app, region_a, client):
    q = _current_quarter(app, region_a["region"])
    login(client, app, region_a["office_a"])
    client.post(f"/reports/snapshot?q={q.key}")
    client.post("/logout")
    login(client, app, region_a["office_b"])
    response = client.post(
        f"/reports/rep-a1/assessment?q={q.key}", data={"level": "red", "seen": ""}
    )
    assert response.status_code == 404
    # Its own report knows nothing of region A, whatever ?region= says.
    page = client.get(f"/reports/quarter?q={q.key}&region=reg-a").get_data(as_text=True)
    assert "Министерство rep-a1" not in page
    client.post(f"/reports/snapshot?q={q.key}&region=reg-a")
    xlsx = client.get(f"/reports/export.xlsx?q={q.key}&region=reg-a")
    assert b"rep-a1" not in xlsx.data
    with app.app_context(), scoped(SYSTEM_SCOPE):
        snap = db.session.scalar(
            sa.select(QuarterSnapshot).where(QuarterSnapshot.agency_id == region_a["a1"])
        )
        assert snap.assessment is None
        b_rows = db.session.scalars(
            sa.select(QuarterSnapshot.agency_id).where(
                QuarterSnapshot.agency_id.in_([region_a["a1"], region_a["a2"], region_a["b1"]])
            )
        ).all()
        assert sorted(b_rows) == sorted([region_a["a1"], region_a["a2"], region_a["b1"]])


def test_rls_lets_the_office_read_only_its_region(app, migrated, region_a):
    from tests.conftest import APP_ROLE

    q = _current_quarter(app, region_a["region"])
    with app.app_context():
        for region_id in (region_a["region"], region_a["region_b"]):
            with scoped(SYSTEM_SCOPE):
                reports.take_snapshot(db.session.get(Region, region_id), q)
                db.session.commit()
    engine = sa.create_engine(migrated["app"])
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT current_user")) == APP_ROLE
            # The scope as the application hands it over: signed with the configured key.
            push_scope(conn, Scope("region", region_id=region_a["region_b"]), key=DEMO_SCOPE_KEY)
            seen = conn.execute(sa.text("SELECT agency_id FROM quarter_snapshot")).scalars().all()
            assert seen == [region_a["b1"]]
            # The office writes nothing directly: assessments go through the service.
            changed = conn.execute(
                sa.text("UPDATE quarter_snapshot SET assessment = 'red'")
            ).rowcount
            assert changed == 0
            conn.rollback()
    finally:
        engine.dispose()


def test_indicators_cost_the_same_queries_for_2_and_8_agencies(app, make_region, make_agency):
    """Fixed number of queries whatever the region's size (the dashboard's stored figures)."""
    counts = []
    for n_agencies in (2, 8):
        region_id = make_region()
        ids = [make_agency(region_id=region_id) for _ in range(n_agencies)]
        for agency_id in ids:
            _add_entries(app, agency_id, [("included", "digital", 0), ("submitted", "offline", 1)])
        # The commits above queued figure refreshes on background threads: let them finish so
        # their queries are not counted, then mark the figures stale so that both sizes are
        # measured cold (computed on the spot).
        app.extensions["inprocess_jobs"].wait(timeout=60)
        with app.app_context(), scoped(SYSTEM_SCOPE):
            stored_figures.mark_stale(db.session.connection(), set(ids))
            db.session.commit()
        with app.app_context(), scoped(SYSTEM_SCOPE):
            region = db.session.get(Region, region_id)
            n = [0]

            def count(*args, n=n, **kwargs):
                n[0] += 1

            wait_for_inprocess_jobs()  # tasks' threads are not what is counted
            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                figures = reports.indicators(region)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            assert len(figures) == n_agencies
            assert all(f["touchpoints"] == 1 and f["pending"] == 1 for f in figures)
            counts.append(n[0])
    assert counts[0] == counts[1], counts
    # Once the dashboard's stored figures are fresh, the report adds only its own few queries.
    with app.app_context(), scoped(SYSTEM_SCOPE):
        stored_figures.refresh(ids)
        db.session.commit()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region = db.session.get(Region, region_id)
        reports.indicators(region)
        n = [0]

        def count_warm(*args, n=n, **kwargs):
            n[0] += 1

        wait_for_inprocess_jobs()  # tasks' threads are not what is counted
        sa.event.listen(db.engine, "before_cursor_execute", count_warm)
        try:
            reports.indicators(region)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count_warm)
    assert n[0] <= 8, n[0]
    print(f"quarterly indicators: {counts[1]} queries cold, {n[0]} with the dashboard reused")


def test_nightly_task_snapshots_every_region_idempotently(app, region_a):
    from workers.schedule import BEAT_SCHEDULE
    from workers.tasks import reports as tasks

    assert BEAT_SCHEDULE["reports-snapshot"]["task"] == "workers.tasks.reports.snapshot_regions"
    with app.app_context():
        assert tasks.snapshot_regions.apply().get() == 2
        assert tasks.snapshot_regions.apply().get() == 2
        with scoped(SYSTEM_SCOPE):
            rows = db.session.scalars(sa.select(QuarterSnapshot.agency_id)).all()
    assert sorted(rows) == sorted([region_a["a1"], region_a["a2"], region_a["b1"]])


def test_cli_exit_codes(app, region_a, tmp_path):
    # 0: written; 1: the region is unknown or the quarter has not begun; 2: a malformed
    # quarter or a file that is neither .xlsx nor .docx (click's usage error).
    runner = app.test_cli_runner()
    q = _current_quarter(app, region_a["region"])

    def run(region, quarter, name):
        return runner.invoke(
            args=["reports", "quarterly", region, "--quarter", quarter, "-o", str(tmp_path / name)]
        )

    assert run("reg-a", q.key, "r.xlsx").exit_code == 0 and (tmp_path / "r.xlsx").exists()
    unknown = run("no-such-region", q.key, "x.xlsx")
    assert unknown.exit_code == 1 and "Нет региона «no-such-region»" in unknown.output
    future = run("reg-a", q.next().key, "x.docx")
    assert future.exit_code == 1 and "ещё не начался" in future.output
    malformed = run("reg-a", "2025-7", "x.xlsx")
    assert malformed.exit_code == 2 and "2026-4" in malformed.output
    wrong_file = run("reg-a", q.key, "x.pdf")
    assert wrong_file.exit_code == 2 and ".xlsx или .docx" in wrong_file.output
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "x.docx").exists()
