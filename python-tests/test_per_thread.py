"""PerThreadCounter (`src/py/per_thread.rs`): per-thread slots merged on demand.

Semantics (default delta, wrapping, one slot per thread, slots of exited threads folded), then
the concurrency check: THREADS threads released together add concurrently while a reader
merges; the merged value never goes backwards and is exact after the joins.

The concurrent check is the detector for `non_unique_thread_slot` (`@pytest.mark.detects`; the
seeded `NonUniqueSlotCounter` picks slots by thread number modulo 2 but writes them as if each
had one writer, so threads sharing a slot lose adds).
"""

from __future__ import annotations

import threading
import time

import pytest
from threads import run_in_threads
from twins import implementation

import ftlab

PerThreadCounter = ftlab.PerThreadCounter
THREADS = 4
ADDS = 20_000


def test_add_and_value():
    c = PerThreadCounter()
    assert c.value == 0 and c.slots == 0
    assert c.add() is None
    c.add(41)
    c.add(-2)
    assert c.value == 40
    assert c.slots == 1  # one thread, one slot
    assert repr(c) == "PerThreadCounter(value=40)"


def test_wraps_on_overflow():
    c = PerThreadCounter()
    c.add(2**63 - 1)
    c.add(1)
    assert c.value == -(2**63)


@pytest.mark.parametrize("bad", [1.5, "1", None, 2**63])
def test_bad_delta(bad):
    with pytest.raises((TypeError, OverflowError)):
        PerThreadCounter().add(bad)


def test_each_thread_gets_a_slot_and_exited_threads_are_folded():
    c = PerThreadCounter()
    threads = [threading.Thread(target=c.add, args=(i,)) for i in range(1, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.value == 15
    # Python's join returns before the OS thread has run its Rust thread-local destructors,
    # so the fold may need a moment.
    deadline = time.monotonic() + 10
    while c.slots and time.monotonic() < deadline:
        time.sleep(0.01)
        assert c.value == 15
    assert c.slots == 0, "the exited threads' slots were not folded"
    assert c.value == 15


def test_many_counters_on_one_thread():
    counters = [PerThreadCounter() for _ in range(50)]
    for i, c in enumerate(counters):
        c.add(i)
    assert [c.value for c in counters] == list(range(50))
    del counters[::2]  # dropped counters leave the thread's cache at its next new slot
    PerThreadCounter().add(1)
    assert [c.value for c in counters] == list(range(1, 50, 2))


@pytest.mark.detects("non_unique_thread_slot")
def test_concurrent_adds_are_never_lost():
    c = implementation("non_unique_thread_slot", "PerThreadCounter")()
    finished: list[int] = []

    def work(i):
        if i == THREADS:  # the merging reader
            last = 0
            while len(finished) < THREADS:
                now = c.value
                assert 0 <= now <= THREADS * ADDS, f"merged value {now} out of range"
                assert now >= last, f"merged value went back from {last} to {now}"
                last = now
            return
        try:
            for _ in range(ADDS):
                c.add(1)
        finally:
            finished.append(i)

    run_in_threads(THREADS + 1, work)
    assert c.value == THREADS * ADDS, f"lost {THREADS * ADDS - c.value} of {THREADS * ADDS} adds"
