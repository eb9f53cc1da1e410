"""A large order rendered in parts by parallel processes (issue 15, docs/pdf.md): real processes,
real PDFs merged with pypdf and read back as text.

The threshold and the part size are settings, so a list of a few dozen rows makes several parts.
The list is in the Kuzbass form (three columns, processes heading their rows, areas heading
their groups: Kuzbass 3.5, the list is formed for each activity area), so every heading is text
that the PDF must show exactly once.
"""

from __future__ import annotations

import io
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest
from lists_support import add_included, data, in_agency
from pypdf import PdfReader

from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.lists import services as lists
from touchpoints.orders import chunks, claim, document, rendering, storage
from touchpoints.orders.document import AppendixGroup, ListAppendix
from touchpoints.orders.models import DocumentStatus, OrderDocument

pytestmark = pytest.mark.slow

#: Rows per process (area index, process count, rows per process); area 2 is not performed.
PLAN = [(0, 3, 5), (1, 4, 4), (3, 2, 6)]
NOT_PERFORMED = 2


def norm(text: str) -> str:
    return " ".join(text.split())


def pages_of(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [norm(p.extract_text()) for p in reader.pages]


# --------------------------------------------------------------------------- splitting


def _appendix() -> ListAppendix:
    """Three areas (one not performed), processes of several rows, merged cells (None)."""
    groups, number = [], 0
    for a, title in enumerate(("Услуги", "Поддержка", "Контроль", "Обращения")):
        group = AppendixGroup(title, not_performed=a == 2)
        for p in range(0 if a == 2 else 3):
            rows = []
            for r in range(4):
                number += 1
                rows.append([str(number), None if r else f"П{a}{p}", f"строка {number}"])
            group.subgroups.append((f"Процесс {a}.{p}", rows))
        groups.append(group)
    return ListAppendix("Перечень", [], groups, number)


@pytest.mark.parametrize("count", [2, 3, 5, 36])
def test_split_keeps_every_row_once_in_order_and_heads_each_group_once(count):
    whole = _appendix()
    split = chunks.split_appendix(whole, count)
    assert len(split) == min(count, 36)
    rows = [
        cells
        for part in split
        for g in part.groups
        for _, subgroup in g.subgroups
        for cells in subgroup
    ]
    assert [c[0] for c in rows] == [str(n) for n in range(1, 37)]
    assert sum(p.row_count for p in split) == 36
    assert max(p.row_count for p in split) - min(p.row_count for p in split) <= 1
    titles = [g.title for p in split for g in p.groups if g.title]
    assert titles == ["Услуги", "Поддержка", "Контроль", "Обращения"]
    assert [g.title for p in split for g in p.groups if g.not_performed] == ["Контроль"]
    headings = [h for p in split for g in p.groups for h, _ in g.subgroups if h]
    assert headings == [h for g in whole.groups for h, _ in g.subgroups]
    whole_rows, above, filled = {}, None, {}
    for g in whole.groups:
        for _, subgroup in g.subgroups:
            for cells in subgroup:
                above = cells[1] if cells[1] is not None else above
                whole_rows[cells[0]] = cells
                filled[cells[0]] = [cells[0], above, cells[2]]
    firsts = {
        part.groups[0].subgroups[0][1][0][0] for part in split[1:] if part.groups[0].subgroups
    }
    for cells in rows:
        # The row that starts a part writes out the process it continues (its page would show
        # an empty cell); elsewhere a continued cell stays merged with the one above.
        assert cells == (filled if cells[0] in firsts else whole_rows)[cells[0]]


def test_split_order_prints_the_order_first_and_the_changes_last():
    data_ = document.OrderData(
        draft=False,
        agency_name="А",
        agency_genitive="А",
        city="Г",
        order_number="1",
        order_date=None,
        title="Т",
        preamble="",
        paragraphs=[],
        signatory_title="",
        signatory_name="",
        appendix=_appendix(),
        changes=document.ChangesAppendix("Изменения", "", []),
    )
    split = chunks.split_order(data_, 3)
    assert [(d.prints_order, d.prints_appendix_opening, d.prints_changes) for d in split] == [
        (True, True, False),
        (False, False, False),
        (False, False, True),
    ]
    # The heading says «Приложение № 1» in the first part because the order has changes.
    assert all(d.changes is data_.changes for d in split)


def test_part_count_fills_every_process():
    assert chunks.part_count(5000, 1250, 2) == 4
    assert chunks.part_count(5000, 1000, 2) == 6
    assert chunks.part_count(1100, 1250, 2) == 2
    assert chunks.part_count(900, 1250, 1) == 1


# --------------------------------------------------------------------------- rendering


@pytest.fixture
def large_list(app, make_agency, make_user):
    """A Kuzbass-form agency with 47 rows in three areas and a fourth area not performed."""
    agency_id = make_agency(template="kuzbass-3")
    user_id = make_user(Role.REGISTRAR, agency_id=agency_id)
    with in_agency(app, agency_id) as agency:
        form = agency.form
    areas = [a["code"] for a in form["activity_areas"]]
    rows, n = [], 0
    for a, processes, per in PLAN:
        for p in range(processes):
            for _ in range(per):
                n += 1
                rows.append(
                    data(
                        form,
                        area=areas[a],
                        process=f"Процесс {a}-{p}",
                        touchpoint=f"Точка {n:03d}",
                        interaction=f"Строка {n:03d}",
                    )
                )
    add_included(app, agency_id, user_id, rows)
    with in_agency(app, agency_id) as agency:
        lists.set_area_not_performed(agency, areas[NOT_PERFORMED], True, "Не осуществляется")
        db.session.commit()
        names = [form["activity_areas"][a]["name"] for a in (0, 1, NOT_PERFORMED, 3)]
    return {"agency_id": agency_id, "rows": n, "areas": names}


@pytest.fixture
def in_parts(app, monkeypatch):
    monkeypatch.setitem(app.config, "ORDER_PDF_PARALLEL_ROWS", 10)
    monkeypatch.setitem(app.config, "ORDER_PDF_PART_ROWS", 12)
    monkeypatch.setitem(app.config, "ORDER_PDF_PROCESSES", 2)
    return app


def _render(app, agency_id: int):
    with in_agency(app, agency_id) as agency:
        return rendering.render_order(agency, None)


def test_large_order_in_parts_reads_as_one_document(in_parts, large_list):
    app, agency_id = in_parts, large_list["agency_id"]
    with app.app_context():
        assert rendering.parallel_parts(large_list["rows"]) == (4, 2)
    before = rendering.render_count()
    rendered = _render(app, agency_id)
    assert rendering.render_count() == before + 1
    assert len(rendered.part_cpu) == 2 and all(c > 0 for c in rendered.part_cpu)
    reader, pages = pages_of(rendered.pdf)
    total = len(pages)
    assert rendered.pages == total >= 5  # the order's page, then four parts of the appendix
    full = " ".join(pages)
    # «Стр. N из M» continues across the parts; the draft mark is on every page.
    for i, text in enumerate(pages, start=1):
        assert f"Стр. {i} из {total}" in text, f"page {i}: {text[-80:]}"
        assert len(re.findall(r"Стр\. \d+ из \d+", text)) == 1
        assert "ПРОЕКТ" in text, f"page {i} has no draft mark"
    # The order itself and the appendix's heading and title once, on the first pages.
    assert "ПРИКАЗ" in pages[0] and full.count("ПРИКАЗ") == 1
    assert full.count("к приказу") == 1 and full.count("приказываю:") == 1
    assert not reader.pages[0].mediabox.width > reader.pages[0].mediabox.height
    assert all(p.mediabox.width > p.mediabox.height for p in reader.pages[1:])
    # Every row once, in order, none lost or doubled at the borders of the parts.
    found = [int(n) for n in re.findall(r"Строка (\d{3})", full)]
    assert found == list(range(1, large_list["rows"] + 1))
    # Each area and each process heads its rows once, before them; the area not performed too.
    for name in large_list["areas"]:
        assert full.count(norm(name)) == 1, name
    assert full.count("Направление деятельности не осуществляется") == 1
    positions = [full.index(norm(name)) for name in large_list["areas"]]
    assert positions == sorted(positions)
    n = 0
    for a, processes, per in PLAN:
        for p in range(processes):
            assert full.count(f"Процесс {a}-{p}") == 1
            assert full.index(f"Процесс {a}-{p}") < full.index(f"Строка {n + 1:03d}")
            n += per
    # The header and the row of column numbers repeat on every appendix page.
    for text in pages[1:]:
        assert "Точки взаимодействия с внутренним клиентом" in text and "1 2 3" in text
    # Below the threshold one process renders the same rows; each part starts a page, so the
    # whole document never has more pages.
    in_parts.config["ORDER_PDF_PARALLEL_ROWS"] = large_list["rows"] + 1
    with in_parts.app_context():
        assert rendering.parallel_parts(large_list["rows"]) == (1, 0)
    whole = _render(app, agency_id)
    whole_text = " ".join(pages_of(whole.pdf)[1])
    assert re.findall(r"Строка \d{3}", whole_text) == re.findall(r"Строка \d{3}", full)
    assert whole.pages <= rendered.pages


def _part_processes() -> list[int]:
    """Processes started by this one to render parts (multiprocessing's spawn)."""
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = int(re.search(r"PPid:\s+(\d+)", status.read_text()).group(1))
            cmdline = (status.parent / "cmdline").read_bytes()
        except (OSError, AttributeError):
            continue
        if ppid == os.getpid() and b"spawn_main" in cmdline:
            out.append(int(status.parent.name))
    return out


def test_a_killed_part_fails_the_render_visibly_and_a_retry_renders(in_parts, large_list):
    app, agency_id = in_parts, large_list["agency_id"]
    with in_agency(app, agency_id) as agency:
        doc = OrderDocument(
            agency_id=agency_id, key=storage.draft_key(agency), draft=True, with_changes=True
        )
        db.session.add(doc)
        db.session.commit()
        doc_id = doc.id
    seen: dict = {}

    def kill_a_part():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen.get("killed"):
            found = _part_processes()
            if found:
                # The claim holds while the parts render: a second worker finds it busy.
                with app.app_context():
                    seen["second"] = claim.render_document(agency_id, doc_id)
                os.kill(found[0], signal.SIGKILL)
                seen["killed"] = found[0]
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_part)
    killer.start()
    with app.app_context():
        result = claim.render_document(agency_id, doc_id)
    killer.join()
    assert seen.get("killed") and seen["second"] == "busy"
    assert result == "failed"
    with in_agency(app, agency_id):
        doc = db.session.get(OrderDocument, doc_id)
        assert doc.status == DocumentStatus.FAILED.value and doc.pdf is None
        assert doc.error == "Не удалось сформировать PDF. Попробуйте ещё раз позже."
    # The other part's process is stopped with it, not left rendering for nobody.
    deadline = time.monotonic() + 10
    while _part_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _part_processes() == []
    # A failed document is claimed again (the task's retry) and rendered whole.
    with app.app_context():
        assert claim.render_document(agency_id, doc_id) == "rendered"
    with in_agency(app, agency_id):
        doc = db.session.get(OrderDocument, doc_id)
        assert doc.status == DocumentStatus.READY.value and doc.error is None
        _, pages = pages_of(doc.pdf)
    assert doc.pages == len(pages)
    assert f"Стр. {len(pages)} из {len(pages)}" in pages[-1]


def test_a_part_that_raises_fails_the_whole_render():
    with pytest.raises(Exception) as failure:
        chunks.render_parts(["<p>Первая часть</p>", None], 2)
    assert not isinstance(failure.value, chunks.PartLost)
    assert _part_processes() == []
