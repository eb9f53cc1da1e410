"""Big exports as background jobs: the person waits on a progress page, not on a request.

A list longer than ``TOUCHPOINTS_EXPORT_BACKGROUND_ROWS`` rows (1000 by default) is exported by
a worker (kind ``export`` of :mod:`touchpoints.background`); shorter ones stay direct downloads.
"""

from __future__ import annotations

from flask import current_app, url_for

from touchpoints.background import registry, service
from touchpoints.background.models import BackgroundJob
from touchpoints.background.registry import JobError, Kind, Outcome
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import counted
from touchpoints.lists.models import ListVersion
from touchpoints.transfer.export import export_list, row_count

KIND = "export"
FORMAT_NAMES = {"xlsx": "Excel (XLSX)", "docx": "Word (DOCX)", "csv": "CSV"}


def in_background(agency: Agency, version: ListVersion | None) -> bool:
    return row_count(agency, version) > current_app.config["EXPORT_BACKGROUND_ROWS"]


def start(agency: Agency, user_id: int, version: ListVersion | None, fmt: str) -> BackgroundJob:
    """Queue the export (flushes; the view commits)."""
    params = {"fmt": fmt, "version": version.number if version is not None else None}
    return service.start(KIND, agency.id, user_id, params, total=row_count(agency, version))


def _run(job: BackgroundJob, progress) -> Outcome:
    agency = db.session.get(Agency, job.agency_id)
    number = job.params.get("version")
    version = None
    if number is not None:
        version = ListVersion.by_number(agency.id, number)
        if version is None:
            raise JobError(f"Редакции № {number} больше нет.")
    data, name, mimetype = export_list(agency, version, job.params["fmt"], progress=progress)
    return Outcome(data=data, filename=name, mimetype=mimetype)


def _back(job: BackgroundJob) -> tuple[str, str]:
    number = job.params.get("version")
    if number is not None:
        return url_for("lists.version", number=number), f"К редакции № {number}"
    return url_for("lists.working_list"), "К перечню"


def _describe(job: BackgroundJob) -> str:
    number = job.params.get("version")
    what = f"Редакция № {number}" if number is not None else "Рабочий перечень"
    fmt = FORMAT_NAMES.get(job.params.get("fmt"), job.params.get("fmt"))
    rows = f", {counted(job.total, 'строка', 'строки', 'строк')}" if job.total else ""
    return f"{what}, {fmt}{rows}"


registry.register(
    Kind(name=KIND, title="Выгрузка перечня", run=_run, back=_back, describe=_describe)
)
