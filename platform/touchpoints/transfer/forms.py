from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from touchpoints.core.forms import BaseForm
from touchpoints.transfer.imports import NUMBER, Target


class UploadForm(BaseForm):
    file = FileField(
        "Файл перечня",
        validators=[FileRequired("Выберите файл Word (.docx) или Excel (.xlsx)")],
        description=(
            "Таблица Word (.docx) или лист Excel (.xlsx) с перечнем. Строка заголовка должна "
            "называть графы; строки-заголовки направлений деятельности и строка с номерами граф "
            "допускаются."
        ),
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
