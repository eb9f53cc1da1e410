"""Understanding a file: which column is which field, which catalogue item a cell names, how sure.

Headers are matched by meaning: the form's own labels, synonyms per common field, the labels of
the machine columns our own exports write. Catalogue cells (activity areas, touchpoints, client
needs, subdivisions) are normalised (clause numbers, bullets, case, punctuation, ё/е) and then
matched in this order, each with its certainty (docs/import.md):

1. the choice the person made in this preview, or the agency's registrar confirmed before
   (remembered per agency, :class:`~touchpoints.transfer.models.ImportChoice`);
2. the item's code, name or clause number; a synonym kept in the common catalogue
   (tenants/forms/_catalogue.yaml, ``synonyms``);
3. a fuzzy match — never taken on its own: it is offered in the preview to be settled, and
   one that swaps «внешний» for «внутренний» (or digital for offline) is not offered at all.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app

from touchpoints.lists.form import Form
from touchpoints.lists.models import COMMON_FIELDS
from touchpoints.transfer.fields import FIELD_LABELS, column_target, norm, similarity

NUMBER = "#"
#: Pseudo-fields our exports carry beside the form (the «Все сведения» sheet, the CSV).
ENTRY_ID = "entry_id"
TOUCHPOINT_CODE = "touchpoint_code"
EXTRA_JSON = "extra_json"
PSEUDO_LABELS = {
    ENTRY_ID: "Код строки перечня",
    TOUCHPOINT_CODE: "Код точки в каталоге",
    EXTRA_JSON: "Дополнительные графы (JSON)",
}
HEADER_THRESHOLD = 0.62
#: A fuzzy catalogue match below this is not even offered.
OFFER_THRESHOLD = 0.55
#: A fuzzy match at least this close (a typo, an ending) is taken as sure.
SURE_THRESHOLD = 0.95
HEADER_SEARCH_ROWS = 25
MAX_HEADER_LENGTH = 160

SYNONYMS = {
    "activity_area": ["Направление деятельности", "Направление деятельности органа власти",
                      "Сфера деятельности", "Направление", "Вид деятельности"],
    "process_name": ["Наименование конкретного процесса", "Наименование процесса", "Процесс",
                     "Наименование услуги, функции, сервиса", "Услуга (функция)",
                     "Наименование процесса (услуги, функции, сервиса)"],
    "touchpoint": ["Точка взаимодействия", "Точки взаимодействия", "Канал взаимодействия",
                   "Точки взаимодействия с клиентом", "Каналы взаимодействия"],
    "channel_kind": ["Вид точки", "Вид точки взаимодействия", "Цифровая / офлайн", "Тип канала"],
    "client_kind": ["Клиент", "Вид клиента", "Клиент (внешний / внутренний)", "Тип клиента"],
    "client_needs": ["Удовлетворяемые потребности", "Удовлетворяемые потребности клиента",
                     "Потребности клиента", "Потребности"],
    "interaction": ["Осуществляемое взаимодействие с клиентом", "Порядок взаимодействия с клиентом",
                    "Взаимодействие с клиентом", "Порядок взаимодействия", "Описание взаимодействия"],
    "specifics": ["Особенности взаимодействия с клиентом", "Особенности взаимодействия",
                  "Особенности", "Примечание"],
    "subdivision": ["Структурное подразделение", "Подразделение",
                    "Ответственное структурное подразделение", "Ответственный отдел"],
    "organisation": ["Подведомственная организация", "Организация"],
    "response_hours_mentions": ["Время ответа на упоминания", "Срок ответа на упоминания, ч"],
    "response_hours_requests": ["Время ответа на официальные запросы и комментарии",
                                "Срок ответа на запросы, ч"],
    "max_transfers": ["Количество переключений", "Переключений не более"],
    "waiting_minutes": ["Время ожидания", "Время ожидания в очереди, мин"],
}  # fmt: skip
#: Column names of the people's CSV export (export.MACHINE_COLUMNS): taken before any label.
MACHINE_HEADERS = {
    "entry_id": ENTRY_ID,
    "activity_area_code": "activity_area",
    "touchpoint_code": TOUCHPOINT_CODE,
    "extra": EXTRA_JSON,
    **{f: f for f in COMMON_FIELDS if f not in ("activity_area",)},
}
_NUMBER_HEADERS = {"№", "n", "no", "№п/п", "п/п", "номер", "np/p", "nп/п"}
#: Word stems that mean the opposite of each other: a match across them is never offered.
_OPPOSITES = (("внеш", "внут"), ("цифр", "офла"), ("элек", "бума"))


@dataclasses.dataclass(frozen=True)
class Target:
    key: str
    label: str
    in_form: bool
    required: bool = False


def targets_for(form: Form) -> list[Target]:
    """Fields a column can fill: the form's columns, other common fields, our export's codes."""
    out = [
        Target(column_target(c), c["label"], True, bool(c.get("required"))) for c in form.columns
    ]
    have = {t.key for t in out}
    out += [Target(f, FIELD_LABELS[f], False) for f in COMMON_FIELDS if f not in have]
    out += [Target(k, label, False) for k, label in PSEUDO_LABELS.items()]
    return out


def is_number_header(text: str) -> bool:
    return text.strip().lower().replace(" ", "") in _NUMBER_HEADERS


def header_scores(text: str, targets: list[Target]) -> dict[str, float]:
    if text.strip() in MACHINE_HEADERS:
        # Our own CSV's column names: exact, and stronger than a label of the same field.
        return {MACHINE_HEADERS[text.strip()]: 1.01}
    out = {}
    for t in targets:
        names = [t.label, FIELD_LABELS.get(t.key, t.label)]
        if not t.key.startswith("extra:"):
            names += SYNONYMS.get(t.key, [])
        out[t.key] = max(similarity(text, n, HEADER_THRESHOLD) for n in names)
    return out


def guess_mapping(header: list[str], targets: list[Target], remembered=None) -> list[str]:
    """For each column: the most likely field, each field taken at most once."""
    remembered = remembered or {}
    keys = {t.key for t in targets}
    mapping = [""] * len(header)
    pairs = []
    for col, text in enumerate(header):
        if not text or len(text) > MAX_HEADER_LENGTH:
            continue
        if is_number_header(text):
            mapping[col] = NUMBER
            continue
        known = remembered.get(norm(text))
        if known is not None and (known in keys or known in ("", NUMBER)):
            pairs.append((2.0, -col, known))
            continue
        for key, score in header_scores(text, targets).items():
            if score >= HEADER_THRESHOLD:
                pairs.append((score, -col, key))
    taken: set[str] = set()
    done: set[int] = set()
    for _score, neg_col, key in sorted(pairs, reverse=True):
        col = -neg_col
        if col in done or (key and key in taken):
            continue
        mapping[col] = key
        done.add(col)
        taken.add(key)
    return mapping


def header_hits(mapping: list[str]) -> int:
    return sum(1 for m in mapping if m and m != NUMBER)


def find_header(rows, targets, remembered=None) -> tuple[int, list[str]] | None:
    """The row among the first ones whose cells name the most fields, with its mapping."""
    best = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = guess_mapping(row, targets, remembered)
        hits = header_hits(mapping)
        if hits and (best is None or hits > best[0]):
            best = (hits, i, mapping)
    return None if best is None else (best[1], best[2])


# --------------------------------------------------------------------------- catalogue


@lru_cache(maxsize=4)
def _catalogue(path: str, mtime: float) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def catalogue_synonyms() -> dict[str, dict[str, list[str]]]:
    """``{"activity_areas": {common code: [synonyms]}, "client_needs": {…}}``."""
    path = Path(current_app.config["TENANTS_DIR"]) / "forms" / "_catalogue.yaml"
    try:
        data = _catalogue(str(path), path.stat().st_mtime)
    except OSError:
        return {}
    return {
        # The common item's own name is a wording of every form item mapped to it.
        kind: {i["code"]: [i["name"], *(i.get("synonyms") or [])] for i in data.get(kind) or []}
        for kind in ("activity_areas", "client_needs", "taxonomy")
    }


@dataclasses.dataclass(frozen=True)
class Match:
    code: str | None
    name: str
    #: 0..1; 1 for exact, clause, synonym, remembered and settled matches.
    score: float
    #: exact, clause, synonym, remembered, settled, fuzzy, none.
    how: str
    #: Other likely items (code, name, score) for the person to choose from.
    candidates: tuple = ()

    @property
    def sure(self) -> bool:
        return (self.how != "fuzzy" and self.how != "none") or self.score >= SURE_THRESHOLD


HOW_LABELS = {
    "exact": "точное совпадение",
    "clause": "по номеру пункта",
    "synonym": "по синониму из каталога",
    "remembered": "выбрано ранее в этой организации",
    "settled": "выбрано при проверке",
    "fuzzy": "похожее название",
    "none": "не найдено",
    "registry": "процесс из реестра процессов организации",
    "shared": "общая точка взаимодействия региона",
}


def strip_numbering(text: str) -> str:
    """«1. Предоставление …», «2.6.1 Получение …», «а) …», «• …» — numbering and bullets off."""
    text = re.sub(r"^[\s•·\-–—*●○▪►✓]+", "", text or "")
    return re.sub(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[а-яa-z]\)|[IVXLC]+\.)\s+", "", text)


def _opposed(a: str, b: str) -> bool:
    for x, y in _OPPOSITES:
        if (x in a and y in b and y not in a) or (y in a and x in b and x not in a):
            return True
    return False


class Catalogue:
    """One catalogue of the form (areas, touchpoints, needs, subdivisions) and how to match it."""

    def __init__(self, kind: str, items: list[dict], synonyms=None, remembered=None, settled=None):
        self.kind = kind
        self.items = items
        self.by_code = {i["code"]: i for i in items}
        self.exact_names: dict[str, tuple[dict, str]] = {}
        for item in items:
            self.exact_names.setdefault(norm(item["name"]), (item, "exact"))
            self.exact_names.setdefault(norm(item["code"]), (item, "exact"))
        for item in items:
            if item.get("clause"):
                self.exact_names.setdefault(norm(item["clause"]), (item, "clause"))
            for s in (synonyms or {}).get(item.get("common") or item.get("taxonomy") or "", []):
                self.exact_names.setdefault(norm(s), (item, "synonym"))
        self.remembered = remembered or {}
        self.settled = settled or {}
        self.cache: dict[str, Match] = {}

    def __call__(self, text: str) -> Match:
        raw = norm(text)
        key = norm(strip_numbering(text))
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = found = self._match(raw, key, text)
        return found

    def exact(self, text: str) -> Match | None:
        """A sure match without the fuzzy step (for scanning free text), else None."""
        key = norm(strip_numbering(text))
        for source, how in ((self.settled, "settled"), (self.remembered, "remembered")):
            if source.get(key):
                return self._item(source[key], how)
        clause = re.match(r"^\s*(\d+(?:\.\d+)+)\.?(?:\s|$)", text or "")
        for candidate in (key, norm(clause.group(1)) if clause else ""):
            if candidate and candidate in self.exact_names:
                item, how = self.exact_names[candidate]
                return Match(item["code"], item["name"], 1.0, how)
        return None

    def _item(self, code, how, score=1.0) -> Match:
        if code == "":
            return Match(None, "", score, how)
        item = self.by_code.get(code)
        return Match(code, item["name"], score, how) if item else None

    def _match(self, raw: str, key: str, text: str) -> Match:
        if not key:
            return Match(None, "", 0.0, "none")
        for source, how in ((self.settled, "settled"), (self.remembered, "remembered")):
            if key in source:
                found = self._item(source[key], how)
                if found is not None:
                    return found
        # A clause number alone («2.6.1») or in front of a name («2.6.1. Получение …»).
        clause = re.match(r"^\s*(\d+(?:\.\d+)+)\.?(?:\s|$)", text or "")
        for candidate in (key, raw, norm(clause.group(1)) if clause else ""):
            if candidate and candidate in self.exact_names:
                item, how = self.exact_names[candidate]
                return Match(item["code"], item["name"], 1.0, how)
        scored = sorted(
            (
                (max(similarity(key, item["name"], OFFER_THRESHOLD), 0.0), item)
                for item in self.items
                if not _opposed(key, norm(item["name"]))
            ),
            key=lambda p: -p[0],
        )
        offered = tuple((i["code"], i["name"], round(s, 2)) for s, i in scored[:3] if s >= 0.3)
        if scored and scored[0][0] >= OFFER_THRESHOLD:
            score, item = scored[0]
            return Match(item["code"], item["name"], score, "fuzzy", offered)
        return Match(None, "", scored[0][0] if scored else 0.0, "none", offered)
