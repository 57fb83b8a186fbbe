"""Wake-up latency of the blocking patterns: Latch, WorkQueue, OnceResource.

A protocol that forgets a notification does not hang ftlab's bindings: they wait in slices to
stay interruptible (`src/py/wait.rs`), so the sleeper returns at the end of its slice, late but
with the right result, and every result-checking test passes. These detectors check the time
from the cause (the `set()`, the `put()`, the completed init) to the waiter's return instead.

Load-proof by construction: the fixture sets the wait slice to `SLICE` (1 s, with the test hook
`ftlab._set_wait_slice`), so a lost wake-up costs most of a second, while a correct wake-up takes
microseconds and even an overloaded 2-core machine delays a runnable thread by milliseconds;
`BOUND` (0.25 s) sits far from both. Waiters are given `SETTLE` to fall asleep before the
cause, and a waiter that had not yet started waiting at the cause is not measured.
"""

from __future__ import annotations

import threading
import time

import ftlab
import pytest
from twins import implementation

SLICE = 1.0
BOUND = 0.25
SETTLE = 0.05
WAITERS = 3
ROUNDS = 3
#: Per wait: far above SLICE, so a lost wake-up returns late rather than timing out.
TIMEOUT = 10.0

# The wait slice is process-wide, and each test starts its own waiter threads.
pytestmark = pytest.mark.thread_unsafe(reason="sets the process-wide wait slice and times its own threads")


@pytest.fixture
def long_wait_slice():
    previous = ftlab._set_wait_slice(SLICE)
    yield
    ftlab._set_wait_slice(previous)


def measure(waiters: int, wait, cause) -> list[float]:
    """Starts `waiters` threads running `wait()`; after SETTLE runs `cause()` and returns each
    measured latency (return time minus the time read just before `cause()`), for the waiters
    that were already waiting by then. Fails if a waiter does not return within TIMEOUT."""
    began: list[float] = [0.0] * waiters
    returned: list[float] = [0.0] * waiters
    errors: list[BaseException] = []
    ready = threading.Barrier(waiters + 1)

    def waiter(i: int) -> None:
        try:
            ready.wait()
            began[i] = time.monotonic()
            wait()
            returned[i] = time.monotonic()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=waiter, args=(i,), daemon=True) for i in range(waiters)]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(SETTLE)
    caused = time.monotonic()
    cause()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), f"a waiter did not return within {TIMEOUT} s"
    if errors:
        raise errors[0]
    return [r - caused for b, r in zip(began, returned) if b < caused]


def assert_prompt(latencies: list[float], what: str) -> None:
    late = [f"{x * 1000:.1f} ms" for x in latencies if x >= BOUND]
    assert not late, (f"lost wake-up: {len(late)} of {len(latencies)} waiters returned "
                      f"{', '.join(late)} after the {what} (bound {BOUND * 1000:.0f} ms, wait slice {SLICE} s)")


@pytest.mark.detects("lost_wakeup_latch")
def test_latch_waiters_wake_promptly_after_set(long_wait_slice):
    cls = implementation("lost_wakeup_latch", "Latch")
    for _ in range(ROUNDS):
        latch = cls()
        latencies = measure(WAITERS, lambda: latch.wait(timeout=TIMEOUT), latch.set)
        assert latch.is_set
        assert_prompt(latencies, "set()")


@pytest.mark.detects("lost_wakeup_queue")
def test_queue_consumer_wakes_promptly_after_put(long_wait_slice):
    cls = implementation("lost_wakeup_queue", "WorkQueue")
    for k in range(ROUNDS):
        queue = cls(1)
        got: list[object] = []
        latencies = measure(1, lambda: got.append(queue.get(timeout=TIMEOUT)), lambda: queue.put(k))
        assert got == [k]
        assert_prompt(latencies, "put()")


@pytest.mark.detects("lost_wakeup_once")
def test_once_waiters_wake_promptly_after_init_completes(long_wait_slice):
    cls = implementation("lost_wakeup_once", "OnceResource")
    for k in range(ROUNDS):
        release = threading.Event()
        started = threading.Event()

        def init(k=k):
            started.set()
            release.wait(TIMEOUT)
            return k

        resource = cls(init)
        initialiser = threading.Thread(target=resource.get, daemon=True)
        initialiser.start()
        assert started.wait(TIMEOUT), "init did not start"
        values: list[object] = []
        # The cause is the end of init: `release` lets it return, and the claim completes.
        latencies = measure(WAITERS, lambda: values.append(resource.get()), release.set)
        initialiser.join(TIMEOUT)
        assert values == [k] * WAITERS
        assert resource.init_count == 1
        assert_prompt(latencies, "init completed")


def test_set_wait_slice_rejects_bad_values():
    for bad in (0.0, -1.0, float("nan"), float("inf"), 1e9):
        with pytest.raises(ValueError, match="wait slice"):
            ftlab._set_wait_slice(bad)
