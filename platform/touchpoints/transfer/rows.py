"""What each row of an uploaded table is, and the entry values a data row gives; writes nothing.

Row kinds shown in the preview: ``title`` (above the header), ``header`` (the header, or its
repeat at the top of a continuation table), ``numbers`` (the row of column numbers 1..N under
the header, Murmansk Appendix 2), ``group`` (an activity area heading: a cell merged across the
table, Appendix 2's «1 | area | hint of column 3», the Kuzbass «1. | area» row), ``note`` (a
footnote), ``total`` («Итого», «Всего»), ``signature`` («Исполнитель», «Руководитель», a line
for the signature — and everything under it), ``skipped`` (by the person) and ``data``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

from touchpoints.lists.forms import NUMBER_LIMITS, TEXT_LIMITS
from touchpoints.transfer.fields import CHANNEL_LABELS, CLIENT_LABELS, NUMERIC_FIELDS, norm
from touchpoints.transfer.links import Links
from touchpoints.transfer.matching import (
    ENTRY_ID,
    EXTRA_JSON,
    NUMBER,
    TOUCHPOINT_CODE,
    Catalogue,
    Match,
    strip_numbering,
)

#: The question asked for rows of a file that names no activity area at all.
NO_AREA = "направление деятельности не указано в файле"
_TOTAL = re.compile(r"^\s*(итого|всего)\b", re.I)
_SIGNATURE = re.compile(
    r"^\s*(исполнител|подпис|руководител|начальник|заместител|министр|председател|директор|"
    r"согласовано|утверждаю|м\.\s*п\.|тел\.|телефон:|дата\b)|_{4,}|\(подпись\)|\(ф\.?и\.?о\.?\)",
    re.I,
)
_NOTE = re.compile(r"^\s*(\*|¹|²|примечани|сноска|прим\.|справочно)", re.I)
_DIGITAL = ("сайт", "портал", "электрон", "e-mail", "email", "мессенджер", "чат", "социальн",
            "соцсет", "вконтакте", "telegram", "телеграм", "приложени", "онлайн", "интернет",
            "систем", "вкс", "видео", "кабинет", "госуслуг", "бот", "сетев", "арм")  # fmt: skip
_OFFLINE = ("телефон", "звон", "горяч", "личн", "приём", "прием", "письм", "почтов", "журнал",
            "книга", "мфц", "многофункциональн", "голосов", "колл", "бумаж", "рабочее место")  # fmt: skip


@dataclasses.dataclass
class Question:
    """A match the person settles in the preview: ``kind`` area/touchpoint/need/subdivision."""

    kind: str
    text: str
    match: Match

    @property
    def key(self) -> str:
        return norm(strip_numbering(self.text))


@dataclasses.dataclass
class RowResult:
    index: int  # in the session's cells
    line: int  # in its table, as the person sees it
    source: str
    kind: str
    cells: dict[str, str]
    values: dict
    errors: list[str]
    warnings: list[str]
    questions: list[Question] = dataclasses.field(default_factory=list)
    matches: dict[str, Match] = dataclasses.field(default_factory=dict)
    area_name: str = ""
    text: str = ""


def guess_channel(name: str) -> str | None:
    """Seeds 3.1 / 4.1, 2.8-2.9: a touchpoint on the Internet is digital, the others offline."""
    n = (name or "").lower().replace("ё", "е")
    if any(w in n for w in _DIGITAL):
        return "digital"
    if any(w in n for w in _OFFLINE):
        return "offline"
    return None


def is_column_numbers(row: list[str]) -> bool:
    values = [v for v in row if v]
    if len(values) < 2 or not all(v.isdigit() for v in values):
        return False
    numbers = [int(v) for v in values]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] <= 1


def parse_choice(text: str, labels: dict[str, str]) -> str | None:
    n = norm(text)
    aliases = {"онлайн": "digital", "оффлайн": "offline", "офлайн": "offline",
               "цифровой": "digital", "внешние": "external", "внутренние": "internal"}  # fmt: skip
    for code, label in labels.items():
        if n in (norm(code), norm(label)):
            return code
    if aliases.get(n) in labels:
        return aliases[n]
    for code, label in labels.items():
        if n and norm(label)[:5] == n[:5]:
            return code
    return None


def parse_number(text: str, kind):
    raw = text.replace(" ", "").replace(",", ".").lower()
    raw = re.sub(r"(ч|час(а|ов)?|мин(ут[аы]?)?|раз(а)?)\.?$", "", raw)
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or (kind is int and not value.is_integer()):
        return None
    return int(value) if kind is int else value


def split_needs(text: str) -> list[str]:
    parts = [p.strip(" ;•·-—\t") for p in re.split(r"[\n;•]+", text)]
    return [p for p in parts if p]


class RowReader:
    """Classifies rows and turns data rows into values, given the catalogues and the mapping."""

    def __init__(self, form, mapping, catalogues: dict[str, Catalogue], targets, links=None):
        self.form = form
        #: The registry's processes and the region's shared touchpoints rows may name (.links).
        self.links = links if links is not None else Links()
        self.mapping = mapping
        self.areas = catalogues["area"]
        self.touchpoints = catalogues["touchpoint"]
        self.needs = catalogues["need"]
        self.subdivisions = catalogues["subdivision"]
        self.targets = {t.key: t for t in targets}
        self.mapped = {m for m in mapping if m and m != NUMBER}
        self.required = [t for t in targets if t.required and t.key in self.mapped]

    # ----------------------------------------------------------------- kinds

    def kind_of(self, row: list[str], cells: dict, merged: bool) -> tuple[str, str]:
        """(kind, heading text) of a row below the header that is not data-shaped."""
        non_empty = [v for v in row if v]
        distinct = list(dict.fromkeys(non_empty))
        if not distinct:
            return "empty", ""
        if is_column_numbers(row):
            return "numbers", ""
        first = distinct[0]
        if len(distinct) <= 2 and _TOTAL.match(first):
            return "total", " ".join(distinct)
        if len(distinct) <= 2 and any(_SIGNATURE.search(v) for v in distinct):
            return "signature", " ".join(distinct)
        if len(distinct) == 1 and _NOTE.match(first):
            return "note", first
        heading = self._heading(row, cells, merged, distinct)
        if heading is not None:
            return "group", heading
        if len(distinct) == 1 and (merged or self._lone_outside(row)):
            return "note", first
        return "data", ""

    def _lone_outside(self, row) -> bool:
        col = next(c for c, v in enumerate(row) if v)
        return col >= len(self.mapping) or self.mapping[col] in ("", NUMBER)

    def _heading(self, row, cells, merged, distinct) -> str | None:
        area_text = cells.get("activity_area")
        content = {k: v for k, v in cells.items() if k not in (NUMBER, "activity_area")}
        if area_text and not merged:
            # Murmansk Appendix 2: «1 | <area> | <hint of column 3> | | |».
            area = self.areas(area_text)
            rest = {k: v for k, v in content.items() if k != "process_name"}
            hint = self.form.area_by_code.get(area.code or "", {}).get("process_hint", "")
            process = content.get("process_name", "")
            if not rest and (not process or (hint and norm(process) == norm(hint))):
                return area_text
            return None
        texts = [v for v in distinct if not re.fullmatch(r"[\d.\s]+", v)]
        if len(texts) != 1 or len(distinct) > 2:
            return None
        text = texts[0]
        # Kuzbass: «1. | <area>» (the number in the «№» column, the area merged over the rest).
        match = self.areas(text)
        if merged or len(distinct) == 2 or self._lone_outside(row):
            if match.code or (match.candidates and match.candidates[0][2] >= 0.5):
                return text
        elif match.sure and match.code:
            return text
        return None

    # ----------------------------------------------------------------- data

    def data_row(self, r, current: tuple[Match | None, str] | None, text_needs: bool) -> None:
        """Fill ``r.values`` from ``r.cells``; errors, warnings and questions on ``r``."""
        cells, values = r.cells, r.values
        values["extra"] = {}
        area_text = cells.get("activity_area")
        if area_text:
            self._area(r, area_text)
        elif current is not None:
            match, text = current
            if match is not None and match.code and match.sure:
                values["activity_area"] = match.code
            elif match is not None and match.code is None and match.how == "settled":
                r.errors.append(f"Направление «{text}» не загружается.")
            else:
                r.warnings.append(f"Направление «{text}» уточняется в строке направления выше.")
                values["activity_area"] = None
        else:
            # Kuzbass 3.5: a list is formed per activity area, so a file may name none; the
            # person says once which area its rows belong to.
            m = self.areas(NO_AREA)
            if m.code and m.how == "settled":
                values["activity_area"] = m.code
            else:
                r.questions.append(Question("area", NO_AREA, m))
                values["activity_area"] = None
        code = values.get("activity_area")
        if code:
            area = self.form.area_by_code[code]
            r.area_name = area["name"]
            values["client_kind"] = area.get("client_kind", "external")
        for key in ("process_name", "interaction", "specifics", "organisation"):
            if key in cells:
                values[key] = cells[key]
        process = self.links.process(values)
        if process is not None:
            r.matches["process_name"] = process
        self._channel_and_touchpoint(r)
        self._choice(r, "client_kind", CLIENT_LABELS, "Клиент", "«внешний» или «внутренний»")
        if "client_needs" in cells:
            values["client_needs"] = self._needs(r, cells["client_needs"])
        elif text_needs:
            values["client_needs"] = self._needs_in_text(cells)
        if "subdivision" in cells:
            m = self.subdivisions(cells["subdivision"])
            r.matches["subdivision"] = m
            if m.code and m.sure:
                values["subdivision_id"] = int(m.code)
            elif m.how == "settled" or m.how == "none":
                values["subdivision_id"] = None
                if m.how == "none":
                    r.warnings.append(
                        f"Подразделения «{cells['subdivision']}» нет в организации: строка "
                        "загружается без подразделения."
                    )
            else:
                r.questions.append(Question("subdivision", cells["subdivision"], m))
        for key, kind in NUMERIC_FIELDS.items():
            if key in cells:
                number = parse_number(cells[key], kind)
                if number is None:
                    r.errors.append(f"«{self.targets[key].label}»: «{cells[key]}» — не число.")
                elif number > NUMBER_LIMITS[key]:
                    r.errors.append(
                        f"«{self.targets[key].label}»: «{cells[key]}» — "
                        f"не больше {NUMBER_LIMITS[key]}."
                    )
                else:
                    values[key] = number
        if cells.get(EXTRA_JSON):
            try:
                values["extra"].update(json.loads(cells[EXTRA_JSON]))
            except (ValueError, TypeError, AttributeError):
                r.errors.append("Дополнительные графы (JSON) не читаются.")
        for key, text in cells.items():
            if key.startswith("extra:"):
                values["extra"][key[6:]] = text
        # Our export's entry number: ASCII digits within PostgreSQL's integer («²» is a digit to
        # str.isdigit, and int() refuses it); anything else is no entry of ours.
        if re.fullmatch(r"[0-9]{1,9}", cells.get(ENTRY_ID, "")):
            values[ENTRY_ID] = int(cells[ENTRY_ID])
        for t in self.required:
            # Checked only when some column fills the field; an unmapped required column is one
            # problem of the whole file, not an error on every row.
            if not cells.get(t.key) and not (t.key == "touchpoint" and cells.get(TOUCHPOINT_CODE)):
                r.errors.append(f"Не заполнена обязательная графа «{t.label}».")
        self._text_limits(r)

    def _text_limits(self, r) -> None:
        texts = [(k, v) for k, v in r.values.items() if k != "extra" and k in TEXT_LIMITS]
        texts += [(f"extra:{k}", v) for k, v in r.values["extra"].items()]
        for key, text in texts:
            limit = TEXT_LIMITS["extra" if key.startswith("extra:") else key]
            if isinstance(text, str) and len(text) > limit:
                label = self.targets[key].label if key in self.targets else key
                r.errors.append(f"«{label}»: не длиннее {limit} символов, а в файле {len(text)}.")

    def _area(self, r, text: str) -> None:
        m = self.areas(text)
        r.matches["activity_area"] = m
        if m.code and m.sure:
            r.values["activity_area"] = m.code
        elif m.how == "settled":
            r.errors.append(f"Направление «{text}» не загружается.")
        else:
            r.questions.append(Question("area", text, m))
            r.values["activity_area"] = None

    @staticmethod
    def _choice(r, key: str, labels: dict, what: str, expected: str) -> None:
        """A column of one of two kinds (client, channel): its value, or an error that says what
        was expected."""
        if key not in r.cells:
            return
        kind = parse_choice(r.cells[key], labels)
        if kind is None:
            r.errors.append(f"{what} «{r.cells[key]}» не распознан: ожидается {expected}.")
        else:
            r.values[key] = kind

    def _channel_and_touchpoint(self, r) -> None:
        cells, values = r.cells, r.values
        self._choice(r, "channel_kind", CHANNEL_LABELS, "Вид точки", "«цифровая» или «офлайн»")
        name = cells.get("touchpoint", "")
        code = cells.get(TOUCHPOINT_CODE, "")
        # The region's shared touchpoint named exactly: before the catalogue's likenesses.
        shared = None if code else self.links.shared_touchpoint(values, name)
        if shared is not None:
            r.matches["touchpoint"] = shared
            return
        item = self.form.touchpoint_by_code.get(code) if code else None
        if item is None and name:
            m = self.touchpoints(name)
            r.matches["touchpoint"] = m
            if m.code and m.sure:
                item = self.form.touchpoint_by_code[m.code]
            elif m.how == "fuzzy":
                r.questions.append(Question("touchpoint", name, m))
        if item is not None:
            values["touchpoint_code"] = item["code"]
            # The file's wording stays when it is only another wording of the catalogue item.
            values["touchpoint"] = name or item["name"]
            values["channel_kind"] = item["channel_kind"]
            return
        values["touchpoint_code"] = None
        values["touchpoint"] = name
        if name and "channel_kind" not in values:
            guessed = guess_channel(name)
            values["channel_kind"] = guessed or "offline"
            r.warnings.append(
                "Точки нет в каталоге организации; вид определён как "
                f"«{CHANNEL_LABELS[values['channel_kind']]}»"
                + (" по названию." if guessed else " (по названию определить не удалось).")
            )

    def _needs(self, r, text: str) -> list[str]:
        codes: list[str] = []
        for part in split_needs(text):
            found = [self.needs(part)]
            if not found[0].sure and "," in part:
                # «подача заявления, получение консультации»: several needs in one line.
                pieces = [self.needs(p) for p in part.split(",") if p.strip()]
                if pieces and all(p.sure for p in pieces):
                    found = pieces
            if not found[0].sure and re.fullmatch(r"[a-z][a-z0-9_]*", part):
                # A bare code our export wrote for a need the form no longer names: kept as is,
                # so that the list's own export imports back unchanged.
                r.warnings.append(f"Потребность «{part}» не из формы; сохранена как есть.")
                codes.append(part) if part not in codes else None
                continue
            for m in found:
                if m.sure and m.code:
                    if m.code not in codes:
                        codes.append(m.code)
                elif m.how != "settled":
                    r.questions.append(Question("need", part, m))
        return codes

    def _needs_in_text(self, cells) -> list[str]:
        """Needs written as bullets in the interaction or specifics text (the Murmansk form has
        no needs column): only lines that surely name a need of 2.6 / 3.7 count."""
        codes: list[str] = []
        for key in ("interaction", "specifics"):
            for line in (cells.get(key) or "").split("\n"):
                if len(line) > 200:
                    continue  # a paragraph of prose, not a need named in a list
                for part in split_needs(line):
                    # Exact wordings only (name, clause, synonym, remembered): fuzzy matching
                    # of every line of prose would be slow and would guess.
                    m = self.needs.exact(part)
                    if m is not None and m.code and m.code not in codes:
                        codes.append(m.code)
        return codes
