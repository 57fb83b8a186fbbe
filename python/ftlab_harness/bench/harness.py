"""Timing machinery shared by every benchmark group: threads on a barrier, sizing, interleaving.

A *case* is a name plus a ``make_loop(index) -> loop(iterations)`` factory. ``make_loop`` runs
inside the worker thread before the start barrier, so objects it creates are owned by that
thread (this matters on 3.13t, where an object's reference count is cheap for its owning
thread and atomic for every other thread). Only the loops run between the barrier release and
the last join, which is the measured interval.

Measurements use a fixed total amount of work split across the threads (strong scaling), so a
measurement never takes longer than the single-thread one on a machine that gives no
parallelism. ``interleave`` runs repetition r of every (threads, case) cell before repetition
r + 1 of any, so slow drift of the machine (other processes, frequency changes) hits all cases
alike, and ratios are taken per repetition before the median.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import sysconfig
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence

Loop = Callable[[int], object]
LoopFactory = Callable[[int], Loop]


def cores() -> int:
    """CPUs this process may run on (what the thread counts are derived from)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def gil_enabled() -> bool:
    """Whether the GIL is on right now (always True before 3.13)."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe is not None else True


def interpreter_record(label: str) -> dict:
    """The fields every record carries to say where it was measured: `interpreter` is the version
    tag (`cpython-3.13.5t`, as in every other record kind), `executable` the binary's path."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    version = ".".join(map(str, sys.version_info[:3]))
    return {
        "label": label,
        "interpreter": f"{sys.implementation.name}-{version}{'t' if free_threaded else ''}",
        "executable": sys.executable,
        "version": version,
        "free_threaded": free_threaded,
        "gil_enabled": gil_enabled(),
        "cores": cores(),
    }


def thread_counts(quick: bool) -> List[int]:
    """1 .. 2 x cores (every count in full runs; 1 and cores under --quick, a smoke test)."""
    c = cores()
    if quick:
        return sorted({1, max(2, c)})
    return list(range(1, 2 * c + 1))


def counts_arg(text: str, what: str) -> List[int]:
    """An argparse `type` body: comma-separated counts of `what` (threads, workers), each >= 1,
    sorted without repeats."""
    try:
        values = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what} counts, got {text!r}") from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"{what} counts must be >= 1, got {text!r}")
    return values


class Case:
    """One measured operation: ``make_loop(i)`` builds thread i's loop inside thread i."""

    def __init__(self, name: str, make_loop: LoopFactory, description: str = "") -> None:
        self.name = name
        self.make_loop = make_loop
        self.description = description
        self.iterations = 0  # total work per measurement, set by `size`


class Timing:
    """One measurement: wall seconds (first start to last end) and the threads' CPU seconds."""

    __slots__ = ("wall", "cpu")

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall = wall
        self.cpu = cpu


def run_threads(threads: int, make_loop: LoopFactory, per_thread: int) -> Timing:
    """Runs `per_thread` iterations in each of `threads` threads; returns wall and CPU seconds.

    Setup (``make_loop``) happens in each thread before the start barrier. Each worker reads
    the clocks itself right after the barrier and right after its loop; the wall interval is
    first start to last end. (Reading the clock in the main thread instead would count
    nothing when the main thread is preempted just after the barrier on a loaded machine.)
    CPU seconds (``time.thread_time``) summed over the workers are what the threads actually
    ran: time stolen by other processes is not in it, cache-line contention is.
    """
    start = threading.Barrier(threads + 1)
    errors: List[BaseException] = []
    spans: List[tuple] = []
    clock, cpu_clock = time.perf_counter, time.thread_time

    def body(index: int) -> None:
        loop: Optional[Loop] = None
        try:
            loop = make_loop(index)
        except BaseException as e:  # reported by the main thread below
            errors.append(e)
        start.wait()
        t0, c0 = clock(), cpu_clock()
        if loop is not None:
            try:
                loop(per_thread)
            except BaseException as e:
                errors.append(e)
        c1, t1 = cpu_clock(), clock()
        spans.append((t0, t1, c1 - c0))  # list.append is atomic on every build

    workers = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    wall = max(s[1] for s in spans) - min(s[0] for s in spans)
    return Timing(max(wall, 1e-9), max(sum(s[2] for s in spans), 1e-9))


def size(case: Case, target_seconds: float) -> int:
    """Total iterations for which one thread needs about `target_seconds`."""
    iterations = 64
    while True:
        elapsed = run_threads(1, case.make_loop, iterations).wall
        if elapsed >= target_seconds / 4 or iterations >= 1 << 30:
            break
        iterations *= 8 if elapsed < target_seconds / 64 else 2
    case.iterations = max(1, int(iterations * target_seconds / elapsed))
    return case.iterations


class Sample:
    """Throughput of one measurement: ops per wall second and ops per CPU second."""

    __slots__ = ("ops_per_s", "ops_per_cpu_s")

    def __init__(self, ops_per_s: float, ops_per_cpu_s: float) -> None:
        self.ops_per_s = ops_per_s
        self.ops_per_cpu_s = ops_per_cpu_s


def measure(case: Case, threads: int) -> Sample:
    """Throughput of `case` with its fixed total work split across `threads` threads."""
    per_thread = max(1, case.iterations // threads)
    t = run_threads(threads, case.make_loop, per_thread)
    ops = per_thread * threads
    return Sample(ops / t.wall, ops / t.cpu)


def interleave(
    cases: Sequence[Case],
    threads: Sequence[int],
    reps: int,
    failures: Dict[str, str],
    progress: Optional[Callable[[str], None]] = None,
) -> Dict[str, Dict[int, List[Sample]]]:
    """Samples per case per thread count, one list entry per repetition, interleaved.

    A case that raises is recorded in `failures` (name -> one-line reason) and dropped from
    the remaining repetitions; the others go on.
    """
    out: Dict[str, Dict[int, List[Sample]]] = {c.name: {n: [] for n in threads} for c in cases}
    for rep in range(reps):
        if progress:
            progress(f"repetition {rep + 1}/{reps}")
        gc.collect()
        for n in threads:
            for c in cases:
                if c.name in failures:
                    continue
                try:
                    out[c.name][n].append(measure(c, n))
                except Exception as e:
                    failures[c.name] = f"{type(e).__name__}: {e}"
    return out


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def scaling(reps: Dict[int, List[float]], threads: int) -> List[float]:
    """Per-repetition ratio throughput(threads) / throughput(1)."""
    return [a / b for a, b in zip(reps[threads], reps[1])]


def calibration_loop(index: int) -> Loop:
    """Pure-Python work on thread-local data: the machine's parallelism yardstick.

    The list and the integers are created by this thread, so on 3.13t nothing here is shared
    and nothing contends; on a GIL build the threads simply take turns.
    """
    data = [i * 7 + index for i in range(64)]

    def loop(iterations: int) -> object:
        total = 0
        for _ in range(iterations):
            for x in data:
                total += x & 15
        return total

    return loop


def calibration_case() -> Case:
    return Case(
        "calibration",
        calibration_loop,
        "pure-Python arithmetic on a list owned by the thread: how much parallelism the machine gave",
    )
