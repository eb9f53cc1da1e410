"""A large order rendered in parts by parallel processes and merged (issue 15, docs/pdf.md).

WeasyPrint's time and memory grow with the rows of the appendix: 5,000 rows took 35 s of one
core and 780 MB. :func:`split_order` cuts the appendix into parts of consecutive rows, each a
complete document in the same template: the first carries the order itself and the appendix's
heading, the last the changes appendix. :func:`render_parts` renders them in a pool of
processes started afresh for each order (WeasyPrint frees memory only at exit), numbers the
pages across parts (:mod:`touchpoints.orders.parts`) and merges them with pypdf.

A part starts on a new page. A row that begins a part repeats the area and process its merged
cells continue (the reader of that page sees them); an area or process heading is printed once,
before its first row, as in a document rendered whole.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import multiprocessing
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from touchpoints.orders import parts
from touchpoints.orders.document import AppendixGroup, ListAppendix, OrderData

log = logging.getLogger(__name__)


class PartLost(RuntimeError):
    """A part's process died (killed, out of memory): the order is not rendered."""


def part_count(rows: int, part_rows: int, processes: int) -> int:
    """Enough parts of at most ``part_rows`` rows, a multiple of the processes so that none
    waits alone for the last part."""
    count = max(1, math.ceil(rows / max(part_rows, 1)))
    return max(1, math.ceil(count / processes) * processes) if processes > 1 else count


def split_appendix(appendix: ListAppendix, count: int) -> list[ListAppendix]:
    """``count`` appendices of consecutive rows, their sizes at most one row apart. An area or process
    continued from the part before has no heading of its own; the row that starts a part
    writes out the cells that continue the row above (None in :class:`AppendixGroup`)."""
    total = sum(len(rows) for g in appendix.groups for _, rows in g.subgroups)
    count = max(1, min(count, total))
    out: list[ListAppendix] = []
    seen = 0
    for g in appendix.groups:
        group: AppendixGroup | None = None  # this area in the current part
        values: list = []  # the row above with every cell written out
        for process, rows in g.subgroups:
            subgroup: list | None = None
            for j, cells in enumerate(rows):
                if seen * count // total >= len(out):
                    out.append(dataclasses.replace(appendix, groups=[], row_count=0))
                    group = subgroup = None
                    if values:
                        cells = [values[k] if v is None else v for k, v in enumerate(cells)]
                if group is None:
                    continued = bool(values)
                    group = AppendixGroup(
                        "" if continued else g.title,
                        not_performed=g.not_performed and not continued,
                    )
                    out[-1].groups.append(group)
                if subgroup is None:
                    subgroup = []
                    group.subgroups.append(("" if j else process, subgroup))
                values = [values[k] if v is None else v for k, v in enumerate(cells)]
                subgroup.append(cells)
                out[-1].row_count += 1
                seen += 1
        if group is None:  # an area without rows (not performed): where the list has come to
            if not out:
                out.append(dataclasses.replace(appendix, groups=[], row_count=0))
            out[-1].groups.append(dataclasses.replace(g, subgroups=list(g.subgroups)))
    return out or [appendix]


def split_order(data: OrderData, count: int) -> list[OrderData]:
    """The order as ``count`` documents: the order and the appendix's opening in the first,
    the changes appendix in the last."""
    appendices = split_appendix(data.appendix, count)
    last = len(appendices) - 1
    return [
        dataclasses.replace(
            data,
            appendix=appendix,
            prints_order=i == 0,
            prints_appendix_opening=i == 0,
            prints_changes=i == last,
        )
        for i, appendix in enumerate(appendices)
    ]


def render_parts(htmls: list[str], processes: int) -> tuple[parts.Part, list[float]]:
    """Render the parts in ``processes`` fresh processes, number the pages across them and
    merge; the merged document and the CPU seconds of each process. A part that fails or whose
    process dies fails the whole order (:class:`PartLost`)."""
    context = multiprocessing.get_context("spawn")  # never fork a process with threads and sockets
    with ProcessPoolExecutor(
        max_workers=max(1, min(processes, len(htmls))),
        mp_context=context,
        initializer=parts.start_worker,
    ) as pool:
        try:
            rendered = _all([pool.submit(parts.render_part, html) for html in htmls])
            total = sum(len(p.page_names) for p in rendered)
            head = htmls[0].split("<body", 1)[0]
            first, jobs = 1, []
            for p in rendered:
                jobs.append(pool.submit(parts.stamp_part, p.pdf, head, p.page_names, first, total))
                first += len(p.page_names)
            stamped = _all(jobs)
        except BaseException:
            _stop(pool)
            raise
    refused = [u for p in rendered + stamped for u in p.refused_urls]
    return parts.Part(
        _merge([p.pdf for p in stamped]),
        [n for p in rendered for n in p.page_names],
        list(dict.fromkeys(refused)),
    ), process_cpu(rendered + stamped)


def process_cpu(done: list[parts.Part]) -> list[float]:
    """CPU seconds of each part process (the last figure each reported), largest first."""
    cpu: dict[int, float] = {}
    for p in done:
        cpu[p.pid] = max(cpu.get(p.pid, 0.0), p.cpu)
    return sorted(cpu.values(), reverse=True)


def _all(futures: list) -> list:
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    for future in futures:
        if future in done and future.exception() is not None:
            exc = future.exception()
            if isinstance(exc, BrokenProcessPool):
                raise PartLost(
                    "a process rendering a part of the order PDF died (killed or out of memory)"
                ) from exc
            raise exc
    return [f.result() for f in futures]


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the parts still rendering now rather than after they finish for nothing."""
    for future in list(getattr(pool, "_pending_work_items", {}).values()):
        future.future.cancel()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


def _merge(pdfs: list[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for i, pdf in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(pdf))
        if i == 0 and reader.metadata:
            writer.add_metadata(reader.metadata)
        writer.append(reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
