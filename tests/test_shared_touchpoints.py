"""Shared touchpoints (issue 16, item 5): one region-level touchpoint (a multifunctional centre
«Мои документы», a regional hotline) that many agencies' lists reference; the project office
keeps it and sees which agencies use it. Row-level security: the region's agencies read it,
only the office and the operator write it, another region sees nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import data, form_post, in_agency

from touchpoints.auth.roles import Role
from touchpoints.config import DEMO_SCOPE_KEY
from touchpoints.core.db import SYSTEM_SCOPE, Scope, agency_scope, db, push_scope, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists.models import Entry
from touchpoints.lists.passports import SharedTouchpoint


@pytest.fixture
def region(app, make_region, make_agency, make_user):
    """A region with two agencies and its office, and another region with one agency."""
    rid = make_region()
    a1, a2 = make_agency(region_id=rid), make_agency(region_id=rid)
    other_rid = make_region()
    other = make_agency(region_id=other_rid)
    return {
        "region": rid,
        "agencies": (a1, a2),
        "registrars": (
            make_user(Role.REGISTRAR, agency_id=a1),
            make_user(Role.REGISTRAR, agency_id=a2),
        ),
        "office": make_user(Role.OFFICE, region_id=rid),
        "other_region": other_rid,
        "other_agency": other,
        "other_office": make_user(Role.OFFICE, region_id=other_rid),
        "other_registrar": make_user(Role.REGISTRAR, agency_id=other),
    }


def _create(client, name="МФЦ «Мои документы»", kind="offline"):
    response = client.post(
        "/registry/shared/new", data={"name": name, "channel_kind": kind, "description": "Сеть МФЦ"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].split("?")[0].rstrip("/").rsplit("/", 1)[1])


def test_office_keeps_a_shared_touchpoint_and_sees_who_uses_it(app, client, region):
    login(client, app, region["office"])
    sid = _create(client)
    # The same name again is refused.
    response = client.post(
        "/registry/shared/new", data={"name": "мфц «мои документы»", "channel_kind": "offline"}
    )
    assert response.status_code == 400 and "уже есть" in response.get_data(as_text=True)

    # Both agencies of the region pick it in the entry form; the other region does not see it.
    a1, a2 = region["agencies"]
    for aid, registrar, rows in (
        (a1, region["registrars"][0], 2),
        (a2, region["registrars"][1], 1),
    ):
        client.post("/logout")
        login(client, app, registrar)
        page = client.get("/list/entries/new").get_data(as_text=True)
        assert f'value="shared:{sid}"' in page and "общая точка региона" in page
        with in_agency(app, aid) as agency:
            form = agency.form
        for i in range(rows):
            post = form_post(
                form,
                process_name=f"Процесс {i}",
                interaction="Приём",
                touchpoint_code=f"shared:{sid}",
            )
            post["action"] = "draft"
            assert client.post("/list/entries/new", data=post).status_code == 302
        with in_agency(app, aid):
            for entry in db.session.scalars(sa.select(Entry).where(Entry.agency_id == aid)):
                assert entry.shared_touchpoint_id == sid
                assert entry.touchpoint == "МФЦ «Мои документы»" and entry.channel_kind == "offline"
                entry.status = "included"
            db.session.commit()
    client.post("/logout")
    login(client, app, region["other_registrar"])
    assert f"shared:{sid}" not in client.get("/list/entries/new").get_data(as_text=True)

    # The office's page: which agencies use it and how many rows each.
    client.post("/logout")
    login(client, app, region["office"])
    with app.app_context(), scoped(SYSTEM_SCOPE):
        names = {aid: db.session.get(Agency, aid).short_name for aid in (a1, a2)}
    page = client.get(f"/registry/shared/{sid}").get_data(as_text=True)
    # Each agency with its number of rows (2 and 1).
    for aid, rows in ((a1, 2), (a2, 1)):
        assert re.search(re.escape(names[aid]) + r"</a></td><td>" + str(rows) + "<", page), names[
            aid
        ]
    index = client.get("/registry/shared/").get_data(as_text=True)
    assert "<td>2</td>" in index  # two agencies use it
    # Editing and archiving.
    response = client.post(
        f"/registry/shared/{sid}",
        data={"name": "МФЦ", "channel_kind": "offline", "action": "archive"},
    )
    assert response.status_code == 302
    with app.app_context(), scoped(SYSTEM_SCOPE):
        item = db.session.get(SharedTouchpoint, sid)
        assert item.name == "МФЦ" and item.archived_at is not None


def test_an_entry_cannot_name_another_regions_shared_touchpoint(app, client, region):
    login(client, app, region["other_office"])
    foreign = _create(client, "Горячая линия 122", "digital")
    aid, registrar = region["agencies"][0], region["registrars"][0]
    with in_agency(app, aid) as agency:
        from touchpoints.auth.models import User
        from touchpoints.lists import services
        from touchpoints.lists.errors import ReviewError

        with pytest.raises(ReviewError, match="нет в регионе"):
            services.create_entry(
                agency,
                db.session.get(User, registrar),
                data(agency.form, shared_touchpoint_id=foreign),
            )


def test_other_region_and_agencies_cannot_manage_it(app, client, region):
    login(client, app, region["office"])
    sid = _create(client)
    client.post("/logout")
    login(client, app, region["other_office"])
    assert client.get(f"/registry/shared/{sid}").status_code == 404
    assert (
        client.post(
            f"/registry/shared/{sid}", data={"name": "x", "channel_kind": "digital"}
        ).status_code
        == 404
    )
    client.post("/logout")
    login(client, app, region["registrars"][0])
    assert client.get("/registry/shared/").status_code == 403
    assert (
        client.post(
            "/registry/shared/new", data={"name": "x", "channel_kind": "digital"}
        ).status_code
        == 403
    )


def test_row_level_security(app, migrated, region):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        item = SharedTouchpoint(
            region_id=region["region"], name="Горячая линия", channel_kind="digital"
        )
        db.session.add(item)
        db.session.commit()
        sid = item.id
    engine = sa.create_engine(migrated["app"])
    count = sa.text("SELECT count(*) FROM shared_touchpoint WHERE id = :i")
    try:
        with engine.connect() as conn:
            for scope, visible in (
                (agency_scope(region["agencies"][0]), 1),
                (agency_scope(region["other_agency"]), 0),
                (Scope("region", region_id=region["region"]), 1),
                (Scope("region", region_id=region["other_region"]), 0),
                (Scope("public"), 0),
            ):
                push_scope(conn, scope, key=DEMO_SCOPE_KEY)
                assert conn.scalar(count, {"i": sid}) == visible, scope
                conn.rollback()
            assert conn.scalar(count, {"i": sid}) == 0  # no scope: nothing
            conn.rollback()
            # An agency reads it but does not write it; the office of the region does.
            push_scope(conn, agency_scope(region["agencies"][0]), key=DEMO_SCOPE_KEY)
            changed = conn.execute(
                sa.text("UPDATE shared_touchpoint SET name = 'взлом' WHERE id = :i"), {"i": sid}
            ).rowcount
            assert changed == 0
            conn.rollback()
            push_scope(conn, agency_scope(region["agencies"][0]), key=DEMO_SCOPE_KEY)
            with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
                conn.execute(
                    sa.text(
                        "INSERT INTO shared_touchpoint (region_id, name, channel_kind, description, "
                        "created_at, updated_at) VALUES (:r, 'x', 'digital', '', now(), now())"
                    ),
                    {"r": region["region"]},
                )
            conn.rollback()
            push_scope(conn, Scope("region", region_id=region["region"]), key=DEMO_SCOPE_KEY)
            changed = conn.execute(
                sa.text("UPDATE shared_touchpoint SET description = 'офис' WHERE id = :i"),
                {"i": sid},
            ).rowcount
            assert changed == 1
            conn.rollback()
    finally:
        engine.dispose()
