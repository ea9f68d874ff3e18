"""Timing helpers shared by the benchmark scripts (not part of the package).

Each cell: one untimed warm-up call, then repetitions until ``min_reps`` and ``min_time`` are
both reached (at most ``max_reps``); the figure is the median. The CPU time used by *other*
processes during the timed repetitions is recorded (``/proc/stat`` busy time minus this
process's CPU time), because these machines are shared: a cell measured while another process
held more than a quarter of a core is flagged with ``*`` and re-measured up to twice.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def pin_threads(n: int = 2) -> None:
    """Pin BLAS/OpenMP pools (call before importing numpy/torch), and make idle OpenMP and
    OpenBLAS workers sleep at once: spinning workers of one library would otherwise hold a core
    that the next library's threads need (seen here: torch's OpenMP pool spinning after each
    call made a 2-thread NumPy fill 1.5x slower)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def _busy_seconds() -> float | None:
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()[1:]
    except OSError:
        return None
    ticks = [int(p) for p in parts]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks) - idle) / CLK_TCK


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Cell:
    """A timed cell: median seconds, all samples, and foreign load in cores."""

    median: float
    samples: list[float] = field(default_factory=list)
    foreign_cores: float | None = None

    @property
    def clean(self) -> bool:
        return self.foreign_cores is None or self.foreign_cores <= 0.25

    def fmt_ms(self) -> str:
        flag = "" if self.clean else "*"
        return f"{self.median * 1e3:.1f}{flag}"

    def fmt_us(self) -> str:
        flag = "" if self.clean else "*"
        return f"{self.median * 1e6:.0f}{flag}"


def measure(fn: Callable[[], object], *, min_reps: int = 5, max_reps: int = 50,
            min_time: float = 0.3, inner: int = 1, retries: int = 2) -> Cell:
    """Time ``fn`` (called ``inner`` times per sample); returns seconds per call."""
    best: Cell | None = None
    for _ in range(retries + 1):
        fn()
        samples: list[float] = []
        gc_was = gc.isenabled()
        gc.disable()
        busy0, own0, wall0 = _busy_seconds(), _own_cpu(), time.perf_counter()
        try:
            while len(samples) < max_reps and (len(samples) < min_reps
                                               or sum(samples) * inner < min_time):
                start = time.perf_counter()
                for _ in range(inner):
                    fn()
                samples.append((time.perf_counter() - start) / inner)
        finally:
            if gc_was:
                gc.enable()
        busy1, own1, wall1 = _busy_seconds(), _own_cpu(), time.perf_counter()
        foreign = None
        if busy0 is not None and busy1 is not None:
            foreign = max(0.0, ((busy1 - busy0) - (own1 - own0)) / (wall1 - wall0))
        cell = Cell(statistics.median(samples), samples, foreign)
        if cell.clean:
            return cell
        best = cell if best is None or cell.median < best.median else best
    assert best is not None
    return best


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table with right-aligned numeric columns."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 1) + ":" if i else "-" * (w + 2)
                         for i, w in enumerate(widths)) + "|"
    body = ["| " + " | ".join(str(c).rjust(w) if i else str(c).ljust(w)
                              for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |"
            for r in rows]
    return "\n".join([line, sep, *body])


def measure_pair(fa: Callable[[], object], fb: Callable[[], object], *, pairs: int = 15
                 ) -> tuple[float, float, float]:
    """Alternate ``fa`` and ``fb`` (``pairs`` times each, after a warm-up of both).

    Returns the median seconds of each and the median of the per-pair ratios ``b / a``:
    a drift of the machine's speed during the cell affects both sides alike.
    """
    fa(), fb()
    ta: list[float] = []
    tb: list[float] = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(pairs):
            start = time.perf_counter()
            fa()
            mid = time.perf_counter()
            fb()
            end = time.perf_counter()
            ta.append(mid - start)
            tb.append(end - mid)
    finally:
        if gc_was:
            gc.enable()
    ratios = [b / a for a, b in zip(ta, tb, strict=True)]
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def measure_after_idle(fn: Callable[[], object], *, idle: float = 0.03, reps: int = 15) -> float:
    """Median seconds of ``fn`` when each call follows ``idle`` seconds of sleep.

    On these virtual machines a core that idled for a few milliseconds runs the next burst of
    work slower (a 2-thread NumPy fill: 14.5 ms per half after a 30 ms sleep, 10.9 ms back to
    back), so code that calls an initializer now and then sees this figure, not the blocked one.
    """
    fn()
    samples = []
    for _ in range(reps):
        time.sleep(idle)
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
