"""Import of an existing list from a Word or Excel table (issue 3, «Import and export»).

The path: read the file's tables (:mod:`.reader`), find the header row and guess which column is
which field of the agency's form from the header text, let the registrar correct the mapping,
check every row, and only on confirmation write all rows in one transaction. The parsed cells
wait in an agency-scoped :class:`ImportSession`; nothing touches the list before confirmation,
and a refused or failed confirmation leaves it exactly as it was.

Tolerated layouts (seed Murmansk, Appendix 2; the Kuzbass appendix): a title above the table,
a «№» column, a row of column numbers 1..N under the header, and rows that name an activity area
and group the rows below it (a cell merged across the table, or a row with only the area, or
Appendix 2's row with the area and the hint of column 3).

Imported rows go straight into the working list as included entries. Only the registrar
(«уполномоченное лицо», Murmansk 2.2 / Kuzbass 3.3, who includes entries) or an operator on the
command line may import; each entry and the import itself are recorded in the audit trail.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.audit import service as audit
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.lists.form import Form
from touchpoints.lists.models import COMMON_FIELDS, Entry, EntryKind, EntryStatus
from touchpoints.transfer.fields import (
    CHANNEL_LABELS,
    CLIENT_LABELS,
    FIELD_LABELS,
    NUMERIC_FIELDS,
    column_target,
    norm,
    similarity,
)
from touchpoints.transfer.models import ImportSession
from touchpoints.transfer.reader import ImportFileError, RawTable, read_tables

NUMBER = "#"
#: How alike a header must be to a field's label to be taken for it.
HEADER_THRESHOLD = 0.62
#: How alike a cell must be to a catalogue name (area, touchpoint, need) to be taken for it.
VALUE_THRESHOLD = 0.86
HEADER_SEARCH_ROWS = 25
#: Longer cells are data, not column headings: not worth comparing with labels.
MAX_HEADER_LENGTH = 160

#: Other ways agencies head the same columns, beside the labels of their own form.
SYNONYMS = {
    "activity_area": [
        "Направление деятельности",
        "Направление деятельности органа власти",
        "Сфера деятельности",
    ],
    "process_name": [
        "Наименование конкретного процесса",
        "Наименование процесса",
        "Процесс",
        "Наименование услуги, функции, сервиса",
        "Наименование процесса (услуги, функции, сервиса)",
    ],
    "touchpoint": ["Точка взаимодействия", "Точки взаимодействия", "Канал взаимодействия"],
    "channel_kind": ["Вид точки", "Вид точки взаимодействия", "Цифровая / офлайн", "Тип канала"],
    "client_kind": ["Клиент", "Вид клиента", "Клиент (внешний / внутренний)"],
    "client_needs": [
        "Удовлетворяемые потребности",
        "Удовлетворяемые потребности клиента",
        "Потребности клиента",
    ],
    "interaction": [
        "Осуществляемое взаимодействие с клиентом",
        "Порядок взаимодействия с клиентом",
        "Взаимодействие с клиентом",
    ],
    "specifics": ["Особенности взаимодействия с клиентом", "Особенности взаимодействия"],
    "subdivision": [
        "Структурное подразделение",
        "Подразделение",
        "Ответственное структурное подразделение",
    ],
    "organisation": ["Подведомственная организация", "Организация"],
    "response_hours_mentions": ["Время ответа на упоминания", "Срок ответа на упоминания, ч"],
    "response_hours_requests": [
        "Время ответа на официальные запросы и комментарии",
        "Срок ответа на запросы, ч",
    ],
    "max_transfers": ["Количество переключений", "Переключений не более"],
    "waiting_minutes": ["Время ожидания", "Время ожидания в очереди, мин"],
}
_NUMBER_HEADERS = {"№", "n", "no", "№п/п", "п/п", "номер", "np/p", "n п/п", "№ п/п"}
_DIGITAL_WORDS = (
    "сайт", "портал", "электрон", "e-mail", "email", "мессенджер", "чат", "социальн", "соцсет",
    "вконтакте", "telegram", "телеграм", "приложени", "онлайн", "интернет", "систем", "вкс",
    "видео", "кабинет", "госуслуг", "бот", "сетев", "арм",
)  # fmt: skip
_OFFLINE_WORDS = (
    "телефон", "звон", "горяч", "личн", "приём", "прием", "письм", "почтов", "журнал", "книга",
    "мфц", "многофункциональн", "голосов", "колл", "бумаж", "кабинеты", "рабочее место",
)  # fmt: skip


class ImportRefused(ValueError):
    """Confirmation refused: the rows still have errors, or the session is gone."""


# --------------------------------------------------------------------------- targets


@dataclasses.dataclass(frozen=True)
class Target:
    key: str
    label: str
    in_form: bool
    required: bool = False


def targets_for(form: Form) -> list[Target]:
    """Fields a column of the file can fill: the form's columns first, then other common fields."""
    out = [
        Target(column_target(c), c["label"], True, bool(c.get("required"))) for c in form.columns
    ]
    have = {t.key for t in out}
    for field in COMMON_FIELDS:
        if field not in have:
            out.append(Target(field, FIELD_LABELS[field], False))
    return out


def is_number_header(text: str) -> bool:
    return text.strip().lower().replace(" ", "") in {h.replace(" ", "") for h in _NUMBER_HEADERS}


def _header_scores(text: str, targets: list[Target]) -> dict[str, float]:
    out = {}
    for t in targets:
        names = [t.label]
        if not t.key.startswith("extra:"):
            names += SYNONYMS.get(t.key, [])
        out[t.key] = max(similarity(text, n, HEADER_THRESHOLD) for n in names)
    return out


def guess_mapping(header: list[str], targets: list[Target]) -> list[str]:
    """For each column of the header: the most likely field, each field taken at most once."""
    mapping = [""] * len(header)
    pairs = []
    for col, text in enumerate(header):
        if not text or len(text) > MAX_HEADER_LENGTH:
            continue
        if is_number_header(text):
            mapping[col] = NUMBER
            continue
        for key, score in _header_scores(text, targets).items():
            if score >= HEADER_THRESHOLD:
                pairs.append((score, -col, key))
    taken: set[str] = set()
    for _score, neg_col, key in sorted(pairs, reverse=True):
        col = -neg_col
        if mapping[col] or key in taken:
            continue
        mapping[col] = key
        taken.add(key)
    return mapping


def find_header(rows: list[list[str]], targets: list[Target]) -> tuple[int, list[str]] | None:
    """The row among the first ones whose cells name the most fields, with its mapping."""
    best = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = guess_mapping(row, targets)
        hits = sum(1 for m in mapping if m and m != NUMBER)
        if hits and (best is None or hits > best[0]):
            best = (hits, i, mapping)
    return None if best is None else (best[1], best[2])


def pick_table(tables: list[RawTable], targets: list[Target]):
    """The table (sheet) with the most recognisable header."""
    best = None
    for table in tables:
        found = find_header(table.rows, targets)
        if found is None:
            continue
        hits = sum(1 for m in found[1] if m and m != NUMBER)
        if best is None or hits > best[0]:
            best = (hits, table, found[0], found[1])
    if best is None:
        return None
    return best[1], best[2], best[3]


# --------------------------------------------------------------------------- rows


@dataclasses.dataclass
class RowResult:
    line: int
    kind: str  # "data" or "group"
    cells: dict[str, str]
    values: dict
    errors: list[str]
    warnings: list[str]
    area_name: str = ""


@dataclasses.dataclass
class Analysis:
    targets: list[Target]
    mapping: list[str]
    rows: list[RowResult]
    #: Problems of the file as a whole (a required column not mapped, no rows at all).
    problems: list[str]

    @property
    def data_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.kind == "data"]

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def warning_rows(self) -> int:
        return sum(1 for r in self.rows if r.warnings)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error_rows and bool(self.data_rows)

    @property
    def shown_targets(self) -> list[Target]:
        mapped = set(self.mapping)
        return [t for t in self.targets if t.key in mapped]

    def messages(self) -> list[str]:
        """Every problem and row error as one line each (for the command line)."""
        out = list(self.problems)
        for r in self.rows:
            out += [f"строка {r.line}: {e}" for e in r.errors]
        return out


class _Matcher:
    """Names of the agency's catalogues, matched exactly first and fuzzily second, cached."""

    def __init__(self, items: list[dict], extra_names=lambda item: ()):
        self.items = items
        self.exact: dict[str, dict] = {}
        for item in items:
            for name in (item["name"], item["code"], *extra_names(item)):
                self.exact.setdefault(norm(name), item)
        self.cache: dict[str, dict | None] = {}

    def __call__(self, text: str) -> dict | None:
        key = norm(_strip_numbering(text))
        if key in self.cache:
            return self.cache[key]
        found = self.exact.get(key)
        if found is None and key:
            score, found = max(
                ((similarity(key, item["name"], VALUE_THRESHOLD), item) for item in self.items),
                default=(0, None),
                key=lambda p: p[0],
            )
            if score < VALUE_THRESHOLD:
                found = None
        self.cache[key] = found
        return found


def _strip_numbering(text: str) -> str:
    # «1. Предоставление …», «2.6.1 Получение …», «а) …» — numbering in front of catalogue names.
    return re.sub(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[а-яa-z]\)|[IVXLC]+\.)\s+", "", text or "")


def guess_channel(name: str) -> str | None:
    """Seeds 3.1 / 4.1, 2.8-2.9: a touchpoint on the Internet is digital, the others offline."""
    n = (name or "").lower().replace("ё", "е")
    if any(w in n for w in _DIGITAL_WORDS):
        return "digital"
    if any(w in n for w in _OFFLINE_WORDS):
        return "offline"
    return None


def _parse_choice(text: str, labels: dict[str, str]) -> str | None:
    n = norm(text)
    for code, label in labels.items():
        if n in (norm(code), norm(label)):
            return code
    aliases = {
        "онлайн": "digital",
        "оффлайн": "offline",
        "офлайн": "offline",
        "цифровой": "digital",
    }
    if n in aliases and aliases[n] in labels:
        return aliases[n]
    for code, label in labels.items():
        if n and norm(label)[:5] == n[:5]:
            return code
    return None


def _parse_number(text: str, kind):
    raw = text.replace(" ", "").replace(",", ".")
    raw = re.sub(r"(ч|час(а|ов)?|мин(ут[аы]?)?|раз(а)?)\.?$", "", raw.lower())
    try:
        value = float(raw)
    except ValueError:
        return None
    if value < 0 or (kind is int and not value.is_integer()):
        return None
    return int(value) if kind is int else value


def _split_needs(text: str) -> list[str]:
    parts = [p.strip(" ;•-—\t") for p in re.split(r"[\n;]+", text)]
    return [p for p in parts if p]


class Analyser:
    """Checks every row of a table against the agency's form; writes nothing."""

    def __init__(self, agency: Agency, form: Form | None = None):
        self.agency = agency
        self.form = form or Form(agency.form)
        self.targets = targets_for(self.form)
        self.target_by_key = {t.key: t for t in self.targets}
        self.areas = _Matcher(self.form.activity_areas)
        self.touchpoints = _Matcher(self.form.touchpoints)
        self.needs = _Matcher(
            self.form.client_needs, lambda n: [n.get("clause", "")] if n.get("clause") else []
        )
        subs = db.session.scalars(
            sa.select(Subdivision).where(Subdivision.agency_id == agency.id)
        ).all()
        self.subdivisions = _Matcher([{"code": s.code, "name": s.name, "id": s.id} for s in subs])
        self.existing = self._existing_pairs()
        self._mapped: set[str] = set()

    def _existing_pairs(self) -> set[tuple[str, str, str]]:
        rows = db.session.execute(
            sa.select(Entry.activity_area, Entry.process_name, Entry.touchpoint).where(
                Entry.agency_id == self.agency.id,
                Entry.status == EntryStatus.INCLUDED.value,
                Entry.kind == EntryKind.NEW.value,
            )
        )
        return {(a, norm(p), norm(t)) for a, p, t in rows if p}

    def analyse(
        self, rows: list[list[str]], header_row: int, mapping: list[str], merged=()
    ) -> Analysis:
        problems = []
        mapped = self._mapped = {m for m in mapping if m and m != NUMBER}
        for t in self.targets:
            if t.required and t.key not in mapped:
                problems.append(
                    f"Графа «{t.label}» обязательна, но ни один столбец файла не сопоставлен с ней."
                )
        if not mapped:
            problems.append("Ни один столбец файла не сопоставлен с графами формы.")
        merged = set(merged)
        header = rows[header_row] if header_row < len(rows) else []
        results: list[RowResult] = []
        current: tuple[str | None, str] | None = None  # (area code or None if unknown, text)
        seen: dict[tuple[str, str, str], int] = {}
        for i in range(header_row + 1, len(rows)):
            row = rows[i]
            if not any(row) or row == header or _is_column_numbers(row):
                continue
            cells = {m: row[c] for c, m in enumerate(mapping) if m and c < len(row) and row[c]}
            heading = self._heading(i, row, cells, mapping, merged)
            if heading is not None:
                area = self.areas(heading)
                current = (area["code"] if area else None, heading)
                errors = [] if area else [self._unknown_area(heading)]
                results.append(
                    RowResult(i + 1, "group", {}, {}, errors, [], area["name"] if area else heading)
                )
                continue
            cells.pop(NUMBER, None)
            results.append(self._data_row(i + 1, cells, current, seen))
        if not any(r.kind == "data" for r in results):
            problems.append("В таблице нет ни одной строки со сведениями под строкой заголовка.")
        return Analysis(self.targets, mapping, results, problems)

    def _unknown_area(self, text: str) -> str:
        names = "; ".join(f"«{a['name']}»" for a in self.form.activity_areas)
        return f"Направление деятельности «{text}» не найдено в форме. В форме есть: {names}."

    def _heading(self, i, row, cells, mapping, merged) -> str | None:
        """The text of a row that names an activity area for the rows below it, else None."""
        non_empty = [v for v in row if v]
        if i in merged and non_empty:
            return non_empty[0]
        area_text = cells.get("activity_area")
        content = {k: v for k, v in cells.items() if k not in (NUMBER, "activity_area")}
        if area_text:
            # Appendix 2 of the Murmansk order: «1 | <area> | <hint of column 3> | | |».
            area = self.areas(area_text)
            rest = {k: v for k, v in content.items() if k != "process_name"}
            hint = (area or {}).get("process_hint", "")
            process = content.get("process_name", "")
            if not rest and (not process or (hint and similarity(process, hint) >= 0.9)):
                return area_text
            return None
        if len(set(non_empty)) == 1:
            text = non_empty[0]
            if re.fullmatch(r"[\d.\s]+", text):
                return None
            number_cols = [c for c, m in enumerate(mapping) if m == NUMBER]
            # A lone text in the «№» column or an unmapped column can only be a heading.
            lone_col = next(c for c, v in enumerate(row) if v)
            if lone_col in number_cols or lone_col >= len(mapping) or not mapping[lone_col]:
                return text
            if self.areas(text) is not None:
                return text
        return None

    def _data_row(self, line: int, cells: dict, current, seen: dict) -> RowResult:
        form = self.form
        errors: list[str] = []
        warnings: list[str] = []
        values: dict = {"extra": {}}
        area_name = ""
        area_text = cells.get("activity_area")
        if area_text:
            area = self.areas(area_text)
            if area is None:
                errors.append(self._unknown_area(area_text))
            else:
                values["activity_area"] = area["code"]
        elif current is not None:
            if current[0] is None:
                errors.append(f"Направление деятельности «{current[1]}» не найдено в форме.")
            else:
                values["activity_area"] = current[0]
        else:
            errors.append(
                "Не указано направление деятельности: в строке нет такой графы, а выше нет "
                "строки с названием направления."
            )
        if "activity_area" in values:
            area = form.area_by_code[values["activity_area"]]
            area_name = area["name"]
            values["client_kind"] = area.get("client_kind", "external")

        for key in ("process_name", "interaction", "specifics", "organisation"):
            if key in cells:
                values[key] = cells[key]
        if "channel_kind" in cells:
            kind = _parse_choice(cells["channel_kind"], CHANNEL_LABELS)
            if kind is None:
                errors.append(
                    f"Вид точки «{cells['channel_kind']}» не распознан: ожидается «цифровая» или «офлайн»."
                )
            else:
                values["channel_kind"] = kind
        touchpoint = cells.get("touchpoint", "")
        if touchpoint:
            item = self.touchpoints(touchpoint)
            if item is not None:
                values["touchpoint_code"] = item["code"]
                values["touchpoint"] = item["name"]
                if norm(item["name"]) != norm(touchpoint):
                    warnings.append(
                        f"Точка «{touchpoint}» сопоставлена с «{item['name']}» из каталога."
                    )
                stated = values.get("channel_kind")
                if stated and stated != item["channel_kind"]:
                    warnings.append(
                        f"В каталоге эта точка {CHANNEL_LABELS[item['channel_kind']]}; вид взят из каталога."
                    )
                values["channel_kind"] = item["channel_kind"]
            else:
                values["touchpoint_code"] = None
                values["touchpoint"] = touchpoint
                if "channel_kind" not in values:
                    guessed = guess_channel(touchpoint)
                    values["channel_kind"] = guessed or "offline"
                    warnings.append(
                        "Точки нет в каталоге организации; вид определён как "
                        f"«{CHANNEL_LABELS[values['channel_kind']]}»"
                        + (" по названию." if guessed else " (не удалось определить по названию).")
                        + " Проверьте после загрузки."
                    )
        if "client_kind" in cells:
            kind = _parse_choice(cells["client_kind"], CLIENT_LABELS)
            if kind is None:
                errors.append(
                    f"Клиент «{cells['client_kind']}» не распознан: ожидается «внешний» или «внутренний»."
                )
            else:
                values["client_kind"] = kind
        if "client_needs" in cells:
            codes = []
            for part in _split_needs(cells["client_needs"]):
                need = self.needs(part)
                if need is None:
                    errors.append(f"Неизвестная удовлетворяемая потребность клиента «{part}».")
                elif need["code"] not in codes:
                    codes.append(need["code"])
            values["client_needs"] = codes
        if "subdivision" in cells:
            sub = self.subdivisions(cells["subdivision"])
            if sub is None:
                errors.append(
                    f"Подразделение «{cells['subdivision']}» не найдено в организации. Добавьте "
                    "его или не загружайте этот столбец."
                )
            else:
                values["subdivision_id"] = sub["id"]
        for key, kind in NUMERIC_FIELDS.items():
            if key in cells:
                number = _parse_number(cells[key], kind)
                if number is None:
                    label = self.target_by_key[key].label
                    errors.append(f"«{label}»: «{cells[key]}» — не число.")
                else:
                    values[key] = number
        for key, text in cells.items():
            if key.startswith("extra:"):
                values["extra"][key[6:]] = text
        for t in self.targets:
            # Checked per row only when some column fills the field; an unmapped required
            # column is one problem of the whole file, not an error on every row.
            if t.required and t.key in self._mapped and not cells.get(t.key):
                errors.append(f"Не заполнена обязательная графа «{t.label}».")
        pair = (values.get("activity_area"), norm(values.get("process_name")), norm(touchpoint))
        if pair[1] and pair[2] and pair[0]:
            # Murmansk 2.8 / Kuzbass 3.7: one touchpoint is named once within one process.
            if pair in seen:
                warnings.append(
                    f"Эта точка взаимодействия уже указана для этого процесса в строке {seen[pair]} "
                    "(п. 2.8 / 3.7 Порядка)."
                )
            else:
                seen[pair] = line
            if (pair[0], pair[1], norm(values.get("touchpoint"))) in self.existing:
                warnings.append("Такая точка взаимодействия в этом процессе уже есть в перечне.")
        return RowResult(line, "data", cells, values, errors, warnings, area_name)


def _is_column_numbers(row: list[str]) -> bool:
    """The row of column numbers under the header: 1, 2, 3 … (Appendix 2 of the Murmansk order)."""
    values = [v for v in row if v]
    if len(values) < 2 or not all(v.isdigit() for v in values):
        return False
    numbers = [int(v) for v in values]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] <= 1


# --------------------------------------------------------------------------- sessions


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def read_upload(agency: Agency, data: bytes, filename: str):
    """Parse a file into ``(table, header_row, mapping)``; ImportFileError when unusable."""
    tables = read_tables(
        data,
        filename,
        max_bytes=_config("IMPORT_MAX_BYTES", 5 * 1024 * 1024),
        max_rows=_config("IMPORT_MAX_ROWS", 3000),
    )
    form = Form(agency.form)
    picked = pick_table(tables, targets_for(form))
    if picked is None:
        labels = "; ".join(f"«{c['label']}»" for c in form.columns)
        raise ImportFileError(
            "В файле не найдено граф, похожих на графы формы перечня. Строка заголовка таблицы "
            f"должна называть графы, например: {labels}."
        )
    return picked


def start_import(agency: Agency, data: bytes, filename: str, user_id: int | None) -> ImportSession:
    table, header_row, mapping = read_upload(agency, data, filename)
    purge_expired(agency.id)
    session = ImportSession(
        agency_id=agency.id,
        token=secrets.token_urlsafe(24),
        created_by_id=user_id,
        expires_at=utcnow() + timedelta(hours=_config("IMPORT_TTL_HOURS", 24)),
        filename=(filename or "файл")[-255:],
        source=table.source,
        cells=table.rows,
        merged_rows=table.merged_rows,
        header_row=header_row,
        mapping=mapping,
    )
    db.session.add(session)
    db.session.flush()
    return session


def purge_expired(agency_id: int) -> int:
    result = db.session.execute(
        sa.delete(ImportSession).where(
            ImportSession.agency_id == agency_id, ImportSession.expires_at < utcnow()
        )
    )
    return result.rowcount or 0


def get_session(agency: Agency, token: str, *, for_update: bool = False) -> ImportSession | None:
    q = sa.select(ImportSession).where(
        ImportSession.token == token, ImportSession.agency_id == agency.id
    )
    if for_update:
        q = q.with_for_update()
    return db.session.scalar(q)


def is_expired(session: ImportSession) -> bool:
    return session.expires_at < utcnow()


def analyse_session(agency: Agency, session: ImportSession) -> Analysis:
    return analyse_table(
        agency, session.cells, session.header_row, session.mapping, session.merged_rows
    )


def analyse_table(agency, rows, header_row, mapping, merged=()) -> Analysis:
    return Analyser(agency).analyse(rows, header_row, mapping, merged)


def set_mapping(
    agency: Agency, session: ImportSession, header_row: int, mapping: list[str]
) -> None:
    keys = {t.key for t in targets_for(Form(agency.form))} | {NUMBER, ""}
    width = max((len(r) for r in session.cells), default=0)
    mapping = [(m if m in keys else "") for m in mapping[:width]]
    mapping += [""] * (width - len(mapping))
    # A field filled from two columns would silently lose one: keep the first.
    used: set[str] = set()
    for i, m in enumerate(mapping):
        if m and m != NUMBER:
            if m in used:
                mapping[i] = ""
            used.add(m)
    session.header_row = max(0, min(header_row, len(session.cells) - 1))
    session.mapping = mapping


def write_rows(
    agency: Agency,
    analysis: Analysis,
    *,
    user_id: int | None,
    filename: str,
    actor_label: str | None = None,
) -> list[Entry]:
    """Write every data row as an included entry, in the caller's transaction, audited.

    The caller commits; on any exception it rolls back and the list is as it was."""
    if not analysis.ok:
        raise ImportRefused(
            "Загрузка невозможна: в файле есть ошибки. Исправьте их и загрузите файл снова."
        )
    from touchpoints.lists.policy import registrar_acts_alone
    from touchpoints.lists.services import values_of

    now = utcnow()
    # Four eyes (2.2 / 3.3): where another registrar exists, a registrar's upload waits for them
    # like any submission; a registrar acting alone, or the operator's onboarding from the
    # command line, includes the rows at once, and the audit trail says so.
    four_eyes = user_id is not None and not registrar_acts_alone(agency.id)
    status = EntryStatus.SUBMITTED.value if four_eyes else EntryStatus.INCLUDED.value
    position = Entry.next_position(agency.id)
    entries = []
    for row in analysis.data_rows:
        entry = Entry(
            agency_id=agency.id,
            kind=EntryKind.NEW.value,
            status=status,
            position=position,
            created_by_id=user_id,
            submitted_by_id=user_id,
            reviewed_by_id=None if four_eyes else user_id,
            submitted_at=now,
            reviewed_at=None if four_eyes else now,
            client_needs=[],
            extra={},
        )
        position += 1
        for key, value in row.values.items():
            setattr(entry, key, value)
        db.session.add(entry)
        entries.append((row, entry))
    db.session.flush()
    label = actor_label or ""
    for row, entry in entries:
        audit.record(
            "entry.import",
            entry,
            after={**values_of(entry), "status": entry.status},
            comment=f"Загружено из файла «{filename}», строка {row.line}",
            actor_label=label or None,
        )
    audit.record(
        "list.import",
        object_type="agency",
        object_id=agency.id,
        agency_id=agency.id,
        after={"file": filename, "entries": len(entries), "entry_ids": [e.id for _, e in entries]},
        comment=(
            "Строки отправлены на проверку другому уполномоченному лицу"
            if four_eyes
            else "Строки включены в рабочий перечень при загрузке"
            + (
                " оператором из командной строки"
                if actor_label
                else " уполномоченным лицом, действующим единолично"
            )
        ),
        actor_label=label or None,
    )
    return [e for _, e in entries]


def confirm(agency: Agency, token: str, user_id: int) -> list[Entry]:
    """Write the rows of an import session and drop the session, in the caller's transaction."""
    session = get_session(agency, token, for_update=True)
    if session is None or is_expired(session):
        raise ImportRefused("Загрузка не найдена или устарела. Загрузите файл снова.")
    analysis = analyse_session(agency, session)
    entries = write_rows(agency, analysis, user_id=user_id, filename=session.filename)
    db.session.delete(session)
    return entries
