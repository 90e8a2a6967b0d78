"""Wall-clock timing of several callables under the same load: first calls apart, then rounds.

A shared machine's load changes while a table runs, so the rows are timed in rounds: each
round calls every row once (the order rotated from round to round), and a row's samples are
its calls across the rounds. Slow minutes then fall on every row alike, and the ratios
between rows hold better than their absolute times.

Framework-free: each entry brings its own ``sync``, which waits for queued device work (a CUDA
stream, TF's device queues) so that a call measures work done, not work launched.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


# A pause before each timed call. Thread pools spin a while after their work (TF's Eigen
# pool, OpenMP, onnxruntime's): without the pause, the last row's spinning threads take the
# cores from the next row's first milliseconds, which on 2 cores doubles a small model's time.
SETTLE_S = 0.02


class Skip(Exception):
    """A row that cannot be measured here; the message is the reason the table shows."""


@dataclass
class Prepared:
    """A row ready to time: its first call is done (``first_s``; for a compiled mode, tracing
    and compiling). ``compile_s`` is what the table reports as compile time (None for eager
    modes); ``finish`` may add a note once the row's calls are done."""

    call: Callable[[], object]
    sync: Callable[[], None]
    first_s: float
    compile_s: float | None = None
    finish: Callable[[], str] | None = None


def _nothing() -> None:
    return None


def first_call(call: Callable[[], object], sync: Callable[[], None] = _nothing) -> float:
    """Seconds that one call of ``call`` takes, synchronised on both sides."""
    sync()
    start = time.perf_counter()
    call()
    sync()
    return time.perf_counter() - start


def interleaved(
    entries: Sequence[Prepared],
    *,
    warmup: int,
    repeats: int,
    on_round: Callable[[int, int], None] | None = None,
) -> list[tuple[float, ...]]:
    """Per entry, the milliseconds of each of its ``repeats`` timed calls. ``warmup`` untimed
    rounds come first; each call is timed on its own between two syncs."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be at least 0, got {warmup}")
    times: list[list[float]] = [[] for _ in entries]
    rounds = warmup + repeats
    for number in range(rounds):
        if on_round is not None:
            on_round(number, rounds)
        shift = number % len(entries) if entries else 0
        for index in [*range(shift, len(entries)), *range(shift)]:
            entry = entries[index]
            entry.sync()
            time.sleep(SETTLE_S)
            start = time.perf_counter()
            entry.call()
            entry.sync()
            if number >= warmup:
                times[index].append((time.perf_counter() - start) * 1000.0)
    return [tuple(t) for t in times]


@dataclass(frozen=True)
class Stats:
    """Median, quartiles and range of a row's times (ms)."""

    median: float
    q1: float
    q3: float
    low: float
    high: float

    @classmethod
    def of(cls, times: Sequence[float]) -> Stats:
        if not times:
            raise ValueError("no times to summarise")
        return cls(statistics.median(times), quantile(times, 0.25), quantile(times, 0.75), min(times), max(times))


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), defined for one value too."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
