from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from touchpoints.core.forms import BaseForm
from touchpoints.transfer.matching import NUMBER, Target

#: How the preview names each kind of row (rows.py).
KIND_LABELS = {
    "title": "заголовок документа",
    "header": "строка заголовка",
    "numbers": "номера граф",
    "group": "направление деятельности",
    "note": "сноска или примечание",
    "total": "итоговая строка",
    "signature": "подпись, исполнитель",
    "skipped": "пропущена вами",
    "data": "сведения",
}
ACCEPT = (
    ".docx,.xlsx,.odt,.ods,.csv,.xls,.htm,.html,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet,"
    "text/csv"
)


class UploadForm(BaseForm):
    file = FileField(
        "Файл перечня",
        validators=[FileRequired("Выберите файл перечня (Word, Excel, LibreOffice или CSV)")],
        description=(
            "Таблица Word или Excel (.docx, .xlsx), LibreOffice, МойОфис, Р7-Офис (.odt, .ods) "
            "или CSV. Перечень может быть разбит на несколько таблиц или листов; заголовок "
            "документа, номера граф, строки направлений, сноски, «Итого» и подписи распознаются."
        ),
    )
    sheet = StringField(
        "Только лист (необязательно)",
        validators=[Optional(), Length(max=100)],
        description="Название листа книги, если читать нужно только его.",
    )


def column_name(index: int) -> str:
    """Spreadsheet-style letters for a column index: 0 → A, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def mapping_form(
    header: list[str],
    targets: list[Target],
    mapping: list[str],
    header_choices: list[tuple[int, str]],
    header_row: int,
):
    """A form with one select per column of the file and the choice of the header row."""
    choices = [("", "— не загружать —"), (NUMBER, "№ строки (не загружается)")]
    choices += [(t.key, t.label if t.in_form else f"{t.label} (нет в форме)") for t in targets]

    class MappingForm(BaseForm):
        header_row = SelectField("Строка заголовка", coerce=int, choices=header_choices)

    for i, text in enumerate(header):
        label = f"Столбец {column_name(i)}" + (f": «{text[:80]}»" if text else "")
        setattr(MappingForm, f"col_{i}", SelectField(label, choices=choices))
    data = {f"col_{i}": m for i, m in enumerate(mapping)}
    data["header_row"] = header_row
    form = MappingForm(data=data)
    form.column_fields = [form[f"col_{i}"] for i in range(len(header))]
    return form
