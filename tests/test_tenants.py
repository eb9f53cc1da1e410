"""Tenant definitions: transcribed from the seeds, synced idempotently, broken ones write nothing."""

import shutil

import pytest
import sqlalchemy as sa

from touchpoints.audit.models import AuditEvent
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.tenants.loader import DefinitionError, load


def _counts():
    with scoped(SYSTEM_SCOPE):
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (Region, Agency, Subdivision, AuditEvent)
        )


def test_sync_twice_changes_nothing_the_second_time(app_ctx):
    runner = app_ctx.test_cli_runner()
    first = runner.invoke(args=["tenants", "sync"])
    assert first.exit_code == 0, first.output
    assert "создано 17" in first.output
    counts = _counts()
    second = runner.invoke(args=["tenants", "sync"])
    assert second.exit_code == 0
    assert "создано 0, обновлено 0" in second.output
    assert _counts() == counts


def test_seed_definitions_are_faithful(app_ctx):
    defs = load(app_ctx.config["TENANTS_DIR"])
    agencies = {a.slug: (a, form) for a, form in defs.agencies}
    mur, mur_form = agencies["murmansk-tourism"]
    kuz, kuz_form = agencies["kuzbass-emergencies"]
    # Murmansk Appendix 2: six numbered columns (№ + five), ten activity areas, needs 2.6.1-2.6.9.
    assert [c["label"] for c in mur_form["columns"]] == [
        "Направление деятельности органа власти",
        "Наименование конкретного процесса",
        "Точка взаимодействия",
        "Осуществляемое взаимодействие с клиентом",
        "Особенности взаимодействия с клиентом",
    ]
    assert len(mur_form["activity_areas"]) == 10
    assert [n["clause"] for n in mur_form["client_needs"]] == [f"2.6.{i}" for i in range(1, 10)]
    # Section 4: 10 digital (4.1.1-4.1.10) and 7 offline (4.2.1-4.2.7) touchpoints.
    kinds = [t["channel_kind"] for t in mur_form["touchpoints"]]
    assert kinds.count("digital") == 10 and kinds.count("offline") == 7
    # Kuzbass appendix: three columns (№ + two); 3.5 areas with the missing item 4 restored; 3.7: ten needs.
    assert [c["label"] for c in kuz_form["columns"]] == [
        "Точки взаимодействия с внутренним клиентом",
        "Порядок взаимодействия с клиентом",
    ]
    assert [a["clause"] for a in kuz_form["activity_areas"]] == [f"3.5.{i}" for i in range(1, 8)]
    assert kuz_form["activity_areas"][3]["name"] == "Рассмотрение обращений и запросов"
    assert len(kuz_form["client_needs"]) == 10
    assert mur.region == "murmansk" and kuz.region == "kuzbass"
    assert kuz.order.procedure_order["date"].isoformat() == "2023-12-08"
    regions = {r.slug: r.timezone for r in defs.regions}
    assert regions == {"murmansk": "Europe/Moscow", "kuzbass": "Asia/Novokuznetsk"}
    # Every form maps each column to a common field or declares it extra.
    assert set(defs.forms) == {"murmansk-6", "kuzbass-3", "default-full"}


@pytest.fixture
def broken_tenants(tmp_path, app):
    target = tmp_path / "tenants"
    shutil.copytree(app.config["TENANTS_DIR"], target)
    return target


def test_broken_definition_names_file_and_field_and_writes_nothing(app_ctx, broken_tenants):
    path = broken_tenants / "kuzbass-emergencies" / "agency.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "template: kuzbass-3", "template: kuzbass-3\n  colour: red"
    )
    path.write_text(text, encoding="utf-8")
    app_ctx.config["TENANTS_DIR"] = broken_tenants
    before = _counts()
    result = app_ctx.test_cli_runner().invoke(args=["tenants", "sync"])
    assert result.exit_code == 1
    assert "kuzbass-emergencies/agency.yaml" in result.output
    assert "form.colour" in result.output
    assert _counts() == before == (0, 0, 0, 0)


def test_broken_form_field_mapping_is_reported(app_ctx, broken_tenants):
    path = broken_tenants / "forms" / "murmansk-6.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("field: process_name", "field: processname"),
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as exc:
        load(broken_tenants)
    problems = exc.value.problems
    assert any(
        p[0].endswith("murmansk-6.yaml") and p[1].startswith("columns.1.field") for p in problems
    )


def test_update_of_a_definition_is_applied_and_audited(app_ctx, broken_tenants):
    runner = app_ctx.test_cli_runner()
    app_ctx.config["TENANTS_DIR"] = broken_tenants
    assert runner.invoke(args=["tenants", "sync"]).exit_code == 0
    path = broken_tenants / "murmansk-tourism" / "agency.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('city: "г. Мурманск"', 'city: "г. Кола"'),
        encoding="utf-8",
    )
    result = runner.invoke(args=["tenants", "sync"])
    assert "обновлено: организация murmansk-tourism (city)" in result.output
    with scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        assert agency.city == "г. Кола"
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "tenant.update")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event.before == {"city": "г. Мурманск"} and event.after == {"city": "г. Кола"}
