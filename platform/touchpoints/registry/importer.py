"""Loading a registry of processes from an XLSX file (docs/registry.md).

The file is read with openpyxl in read-only mode; its header row is found by meaning (the first
rows are searched for a cell naming the process), so the columns may stand in any order and
carry the agency's own wording. Nothing is written until the registrar has seen the preview
(how many processes are added, changed, included again, left as they are) and confirmed; a file
with any problem is refused whole, with each problem and its row, and writes nothing.
Processes the file does not mention stay as they are: excluding one is a decision taken on its
own page, with a reason.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

from itsdangerous import BadSignature, URLSafeSerializer
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines.compute import sync
from touchpoints.lists.processes import ProcessKind, RegistryProcess, normalized
from touchpoints.registry import services
from touchpoints.registry.services import RegistryError
from touchpoints.transfer.reader import MAX_RATIO, MAX_UNPACKED_BYTES

#: Rows searched for the header, rows read at most.
HEADER_ROWS = 15
MAX_ROWS = 5000

#: field -> words a header of that column contains (normalised, «ё» as «е»).
HEADERS = {
    "name": ("наименование", "название"),
    "kind": ("вид", "тип"),
    "code": ("номер в реестре", "код", "идентификатор", "реестровый номер"),
    "life_situations": ("жизненн",),
    "activity_area": ("направление",),
}
#: Words of a kind cell -> the kind. «Сервис» first: «цифровая услуга» is a service too.
KIND_WORDS = (
    ("сервис", ProcessKind.DIGITAL),
    ("функц", ProcessKind.FUNCTION),
    ("контрол", ProcessKind.FUNCTION),
    ("надзор", ProcessKind.FUNCTION),
    ("услуг", ProcessKind.SERVICE),
)


@dataclasses.dataclass
class Row:
    number: int  # the row's number in the sheet, as people see it
    values: dict
    action: str = ""  # add / update / restore / same
    process_id: int | None = None


@dataclasses.dataclass
class Plan:
    rows: list[Row]
    problems: list[str]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def _field_of(header: str) -> str | None:
    text = normalized(header)
    if not text or "п/п" in text:
        return None
    for field in ("life_situations", "activity_area", "code", "kind", "name"):
        if any(word in text for word in HEADERS[field]):
            return field
    return None


def _kind(text: str) -> str | None:
    value = normalized(text)
    for word, kind in KIND_WORDS:
        if word in value:
            return kind.value
    return None


def _area(agency: Agency, text: str) -> str | None:
    value = normalized(text)
    if not value:
        return ""
    for area in (agency.form or {}).get("activity_areas", []):
        if value in (normalized(area["name"]), normalized(area["code"])):
            return area["code"]
    return None


def read(agency: Agency, data: bytes) -> Plan:
    """The file's rows as registry values, each with what it would do, or the problems."""
    unreadable = Plan(
        [], ["Файл не читается как книга Excel (.xlsx). Сохраните его в формате XLSX."]
    )
    try:
        # The unpacked sizes the archive declares, checked before anything is inflated
        # (docs/office-files.md: a zip bomb is refused, with the list importer's bounds).
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return unreadable
    unpacked = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if unpacked > MAX_UNPACKED_BYTES or ratio > MAX_RATIO:
        return Plan(
            [], ["Файл после распаковки слишком большой для реестра: проверьте, что это тот файл."]
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return unreadable
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + HEADER_ROWS + 1)
        columns: dict[str, int] = {}
        header_at = 0
        for number, cells in enumerate(rows, start=1):
            found = {}
            for index, cell in enumerate(cells or ()):
                field = _field_of(str(cell)) if cell is not None else None
                if field and field not in found:
                    found[field] = index
            if "name" in found:
                columns, header_at = found, number
                break
            if number >= HEADER_ROWS:
                break
        if not columns:
            return Plan(
                [],
                [
                    "Не найдена строка заголовков: нужна графа «Наименование» (услуги, функции, "
                    "сервиса) и графа «Вид» в первых 15 строках листа."
                ],
            )
        if "kind" not in columns:
            return Plan([], ["Нет графы «Вид» (услуга, функция или сервис)."])
        return _plan(agency, columns, rows, header_at)
    finally:
        book.close()


def _cell(cells, columns: dict, field: str) -> str:
    index = columns.get(field)
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    return str(cells[index]).strip()


def _plan(agency: Agency, columns: dict, rows, header_at: int) -> Plan:
    out: list[Row] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    by_code, by_key = _existing(agency)
    for number, cells in enumerate(rows, start=header_at + 1):
        cells = cells or ()
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if len(out) >= MAX_ROWS:
            problems.append(f"В файле больше {MAX_ROWS} строк: разделите его на части.")
            break
        raw = {f: _cell(cells, columns, f) for f in HEADERS}
        kind = _kind(raw["kind"])
        area = _area(agency, raw["activity_area"])
        where = f"Строка {number}"
        if kind is None:
            problems.append(
                f"{where}: вид «{raw['kind']}» не распознан — укажите «услуга», «функция» или "
                "«сервис»."
            )
            continue
        if area is None:
            problems.append(f"{where}: направления «{raw['activity_area']}» нет в форме перечня.")
            continue
        try:
            values = services.clean(
                agency,
                {
                    "name": raw["name"],
                    "kind": kind,
                    "code": raw["code"],
                    "activity_area": area,
                    "life_situations": raw["life_situations"],
                },
            )
        except RegistryError as exc:
            problems.append(f"{where}: {exc}.")
            continue
        key = values["name_key"]
        if key in seen:
            problems.append(f"{where}: «{values['name']}» уже есть в строке {seen[key]}.")
            continue
        seen[key] = number
        out.append(_classify(Row(number, values), by_code, by_key))
    if not out and not problems:
        problems.append("В файле нет ни одного процесса под строкой заголовков.")
    return Plan(out, problems)


def _existing(agency: Agency) -> tuple[dict, dict]:
    existing = RegistryProcess.all_of(agency.id)
    by_code = {p.code: p for p in existing if p.code}
    by_key: dict[str, RegistryProcess] = {}
    for p in sorted(existing, key=lambda p: p.archived_at is None):
        by_key[p.name_key] = p  # an active process wins over an archived one of the same name
    return by_code, by_key


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="registry-import")


def to_token(agency: Agency, plan: Plan, secret: str) -> str:
    """The checked rows, signed, for the confirmation form: nothing is stored before it."""
    rows = [[r.number, r.values] for r in plan.rows]
    return _serializer(secret).dumps({"agency": agency.id, "rows": rows})


def from_token(agency: Agency, token: str, secret: str) -> Plan:
    """The rows of a confirmation, classified again against the registry as it is now."""
    try:
        payload = _serializer(secret).loads(token or "")
    except BadSignature:
        raise RegistryError(
            "Подтверждение устарело или повреждено: загрузите файл заново"
        ) from None
    if payload.get("agency") != agency.id:
        raise RegistryError("Подтверждение относится к другой организации")
    by_code, by_key = _existing(agency)
    rows = [_classify(Row(n, values), by_code, by_key) for n, values in payload["rows"]]
    return Plan(rows, [])


def _classify(row: Row, by_code: dict, by_key: dict) -> Row:
    match = by_code.get(row.values["code"]) if row.values["code"] else None
    match = match or by_key.get(row.values["name_key"])
    if match is None:
        row.action = "add"
        return row
    row.process_id = match.id
    if match.archived_at is not None:
        row.action = "restore"
    elif any(getattr(match, k) != v for k, v in row.values.items()):
        row.action = "update"
    else:
        row.action = "same"
    return row


def apply(agency: Agency, user, plan: Plan) -> dict[str, int]:
    """Carry a confirmed plan out (re-read against the registry as it is now). Flushes."""
    if not plan.ok:
        raise RegistryError("Файл с ошибками не загружается")
    refs = services.working_refs(agency.id)
    now = utcnow()
    counts = {"add": 0, "update": 0, "restore": 0, "same": 0}
    for row in plan.rows:
        values = {k: v for k, v in row.values.items() if k != "name_key"}
        process = None
        if row.process_id is not None:
            process = db.session.get(RegistryProcess, row.process_id)
            if process is None or process.agency_id != agency.id:
                raise RegistryError("Реестр изменился во время загрузки: загрузите файл заново")
        if row.action == "add":
            services.add_process(agency, user, values, now=now, refs=refs, bulk=True)
        elif row.action == "restore":
            services.update_process(process, user, values, bulk=True)
            services.restore_process(process, user, now=now, bulk=True)
        elif row.action == "update":
            services.update_process(process, user, values, bulk=True)
        counts[row.action] += 1
    sync([agency.id], now=now)
    return counts
