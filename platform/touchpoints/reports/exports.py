"""The quarterly report as an XLSX workbook and as a DOCX document in an official layout."""

from __future__ import annotations

from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook

from touchpoints.core.safety import append_row
from touchpoints.core.text import number, ru_date
from touchpoints.core.xlsx import TITLE, WRAP, column_headings, to_bytes
from touchpoints.reports.models import ASSESSMENT_TEXT, ASSESSMENTS, QuarterSnapshot
from touchpoints.reports.services import Quarter, Totals

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PAGE_CHECK = {
    "shown": "показывает актуальную редакцию",
    "not_shown": "не показывает актуальную редакцию",
    "error": "не удалось проверить",
    None: "не проверялась",
}
#: Indicators of one agency: (heading, width in the workbook).
COLUMNS = [
    ("Орган власти", 44),
    ("Редакция №", 10),
    ("Приказ об утверждении", 24),
    ("Размещён на сайте с", 14),
    ("Рабочих дней от утверждения до размещения", 16),
    ("Страница на сайте", 22),
    ("Точек взаимодействия", 12),
    ("Доля цифровых", 10),
    ("Направлений охвачено", 12),
    ("Направлений в форме", 12),
    ("Нарушений (ошибок проверки)", 12),
    ("Процессов реестра без точек", 12),
    ("Ждут проверки", 10),
    ("Последнее подтверждение актуальности", 16),
    ("Оценка проектного офиса", 14),
    ("Комментарий", 48),
]


def title(quarter: Quarter) -> str:
    return (
        "Отчёт о ведении перечней точек взаимодействия с клиентом "
        f"за {quarter.q} квартал {quarter.year} г."
    )


def order_text(s: QuarterSnapshot) -> str:
    if s.version_number is None:
        return "перечень не утверждён"
    return f"№ {s.order_number or '—'} от {ru_date(s.order_date)}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def region_lines(t: Totals) -> list[tuple[str, str]]:
    """The region's indicators as (label, value) for both documents and the page."""
    days = t.average_days
    return [
        ("Органов власти", str(t.agencies)),
        ("С утверждённым перечнем", str(t.approved)),
        ("Актуальный перечень размещён на сайте", f"{t.published} ({pct(t.published_share)})"),
        (
            "Среднее число рабочих дней от утверждения до размещения",
            "—" if days is None else number(round(days, 1)),
        ),
        (
            "Страница на сайте показывает актуальную редакцию",
            f"{t.page_shown} из {t.page_checked} проверенных",
        ),
        ("Точек взаимодействия", str(t.touchpoints)),
        ("Доля цифровых точек взаимодействия", pct(t.digital_share)),
        (
            "Охват направлений деятельности",
            f"{t.areas_covered} из {t.areas_total} ({pct(t.coverage)})",
        ),
        ("Нарушений (ошибок проверки перечней)", str(t.errors)),
        ("Сведений, ждущих проверки", str(t.pending)),
        ("Процессов реестра без точек взаимодействия", str(t.uncovered_processes)),
        (
            "Последнее подтверждение актуальности",
            _reconfirmed(t),
        ),
        (
            "Оценка проектного офиса",
            ", ".join(f"{ASSESSMENTS[k]}: {n}" for k, n in t.assessments.items()),
        ),
    ]


def _reconfirmed(t: Totals) -> str:
    if t.last_reconfirmed_on is None:
        return "ни один орган власти не подтверждал"
    text = ru_date(t.last_reconfirmed_on)
    return text + (f"; ещё не подтверждали: {t.never_reconfirmed}" if t.never_reconfirmed else "")


def row_values(s: QuarterSnapshot) -> list:
    return [
        s.agency.full_name,
        s.version_number,
        order_text(s),
        s.published_on if s.published_on else "не размещён",
        s.days_to_publish,
        PAGE_CHECK.get(s.page_check, s.page_check),
        s.touchpoints,
        round(s.digital_share, 4) if s.digital_share is not None else None,
        s.areas_covered,
        s.areas_total,
        s.errors if s.errors is not None else "нет данных",
        s.uncovered_processes if s.uncovered_processes is not None else "нет данных",
        s.pending,
        s.last_reconfirmed_on,
        s.assessment_label,
        s.assessment_comment,
    ]


def xlsx(region, quarter: Quarter, snaps: list[QuarterSnapshot], t: Totals, made: date) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Органы власти"
    append_row(ws, [title(quarter)])
    ws["A1"].font = TITLE
    append_row(ws, [f"Регион: {region.name}", None, None, f"Дата: {made:%d.%m.%Y}"])
    ws.append([])
    header = column_headings(ws, COLUMNS)
    for s in snaps:
        # Names and the office's comments are text, never formulas (core.safety).
        append_row(ws, row_values(s))
        n = ws.max_row
        for col in (4, 14):
            ws.cell(row=n, column=col).number_format = "DD.MM.YYYY"
        ws.cell(row=n, column=8).number_format = "0%"
        ws.cell(row=n, column=16).alignment = WRAP
    ws.freeze_panes = ws.cell(row=header + 1, column=2)

    rg = wb.create_sheet("Регион")
    append_row(rg, [title(quarter)])
    rg["A1"].font = TITLE
    append_row(rg, [f"Регион: {region.name}"])
    rg.append([])
    for label, value in region_lines(t):
        append_row(rg, [label, value])
    rg.column_dimensions["A"].width = 58
    rg.column_dimensions["B"].width = 40
    return to_bytes(wb)


def _para(doc, text: str, *, bold=False, size=14, align=None, space_after=6):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold, run.font.size = bold, Pt(size)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    return p


def _table(doc, header: list[str], rows: list[list[str]], widths: list[float]):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = True, Pt(10)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(str(text)).font.size = Pt(10)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def docx(region, quarter: Quarter, snaps: list[QuarterSnapshot], t: Totals, made: date) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(14)
    section = doc.sections[0]
    # A wide table: landscape A4 with the usual official margins (ГОСТ Р 7.0.97-2016).
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2.0), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2.0)

    _para(doc, "Проектный офис", size=12, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    _para(doc, region.name, size=12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, title(quarter), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    _para(doc, f"Регион: {region.name}", size=12, space_after=0)
    _para(doc, f"Дата составления: {ru_date(made, long=True)}", size=12, space_after=0)
    taken = max((s.taken_at for s in snaps), default=None)
    if taken is not None:
        _para(
            doc,
            f"Показатели по состоянию на {ru_date(taken.astimezone(region.tz).date(), long=True)}",
            size=12,
        )

    _para(doc, "1. Показатели по региону", bold=True, size=14)
    _table(doc, ["Показатель", "Значение"], [list(x) for x in region_lines(t)], [16.0, 10.0])

    _para(doc, "", size=6)
    _para(doc, "2. Показатели органов власти", bold=True, size=14)
    _table(
        doc,
        [
            "№ п/п",
            "Орган власти",
            "Утверждённая редакция",
            "Размещение на сайте",
            "Доля цифровых",
            "Охват направлений",
            "Нарушений",
            "Процессов без точек",
            "Ждут проверки",
            "Последнее подтверждение",
        ],
        [
            [
                str(i),
                s.agency.full_name,
                f"№ {s.version_number}, приказ {order_text(s)}"
                if s.version_number
                else order_text(s),
                (
                    f"с {ru_date(s.published_on)}"
                    + (
                        f", через {s.days_to_publish} раб. дн."
                        if s.days_to_publish is not None
                        else ""
                    )
                    + f"; страница {PAGE_CHECK.get(s.page_check, s.page_check)}"
                )
                if s.published_on
                else f"не размещён; страница {PAGE_CHECK.get(s.page_check, s.page_check)}",
                pct(s.digital_share),
                f"{s.areas_covered} из {s.areas_total}",
                "нет данных" if s.errors is None else str(s.errors),
                "нет данных" if s.uncovered_processes is None else str(s.uncovered_processes),
                str(s.pending),
                ru_date(s.last_reconfirmed_on),
            ]
            for i, s in enumerate(snaps, start=1)
        ],
        [1.2, 5.6, 3.4, 4.4, 1.8, 2.0, 1.6, 1.6, 1.6, 2.0],
    )

    _para(doc, "", size=6)
    _para(doc, "3. Оценка проектного офиса", bold=True, size=14)
    _table(
        doc,
        ["№ п/п", "Орган власти", "Оценка", "Комментарий"],
        [
            [
                str(i),
                s.agency.full_name,
                f"{s.assessment_label} — {ASSESSMENT_TEXT[s.assessment]}"
                if s.assessment
                else s.assessment_label,
                s.assessment_comment or "—",
            ]
            for i, s in enumerate(snaps, start=1)
        ],
        [1.2, 8.0, 5.0, 11.0],
    )
    return to_bytes(doc)
