"""The one home of the suite's thread runners: start threads together, collect, never hang.

Every concurrent test in `python-tests/` starts its threads through one of these two:

* `run_in_threads(n, target)` — `target(i)` for i in range(n), each in its own thread, all
  released at once by a Barrier (the common case);
* `run_together(targets)` — `targets[i](barrier)` each in its own thread, for tests whose threads
  do different things or decide themselves when to wait on the shared Barrier (producers and
  consumers, a racer that sets up before the race);
* `run_while(background, targets)` — `targets` as in `run_together`, plus `background[j](barrier,
  stop)` threads (writers, mutators) that keep going until every target is done and `stop` is set.

Invariants: threads are daemons joined against one deadline, so a deadlocked twin fails the test
with a clear AssertionError instead of hanging the session (pytest-twins then reports it as
caught, and its own hard timeout covers a hang no Python code can interrupt); results come back
in thread order; the first exception is re-raised in the caller (or, with
`return_exceptions=True`, returned as that thread's result), and on an exception the Barrier is
aborted so threads still waiting on it fail fast instead of waiting for the deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: Generous: far above what the correct classes need (see `pytest --durations`), so only a deadlock hits it.
DEADLINE_SECONDS = 60.0


def run_together(targets: Sequence[Callable[[threading.Barrier], Any]], deadline: float = DEADLINE_SECONDS,
                 *, return_exceptions: bool = False) -> list:
    """Runs `targets[i](barrier)` each in its own thread (one Barrier of len(targets) parties
    shared by all); returns their results in order. The first exception of any thread is
    re-raised (or returned as that thread's result with `return_exceptions`); fails with
    AssertionError if the threads are not all done within `deadline` seconds."""
    n = len(targets)
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            results[i] = targets[i](barrier)
        except BaseException as e:  # noqa: BLE001 - re-raised (or returned) in the caller
            if return_exceptions:
                results[i] = e
            else:
                errors.append(e)
                barrier.abort()

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    end = time.monotonic() + deadline
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    assert stuck == 0, f"{stuck} of {n} threads still running after {deadline:.0f} s (deadlock?)"
    if errors:
        raise errors[0]
    return results


def run_in_threads(n: int, target: Callable[[int], T], deadline: float = DEADLINE_SECONDS) -> list[T]:
    """Runs `target(i)` for i in range(n), each in its own thread, all released at once by a
    Barrier; returns the results in order. Re-raises the first exception of any thread; fails
    with AssertionError if the threads are not all done within `deadline` seconds."""

    def released(i: int) -> Callable[[threading.Barrier], T]:
        def run(barrier: threading.Barrier) -> T:
            barrier.wait()
            return target(i)

        return run

    return run_together([released(i) for i in range(n)], deadline)


def run_while(background: Sequence[Callable[[threading.Barrier, threading.Event], None]],
              targets: Sequence[Callable[[threading.Barrier], T]], deadline: float = DEADLINE_SECONDS) -> list[T]:
    """Runs `targets` as `run_together` does, and beside them `background[j](barrier, stop)`
    threads (one Barrier for all) that must return once `stop` is set; `stop` is set when the
    last target returns or raises. Returns the targets' results in order."""
    stop = threading.Event()
    left = [len(targets)]
    lock = threading.Lock()

    def foreground(target: Callable[[threading.Barrier], T]) -> Callable[[threading.Barrier], T]:
        def run(barrier: threading.Barrier) -> T:
            try:
                return target(barrier)
            finally:
                with lock:
                    left[0] -= 1
                    if left[0] == 0:
                        stop.set()

        return run

    def behind(work: Callable[[threading.Barrier, threading.Event], None]) -> Callable[[threading.Barrier], None]:
        return lambda barrier: work(barrier, stop)

    results = run_together([foreground(t) for t in targets] + [behind(b) for b in background], deadline)
    return results[:len(targets)]
