"""Progress of a batch for logs: periodic lines with what is done, the rate and the time left (cron, schedulers)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class ProgressLog:
    """Counts decided requests and logs ``done/total, rate, ETA`` at most every ``every`` seconds (and at the end)."""

    def __init__(self, total: int, done: int = 0, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.done, self.every, self.clock = total, done, every, clock
        self.started = self.last = clock()
        self.first = done
        log.info("batch: %s of %s requests already decided, %s to go", f"{done:,}", f"{total:,}",
                 f"{total - done:,}")

    def __call__(self, n: int) -> None:
        """Record ``n`` more requests decided; log a line when ``every`` seconds have passed or all are done."""
        self.done += n
        now = self.clock()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """One progress line: done, share, rate and the estimated time left."""
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        rate = (self.done - self.first) / elapsed
        left = self.total - self.done
        eta = "—" if rate <= 0 else str(dt.timedelta(seconds=round(left / rate)))
        share = self.done / self.total if self.total else 1.0
        return (f"batch: {self.done:,}/{self.total:,} decided ({share:.1%}) · {rate:,.0f}/s · "
                f"elapsed {dt.timedelta(seconds=round(elapsed))} · ETA {eta}")


def progress_log(every: float = 30.0) -> Callable[[int, int], Callable[[int], None]]:
    """A ``progress`` argument for ``run_batch`` that writes log lines instead of drawing a bar."""
    return lambda total, done: ProgressLog(total, done, every)
