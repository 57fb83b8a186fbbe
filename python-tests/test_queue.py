"""WorkQueue and QueueClosed (`src/py/queue.rs`, `src/core/queue.rs`).

Semantics and error messages first (FIFO, bound, timeouts, close), then concurrent checks
(>= 4 threads released together by a `threading.Barrier`): N producers and M consumers hand
over every item exactly once, and close wakes blocked consumers and producers. The
exactly-once check is the detector for the seeded bug `queue_drop_or_duplicate` (see
`twins.py` to run it against the twin).
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections import Counter

import pytest
from threads import run_together
from twins import implementation

import ftlab


# ---- semantics ----------------------------------------------------------------------------------


def test_fifo_len_capacity_and_repr():
    q = ftlab.WorkQueue(3)
    assert q.capacity == 3
    assert len(q) == 0
    assert not q.closed
    for item in ("a", None, 3):
        q.put(item)
    assert len(q) == 3
    assert repr(q) == "WorkQueue(capacity=3, len=3, closed=False)"
    assert [q.get(), q.get(), q.get()] == ["a", None, 3]
    assert len(q) == 0


def test_put_on_full_queue_times_out():
    q = ftlab.WorkQueue(1)
    q.put(1)
    with pytest.raises(TimeoutError, match="WorkQueue.put timed out after 0s"):
        q.put(2, timeout=0)
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="WorkQueue.put timed out after 0.05s"):
        q.put(2, timeout=0.05)
    assert time.monotonic() - start >= 0.045
    assert q.get() == 1
    assert len(q) == 0


def test_get_on_empty_queue_times_out():
    q = ftlab.WorkQueue(1)
    with pytest.raises(TimeoutError, match="WorkQueue.get timed out after 0s"):
        q.get(timeout=0)
    with pytest.raises(TimeoutError, match="WorkQueue.get timed out after 0.05s"):
        q.get(timeout=0.05)


def test_close_rejects_puts_and_drains_then_raises():
    q = ftlab.WorkQueue(4)
    q.put("x")
    q.put("y")
    q.close()
    q.close()  # idempotent
    assert q.closed
    assert repr(q) == "WorkQueue(capacity=4, len=2, closed=True)"
    with pytest.raises(ftlab.QueueClosed, match="put on a closed WorkQueue"):
        q.put("z")
    assert q.get() == "x"
    assert q.get(timeout=0) == "y"
    with pytest.raises(ftlab.QueueClosed, match="WorkQueue is closed and drained"):
        q.get()
    with pytest.raises(ftlab.QueueClosed):
        q.get(timeout=0)


def test_queue_closed_is_an_exception_subclass():
    assert issubclass(ftlab.QueueClosed, Exception)
    assert ftlab.QueueClosed.__module__ == "ftlab"


@pytest.mark.parametrize("bad", [0, -1])
def test_capacity_must_be_positive(bad):
    with pytest.raises(ValueError, match=f"capacity must be at least 1, got {bad}"):
        ftlab.WorkQueue(bad)


def test_capacity_must_be_an_int():
    with pytest.raises(TypeError):
        ftlab.WorkQueue("8")  # type: ignore[arg-type]


def test_huge_capacity_allocates_nothing_up_front():
    q = ftlab.WorkQueue(2**62)
    q.put(1)
    assert q.get() == 1


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_timeouts_must_be_non_negative(bad):
    q = ftlab.WorkQueue(1)
    with pytest.raises(ValueError, match="'timeout' must be a non-negative number"):
        q.get(timeout=bad)
    with pytest.raises(ValueError, match="'timeout' must be a non-negative number"):
        q.put(1, timeout=bad)
    assert len(q) == 0


def test_blocked_get_is_woken_by_put():
    q = ftlab.WorkQueue(1)
    got: list = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=30)))
    t.start()
    time.sleep(0.02)
    q.put("hello")
    t.join(timeout=30)
    assert got == ["hello"]


@pytest.mark.thread_unsafe(reason="signals are delivered to the main thread only")
def test_blocked_get_in_main_thread_is_interruptible():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("needs the main thread")
    q = ftlab.WorkQueue(1)
    # A process started in the background (CI runners, `cmd &`, the stress matrix's children)
    # may inherit SIGINT as ignored, and then `interrupt_main` is a no-op: install Python's
    # default handler for the duration of the test so it checks the queue, not the launcher.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.05, _thread.interrupt_main)
    try:
        timer.start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            q.get(timeout=30)
        timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - start < 25  # interrupted, not timed out


# ---- concurrent ---------------------------------------------------------------------------------


#: Rounds per detector run: one round of 6000 items usually shows the twin's duplicate, but with
#: more consumers than producers under load the queue is mostly empty and one consumer at a time
#: is awake, so a round could pass (seen in ci/load-test: [2-6], even all 5 rounds once, when the
#: threads shared one core; since the twins' race window also yields now and then, src/sync.rs,
#: each round on one core has ~85 duplicates). Each round takes about 0.2 s; the correct queue
#: runs all of them.
ROUNDS = 5


def _deliver_round(cls, producers, consumers, per_producer=3000):
    """One round: tagged items through a fresh small bounded queue; returns (failures, delivered,
    items left in the queue)."""
    q = cls(4)
    done_producing = threading.Barrier(producers + 1)

    def producer(p):
        def run(barrier):
            barrier.wait()
            for i in range(per_producer):
                q.put((p, i), timeout=30)
            done_producing.wait()

        return run

    def consumer(barrier):
        barrier.wait()
        got = []
        while True:
            try:
                got.append(q.get(timeout=30))
            except ftlab.QueueClosed:
                return got

    def closer(barrier):
        barrier.wait()
        done_producing.wait()
        q.close()

    results = run_together([producer(p) for p in range(producers)] + [consumer] * consumers + [closer],
                           return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception)]
    return failures, Counter(item for r in results if isinstance(r, list) for item in r), len(q)


@pytest.mark.detects("queue_drop_or_duplicate")
@pytest.mark.parametrize("producers,consumers", [(4, 4), (2, 6), (6, 2)])
def test_concurrent_every_item_delivered_exactly_once(producers, consumers):
    """Detector for `queue_drop_or_duplicate`: tagged items through a small bounded queue, up to
    ROUNDS rounds (stops at the first round that loses or duplicates an item)."""
    cls = implementation("queue_drop_or_duplicate", "WorkQueue")
    expected = {(p, i) for p in range(producers) for i in range(3000)}
    for _ in range(ROUNDS):
        failures, delivered, left = _deliver_round(cls, producers, consumers)
        assert not failures, failures[:3]
        duplicated = [item for item, n in delivered.items() if n > 1]
        missing = expected - set(delivered)
        assert not duplicated, f"{len(duplicated)} items delivered twice, e.g. {sorted(duplicated)[:3]}"
        assert not missing, f"{len(missing)} items never delivered, e.g. {sorted(missing)[:3]}"
        assert set(delivered) == expected
        assert left == 0


def test_concurrent_close_wakes_blocked_consumers():
    cls = implementation("queue_drop_or_duplicate", "WorkQueue")
    q = cls(2)
    blocked = 4

    def consumer(barrier):
        barrier.wait()
        start = time.monotonic()
        try:
            q.get(timeout=30)
            return "got an item from an empty queue"
        except ftlab.QueueClosed:
            return time.monotonic() - start

    def closer(barrier):
        barrier.wait()
        time.sleep(0.1)  # let the consumers block
        q.close()

    results = run_together([consumer] * blocked + [closer], return_exceptions=True)
    waits = results[:blocked]
    assert all(isinstance(w, float) for w in waits), waits
    assert max(waits) < 25, "a consumer was not woken by close()"


def test_concurrent_close_wakes_blocked_producers():
    cls = implementation("queue_drop_or_duplicate", "WorkQueue")
    q = cls(1)
    q.put("filler")
    blocked = 4

    def producer(barrier):
        barrier.wait()
        try:
            q.put("late", timeout=30)
            return "put into a full queue"
        except ftlab.QueueClosed:
            return "closed"

    def closer(barrier):
        barrier.wait()
        time.sleep(0.1)
        q.close()

    results = run_together([producer] * blocked + [closer], return_exceptions=True)
    assert results[:blocked] == ["closed"] * blocked
    assert q.get() == "filler"
    with pytest.raises(ftlab.QueueClosed):
        q.get()
