"""Builds an agency with approved versions and, beside them, everything that must stay private:
drafts, submitted, returned, excluded and not-yet-approved entries, each carrying a marker text
(shared by tests/test_public*.py and tests/test_api*.py)."""

from __future__ import annotations

import uuid
from datetime import date

from lists_support import approve_list

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists import services as lists
from touchpoints.lists.models import Entry

PRIVATE_KINDS = ("EXCLUDED", "WORKING", "DRAFT", "RETURNED", "SUBMITTED", "CHANGE")


def build_published(app, make_agency, make_user, *, region_id=None, slug=None) -> dict:
    """Version 1 (two entries, one later excluded) and version 2 (without it, plus a new one)."""
    tag = uuid.uuid4().hex[:8]
    agency_id = make_agency(slug=slug, region_id=region_id)
    registrar_id = make_user(
        Role.REGISTRAR,
        agency_id=agency_id,
        name=f"Регистратор {tag}",
        email=f"reg-{tag}@staff.example",
    )
    editor_id = make_user(
        Role.EDITOR, agency_id=agency_id, name=f"Редактор {tag}", email=f"ed-{tag}@staff.example"
    )
    m = {k: f"{k}-{tag}" for k in ("PUB1", "PUB2", *PRIVATE_KINDS)}
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        registrar = db.session.get(User, registrar_id)
        editor = db.session.get(User, editor_id)
        area = agency.form["activity_areas"][0]["code"]

        def new(user, process):
            return lists.create_entry(
                agency,
                user,
                {
                    "activity_area": area,
                    "process_name": process,
                    "touchpoint": "Официальный сайт",
                    "channel_kind": "digital",
                    "client_needs": ["info"],
                    "interaction": f"Взаимодействие {process}",
                    "subdivision_id": editor.subdivision_id,
                },
            )

        pub1 = new(registrar, m["PUB1"])
        lists.include(pub1, registrar)
        excluded = new(registrar, m["EXCLUDED"])
        lists.include(excluded, registrar)
        v1 = approve_list(agency, registrar, order_number="12-п", order_date=date(2024, 3, 1))
        lists.include(lists.propose_exclusion(excluded, registrar, "Канал закрыт"), registrar)
        pub2 = new(registrar, m["PUB2"])
        lists.include(pub2, registrar)
        v2 = approve_list(agency, registrar, order_number="27-п", order_date=date(2024, 6, 3))
        # Everything below is not approved: it must never be public.
        lists.include(new(registrar, m["WORKING"]), registrar)
        new(editor, m["DRAFT"])
        returned = new(editor, m["RETURNED"])
        lists.submit(returned, editor)
        lists.return_entry(returned, registrar, "Исправьте")
        lists.submit(new(editor, m["SUBMITTED"]), editor)
        target = db.session.get(Entry, pub1.id)
        lists.submit(lists.propose_change(target, editor, {"specifics": m["CHANGE"]}), editor)
        db.session.commit()
        return {
            "agency_id": agency_id,
            "slug": agency.slug,
            "region_id": agency.region_id,
            "markers": m,
            "private": [m[k] for k in PRIVATE_KINDS],
            "staff": [f"Регистратор {tag}", f"Редактор {tag}", f"reg-{tag}@", f"ed-{tag}@"],
            "v1": v1.number,
            "v2": v2.number,
            "registrar_id": registrar_id,
            "editor_id": editor_id,
        }


def approve_another(app, data: dict, process: str) -> int:
    """Approves one more version with a new entry; returns its number."""
    with app.app_context(), scoped(agency_scope(data["agency_id"])):
        agency = db.session.get(Agency, data["agency_id"])
        registrar = db.session.get(User, data["registrar_id"])
        entry = lists.create_entry(
            agency,
            registrar,
            {
                "activity_area": agency.form["activity_areas"][0]["code"],
                "process_name": process,
                "touchpoint": "Телефон",
                "channel_kind": "offline",
                "client_needs": ["consultation"],
                "interaction": "Консультации",
            },
        )
        lists.include(entry, registrar)
        version = approve_list(agency, registrar, order_number="40-п", order_date=date(2024, 9, 2))
        db.session.commit()
        return version.number
