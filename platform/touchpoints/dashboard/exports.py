"""The dashboard as an XLSX workbook and as a PDF report for the office's meetings."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from touchpoints.core.safety import append_row
from touchpoints.core.text import date_short
from touchpoints.core.xlsx import TITLE, column_headings, heading, to_bytes
from touchpoints.dashboard.board import AgencyRow, Dashboard

COLUMNS = [
    ("Орган власти", 44),
    ("Форма", 24),
    ("Редакция №", 11),
    ("Дата приказа", 13),
    ("Размещение", 24),
    ("Строк (точек)", 12),
    ("Внешние клиенты", 12),
    ("Внутренние клиенты", 12),
    ("Доля цифровых", 11),
    ("Направлений охвачено", 12),
    ("Направлений в форме", 12),
    ("Не осуществляется", 12),
    ("Потребностей охвачено", 12),
    ("Потребностей в форме", 12),
    ("Ошибок", 9),
    ("Предупреждений", 12),
    ("Ждут проверки", 11),
    ("Дней с изменения", 11),
    ("Последнее напоминание", 18),
]
NO_DATA = "нет данных"


def row_values(r: AgencyRow) -> list:
    return [
        r.full_name,
        r.form_name,
        r.version_number,
        r.version_date,
        r.publication.label if r.publication else NO_DATA,
        r.touchpoints,
        r.external,
        r.internal,
        round(r.digital_share, 4) if r.digital_share is not None else None,
        r.areas_covered,
        r.areas_total,
        r.areas_not_performed,
        r.needs_covered,
        r.needs_total,
        r.errors if r.errors is not None else NO_DATA,
        r.warnings if r.warnings is not None else NO_DATA,
        r.pending,
        r.days_since_change,
        r.last_reminder_at.replace(tzinfo=None) if r.last_reminder_at else None,
    ]


def xlsx(region, board: Dashboard, rows: list[AgencyRow], heat: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Сводка"
    append_row(
        ws,
        [f"Сводка по органам власти: {region.name}", None, None, f"на {date_short(board.today)}"],
    )
    ws["A1"].font = TITLE
    h = board.headline
    append_row(ws, ["Органов власти", h.agencies])
    append_row(ws, ["С утверждённым перечнем", h.approved])
    append_row(ws, ["Размещено в срок", h.on_time if h.on_time is not None else NO_DATA])
    append_row(ws, ["Просрочено размещение", h.overdue if h.overdue is not None else NO_DATA])
    append_row(ws, ["Точек взаимодействия в регионе", h.touchpoints])
    append_row(
        ws,
        [
            "Средняя доля цифровых",
            round(h.average_digital_share, 4) if h.average_digital_share is not None else None,
        ],
    )
    ws.cell(row=7, column=2).number_format = "0%"
    append_row(ws, [])
    header_row = column_headings(ws, COLUMNS)
    for r in rows:
        append_row(ws, row_values(r))
        n = ws.max_row
        ws.cell(row=n, column=4).number_format = "DD.MM.YYYY"
        ws.cell(row=n, column=9).number_format = "0%"
        ws.cell(row=n, column=19).number_format = "DD.MM.YYYY HH:MM"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(COLUMNS))}{ws.max_row}"

    areas = board.catalogue["activity_areas"]
    hm = wb.create_sheet("Направления")
    append_row(hm, ["Орган власти", *[a["name"] for a in areas]])
    heading(hm[1])
    hm.column_dimensions["A"].width = 44
    for j in range(len(areas)):
        hm.column_dimensions[get_column_letter(j + 2)].width = 18
    for r, values in zip(rows, heat, strict=True):
        append_row(hm, [r.full_name, *["не осуществляется" if v is None else v for v in values]])

    taxonomy = board.used_taxonomy()
    ch = wb.create_sheet("Каналы")
    append_row(ch, ["Орган власти", *[t["name"] for t in taxonomy]])
    heading(ch[1])
    ch.column_dimensions["A"].width = 44
    for r in rows:
        append_row(ch, [r.full_name, *[r.taxonomy.get(t["code"], 0) for t in taxonomy]])

    tl = wb.create_sheet("По месяцам")
    append_row(tl, ["Месяц", "Изменений перечней", "Утверждено редакций"])
    heading(tl[1], wrap=False)
    for month, changes, approvals in board.timeline:
        append_row(tl, [f"{month[5:7]}.{month[:4]}", changes, approvals])
    return to_bytes(wb)


class _NoFetch(URLFetcher):
    """The report needs nothing from outside: refuse file:// (local files) and the network."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"ресурс не разрешён в отчёте: {url[:80]}")


def pdf(html: str) -> bytes:
    return HTML(string=html, url_fetcher=_NoFetch()).write_pdf()
