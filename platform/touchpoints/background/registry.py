"""Kinds of background job: what runs for a kind, and how its page names it.

A feature registers its kind once, in a module its blueprint imports (so the web process and
the worker, both built by ``create_app``, know every kind)::

    background.registry.register(Kind(
        name="export",
        title="Выгрузка перечня",
        run=run_export,            # (job, progress) -> Outcome, in the job's agency scope
        back=lambda job: (url_for("lists.working_list"), "К перечню"),
        describe=lambda job: "Рабочий перечень, Word (DOCX)",
        body="background/_file.html",   # the partial of the status page (docs/jobs.md)
    ))

``run`` is called by the one Celery task ``workers.tasks.background.run`` with the job (read in
its agency's scope) and ``progress(done, total)``; it returns an :class:`Outcome` or raises
:class:`JobError` with words for the person. It runs in one database transaction that the
task commits after storing the outcome, so what it writes is all-or-nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


class JobError(Exception):
    """The job cannot be done; the message is shown to the person as it is."""


@dataclasses.dataclass
class Outcome:
    """What a finished job leaves: a file to download and/or a summary to show."""

    data: bytes | None = None
    filename: str | None = None
    mimetype: str | None = None
    #: JSON-able facts for the page (an import's counts).
    summary: dict | None = None


Progress = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    #: The page's heading while the job runs and after («Выгрузка перечня»).
    title: str
    run: Callable[..., Outcome]
    #: (url, label) of the page the person came from; called within a request.
    back: Callable[..., tuple[str, str]]
    #: One line under the heading («Рабочий перечень, Word (DOCX), 5000 строк»).
    describe: Callable[..., str] | None = None
    #: The partial showing the job in each of its states inside the page's status box (the
    #: default: a file being made, then its download link).
    body: str = "background/_file.html"
    #: The status line's words where the kind's differ from ``service.STATUS_TEXT``.
    messages: dict[str, str] = dataclasses.field(default_factory=dict)


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    existing = _KINDS.get(kind.name)
    if existing is not None and existing.run.__qualname__ != kind.run.__qualname__:
        raise ValueError(f"job kind {kind.name!r} is registered by two features")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind | None:
    return _KINDS.get(name)


def names() -> list[str]:
    return sorted(_KINDS)
