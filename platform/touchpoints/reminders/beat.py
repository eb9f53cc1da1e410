"""The beat schedule on a thread of the web process, for the embedded demo (no Redis, no beat).

Production runs exactly one ``celery beat`` (docs/jobs.md). ``make demo`` sets
``TOUCHPOINTS_INPROCESS_BEAT=1`` for the web server only, and this thread submits the same
``workers/schedule.py`` entries to the in-process task runner. Running it twice by mistake costs
nothing but work: the scanner's claims make every reminder go out once anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import Flask

from touchpoints.core.db import utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 5.0


class InProcessBeat(threading.Thread):
    def __init__(self, app: Flask):
        super().__init__(name="inprocess-beat", daemon=True)
        self.app = app
        self.last_run: dict[str, float] = {}
        self.stopped = threading.Event()

    def due(self, name: str, schedule, now: float) -> bool:
        last = self.last_run.get(name)
        if isinstance(schedule, int | float | timedelta):
            every = schedule.total_seconds() if isinstance(schedule, timedelta) else schedule
            return last is None or now - last >= every
        # A celery schedule (crontab): ask it, as beat would.
        schedule.app = self.app.extensions["celery"]
        last_at = utcnow() - timedelta(seconds=now - last) if last is not None else utcnow()
        return schedule.is_due(last_at).is_due if last is not None else False

    def run(self) -> None:
        runner = self.app.extensions["inprocess_jobs"]
        entries = self.app.config["CELERY"].get("beat_schedule") or {}
        log.info("in-process beat started: %s", ", ".join(entries))
        while not self.stopped.is_set():
            now = time.monotonic()
            for name, entry in entries.items():
                try:
                    if self.due(name, entry["schedule"], now):
                        self.last_run[name] = now
                        runner.submit(
                            entry["task"], tuple(entry.get("args", ())), entry.get("kwargs", {})
                        )
                except Exception:
                    log.exception("in-process beat: %s failed to start", name)
            self.stopped.wait(TICK_SECONDS)


def start(app: Flask) -> InProcessBeat | None:
    if not app.config.get("INPROCESS_BEAT") or "inprocess_beat" in app.extensions:
        return None
    if not app.extensions["celery"].conf.task_always_eager:
        log.warning("TOUCHPOINTS_INPROCESS_BEAT ignored: a broker is configured, run celery beat")
        return None
    beat = InProcessBeat(app)
    app.extensions["inprocess_beat"] = beat
    beat.start()
    return beat
