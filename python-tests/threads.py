"""Run a function in several threads released together by a `threading.Barrier`.

Shared by the pattern tests (`test_counter.py`, `test_bank.py`, `test_registry.py`). Threads
are daemons and joined with a deadline, so a deadlocked twin fails the test with a clear
message instead of hanging the session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Generous: the correct classes finish in well under a second even on a loaded 2-core box.
DEADLINE_SECONDS = 60.0


def run_in_threads(n: int, target: Callable[[int], T], deadline: float = DEADLINE_SECONDS) -> list[T]:
    """Runs `target(i)` for i in range(n), each in its own thread, all released at once by a
    Barrier; returns the results in order. Re-raises the first exception of any thread; fails
    with AssertionError if the threads are not all done within `deadline` seconds."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            errors.append(e)

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
