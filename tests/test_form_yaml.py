"""YAML remains the operator's bulk path (issue 12, item 5; docs/forms.md): overrides merge key
by key, `flask tenants export` writes what the editor edits and `flask tenants sync` reads it
back unchanged."""

from __future__ import annotations

import copy
import shutil

import sqlalchemy as sa
import yaml

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.tenants.loader import DefinitionError, load
from touchpoints.tenants.merge import merge, overrides
from touchpoints.tenants.schema import FormDefinition, jsonable

BASE = {
    "title": "T",
    "columns": [
        {"key": "a", "label": "A", "field": "activity_area", "width": 10},
        {"key": "b", "label": "B", "field": "touchpoint", "width": 20, "required": True},
        {"key": "c", "label": "C", "field": "interaction", "width": 30},
    ],
    "procedure": {"rules": {"x": {"clause": "п. 1", "limit": 4}, "y": {"clause": "п. 2"}}},
}


def test_lists_merge_by_key_and_maps_deeply():
    merged = merge(
        BASE,
        {
            "columns": [
                {"key": "b", "label": "Б"},
                {"key": "d", "label": "D", "field": "extra", "width": 5},
                {"key": "a", "remove": True},
            ],
            "procedure": {"rules": {"x": {"limit": 2}, "y": None}},
        },
    )
    # One column changed one field; the others are the template's; a new one comes last.
    assert merged["columns"] == [
        {"key": "b", "label": "Б", "field": "touchpoint", "width": 20, "required": True},
        {"key": "c", "label": "C", "field": "interaction", "width": 30},
        {"key": "d", "label": "D", "field": "extra", "width": 5},
    ]
    assert merged["procedure"] == {"rules": {"x": {"clause": "п. 1", "limit": 2}}}
    assert merged["title"] == "T"
    # `after` moves an item; "" puts it first.
    moved = merge(BASE, {"columns": [{"key": "c", "after": ""}, {"key": "a", "after": "b"}]})
    assert [c["key"] for c in moved["columns"]] == ["c", "b", "a"]
    assert BASE["columns"][0]["key"] == "a"  # the template itself is untouched


def test_overrides_are_the_smallest_that_merge_back():
    target = copy.deepcopy(BASE)
    target["columns"][1]["label"] = "Точка"
    assert overrides(BASE, target) == {"columns": [{"key": "b", "label": "Точка"}]}
    assert overrides(BASE, copy.deepcopy(BASE)) == {}
    # Reordered, one removed, one added, a field dropped, a map key removed: still exact.
    target = copy.deepcopy(BASE)
    target["columns"] = [
        {"key": "c", "label": "C", "field": "interaction"},
        {"key": "e", "label": "E", "field": "extra", "width": 1},
        {"key": "a", "label": "A", "field": "activity_area", "width": 10},
    ]
    del target["procedure"]["rules"]["y"]
    changes = overrides(BASE, target)
    assert merge(BASE, changes) == target
    assert changes["procedure"] == {"rules": {"y": None}}
    assert {"key": "b", "remove": True} in changes["columns"]


def _tenants_copy(app, tmp_path):
    target = tmp_path / "tenants"
    shutil.copytree(app.config["TENANTS_DIR"], target)
    return target


def test_an_override_of_one_column_restates_nothing_else(app_ctx, tmp_path):
    tenants = _tenants_copy(app_ctx, tmp_path)
    path = tenants / "murmansk-tourism" / "agency.yaml"
    agency = yaml.safe_load(path.read_text(encoding="utf-8"))
    agency["form"]["overrides"] = {
        "columns": [{"key": "specifics", "label": "Особенности"}],
        "touchpoints": [{"code": "netdrive", "remove": True}],
        "procedure": {"rules": {"norm_transfers": {"limit": 1}}},
    }
    path.write_text(yaml.safe_dump(agency, allow_unicode=True), encoding="utf-8")
    defs = load(tenants)
    template = jsonable(defs.forms["murmansk-6"])
    form = next(f for a, f in defs.agencies if a.slug == "murmansk-tourism")
    assert [c["label"] for c in form["columns"]][:4] == [c["label"] for c in template["columns"]][
        :4
    ]
    assert form["columns"][4]["label"] == "Особенности"
    assert form["columns"][4]["width"] == template["columns"][4]["width"]
    assert len(form["touchpoints"]) == len(template["touchpoints"]) - 1
    assert form["procedure"]["rules"]["norm_transfers"] == {
        "clause": "п. 3.2.4 Порядка",
        "limit": 1,
    }
    # A broken override is reported with its file and writes nothing.
    agency["form"]["overrides"] = {"columns": [{"key": "touchpoint", "remove": True}]}
    path.write_text(yaml.safe_dump(agency, allow_unicode=True), encoding="utf-8")
    try:
        load(tenants)
    except DefinitionError as exc:
        assert any(
            "agency.yaml" in f and "«Точка взаимодействия» удалить нельзя" in m
            for f, _, m in exc.problems
        ), exc
    else:
        raise AssertionError("a form without a touchpoint column was accepted")


def _edited(form: dict) -> dict:
    """An agency's form after an editor session: a label, an order, a catalogue, the procedure."""
    form = copy.deepcopy(form)
    form["columns"][1]["label"] = "Наименование услуги"
    form["activity_areas"][0], form["activity_areas"][1] = (
        form["activity_areas"][1],
        form["activity_areas"][0],
    )
    form["client_needs"].pop()
    form["touchpoints"].append(
        {"code": "chatbot", "name": "Чат-бот", "channel_kind": "digital", "taxonomy": "chatbot"}
    )
    form["procedure"]["code"] = "own"
    form["procedure"]["rules"]["needs"]["clause"] = "п. 7 приказа № 5"
    del form["procedure"]["rules"]["offline_only"]
    return jsonable(FormDefinition.model_validate(form))


def test_export_then_sync_is_the_identity(seeded, tmp_path):
    app = seeded
    runner = app.test_cli_runner()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        edited = _edited(agency.form)
        agency.form = edited
        db.session.commit()
    tenants = _tenants_copy(app, tmp_path)
    result = runner.invoke(args=["tenants", "export", "murmansk-tourism", "--to", str(tenants)])
    assert result.exit_code == 0, result.output
    path = tenants / "murmansk-tourism" / "agency.yaml"
    assert f"записано: {path}" in result.output
    # The template file is left alone (the database's template is the same).
    assert "forms" not in result.output
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    over = written["form"]["overrides"]
    assert over["columns"] == [{"key": "process", "label": "Наименование услуги"}]
    assert over["procedure"]["rules"] == {
        "needs": {"clause": "п. 7 приказа № 5"},
        "offline_only": None,
    }
    assert {"code": "other", "remove": True} in over["client_needs"]
    first = path.read_bytes()

    # The database loses the edit; a sync of the exported folder brings it back exactly.
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        agency.form = jsonable(load(app.config["TENANTS_DIR"]).forms["murmansk-6"])
        db.session.commit()
    result = runner.invoke(args=["tenants", "sync", "--dir", str(tenants)])
    assert result.exit_code == 0, result.output
    assert "обновлено 1" in result.output and "организация murmansk-tourism (form" in result.output
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        assert agency.form == edited
    # Nothing else differs: a second sync changes nothing, a second export is the same bytes.
    again = runner.invoke(args=["tenants", "sync", "--dir", str(tenants)])
    assert "создано 0, обновлено 0" in again.output
    runner.invoke(args=["tenants", "export", "murmansk-tourism", "--to", str(tenants)])
    assert path.read_bytes() == first


def test_export_of_an_unchanged_agency_and_of_a_form(seeded):
    runner = seeded.test_cli_runner()
    result = runner.invoke(args=["tenants", "export", "kuzbass-emergencies"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.output)
    assert data["form"] == {"template": "kuzbass-3"}
    assert data["name_genitive"] == "Департамента по чрезвычайным ситуациям Кузбасса"
    assert data["subdivisions"][0]["code"] == "civil-defence"
    form = yaml.safe_load(runner.invoke(args=["tenants", "export", "kuzbass-3"]).output)
    assert form["procedure"] == "kuzbass-134" and form["slug"] == "kuzbass-3"
    missing = runner.invoke(args=["tenants", "export", "nobody"])
    assert missing.exit_code == 1 and "Нет ни организации, ни формы" in missing.output
