"""Latch and PublishSlot (`src/py/latch.rs`, `src/core/latch.rs`).

Semantics and error messages first, then concurrent checks (>= 4 threads released together
by a `threading.Barrier`): exactly one racing `set()`/`publish()` wins, every waiter wakes, and
a reader never sees a partially published payload. The last check is the detector for the
seeded bug `relaxed_publication` (see `twins.py` to run it against the twin).
"""

from __future__ import annotations

import threading
import time

import pytest
from threads import run_together
from twins import implementation

import ftlab

THREADS = 4


# ---- Latch: semantics ---------------------------------------------------------------------------


def test_latch_starts_unset_and_sets_once():
    latch = ftlab.Latch()
    assert not latch.is_set
    assert latch.wait(timeout=0) is False
    assert latch.set() is True
    assert latch.set() is False
    assert latch.is_set
    assert latch.wait() is True
    assert latch.wait(timeout=0) is True
    assert repr(latch) == "Latch(is_set=True)"


def test_latch_wait_times_out_when_never_set():
    latch = ftlab.Latch()
    start = time.monotonic()
    assert latch.wait(timeout=0.05) is False
    assert time.monotonic() - start >= 0.045


@pytest.mark.parametrize("bad", [-1, -0.001, float("nan")])
def test_latch_wait_rejects_bad_timeout(bad):
    with pytest.raises(ValueError, match="'timeout' must be a non-negative number"):
        ftlab.Latch().wait(timeout=bad)


def test_latch_wait_accepts_infinite_timeout_once_set():
    latch = ftlab.Latch()
    latch.set()
    assert latch.wait(timeout=float("inf")) is True


# ---- Latch: concurrent --------------------------------------------------------------------------


def test_concurrent_latch_exactly_one_set_wins():
    for _ in range(50):
        latch = ftlab.Latch()

        def racer(barrier):
            barrier.wait()
            return latch.set()

        assert sorted(run_together([racer] * THREADS)) == [False] * (THREADS - 1) + [True]


def test_concurrent_latch_wakes_every_waiter():
    latch = ftlab.Latch()
    payload: list[int] = []

    def waiter(barrier):
        barrier.wait()
        woke = latch.wait(timeout=30)
        return woke, list(payload)

    results: list = []
    t = threading.Thread(target=lambda: results.extend(run_together([waiter] * THREADS)))
    t.start()
    time.sleep(0.05)  # let the waiters block (not required for correctness)
    payload.extend([1, 2, 3])
    assert latch.set()
    t.join(timeout=30)
    assert not t.is_alive(), "a waiter slept through set()"
    assert results == [(True, [1, 2, 3])] * THREADS


# ---- PublishSlot: semantics ---------------------------------------------------------------------


def test_publish_slot_single_assignment():
    slot = ftlab.PublishSlot()
    assert slot.try_get() is None
    assert not slot.is_published
    assert repr(slot) == "PublishSlot(empty)"
    slot.publish([3, 1, 2])
    assert slot.is_published
    assert slot.try_get() == [3, 1, 2]
    assert repr(slot) == "PublishSlot(published, 3 values)"
    with pytest.raises(ValueError, match="PublishSlot is already published"):
        slot.publish([9])
    assert slot.try_get() == [3, 1, 2]


def test_publish_slot_returns_a_fresh_copy():
    slot = ftlab.PublishSlot()
    values = [1, 2]
    slot.publish(values)
    values.append(3)
    got = slot.try_get()
    got.append(4)
    assert slot.try_get() == [1, 2]


def test_publish_slot_accepts_empty_list():
    slot = ftlab.PublishSlot()
    slot.publish([])
    assert slot.try_get() == []


def test_publish_slot_bad_values_leave_slot_empty():
    slot = ftlab.PublishSlot()
    with pytest.raises(TypeError):
        slot.publish([1, "two"])
    with pytest.raises(OverflowError):
        slot.publish([2**64])
    with pytest.raises(TypeError):
        slot.publish("123")
    assert slot.try_get() is None
    slot.publish([7])
    assert slot.try_get() == [7]


# ---- PublishSlot: concurrent --------------------------------------------------------------------


def test_concurrent_publish_exactly_one_wins():
    for _ in range(50):
        slot = ftlab.PublishSlot()

        def racer(barrier):
            me = threading.get_ident() % 1000
            barrier.wait()
            try:
                slot.publish([me])
                return me
            except ValueError:
                return None

        winners = [w for w in run_together([racer] * THREADS) if w is not None]
        assert len(winners) == 1
        assert slot.try_get() == [winners[0]]


PAYLOAD = 4096


@pytest.mark.detects("relaxed_publication")
def test_concurrent_readers_never_see_partial_payload():
    """Detector for `relaxed_publication`: one publisher, THREADS - 1 spinning readers."""
    cls = implementation("relaxed_publication", "PublishSlot")
    rounds = 200
    slots = [cls() for _ in range(rounds)]
    expected = [list(range(r * PAYLOAD + 1, (r + 1) * PAYLOAD + 1)) for r in range(rounds)]
    torn: list[str] = []

    def participant(barrier):
        is_publisher = barrier.wait() == 0  # exactly one thread gets index 0
        for r, slot in enumerate(slots):
            barrier.wait()  # lockstep: readers are spinning on slot r while it is published
            if is_publisher:
                slot.publish(expected[r])
                continue
            spins = 0
            while (got := slot.try_get()) is None:
                spins += 1
                if spins % 64 == 0:
                    time.sleep(0)  # let the publisher in on GIL builds
            if got != expected[r]:
                zeros = sum(1 for x in got if x == 0)
                torn.append(f"slot {r}: {len(got)} values, {zeros} still zero")

    run_together([participant] * THREADS)
    assert not torn, f"readers saw partial payloads: {torn[:3]}"
