"""Counters (`src/py/counter.rs`): MutexGuardedCounter, AtomicCounter, ShardedCounter.

Semantics and bad input, then the concurrency check: THREADS threads released together on a
Barrier each add ADDS times; the final value must be exact (no increment lost), and a reader
racing with them must see a value that never goes down.

The concurrent checks are marked `detects(<bug>)` for the counter they check and must fail on
its seeded twin (`ci/pytest-twins`, `twins.py`): `lost_update` for AtomicCounter,
`unsafe_shared_mut` for MutexGuardedCounter (on 3.13t with the GIL off; under a GIL nothing
interleaves inside `add`). ShardedCounter has no twin: its adds are the AtomicCounter's RMW.
"""

from __future__ import annotations

from collections import Counter

import pytest

from threads import run_in_threads
from twins import implementation

import ftlab

THREADS = 4
ADDS = 10_000  # each add of a twin spends RACE_WINDOW (20 µs) in its race window

MutexGuardedCounter = ftlab.MutexGuardedCounter
AtomicCounter = ftlab.AtomicCounter
ShardedCounter = ftlab.ShardedCounter
RETURNING = [MutexGuardedCounter, AtomicCounter]  # add() returns the new value
ALL = [*RETURNING, ShardedCounter]

# Concurrency checks: (seeded bug, correct class) per counter; the bug selects the twin under
# FTLAB_TWINS=seeded and marks the case as its detector.
DETECTORS_RETURNING = [
    pytest.param("unsafe_shared_mut", "MutexGuardedCounter", marks=pytest.mark.detects("unsafe_shared_mut"),
                 id="MutexGuardedCounter"),
    pytest.param("lost_update", "AtomicCounter", marks=pytest.mark.detects("lost_update"), id="AtomicCounter"),
]
DETECTORS_ALL = [*DETECTORS_RETURNING, pytest.param(None, "ShardedCounter", id="ShardedCounter")]


def counter_class(bug, correct):
    return getattr(ftlab, correct) if bug is None else implementation(bug, correct)


@pytest.mark.parametrize("cls", RETURNING, ids=lambda c: c.__name__)
def test_add_returns_new_value(cls):
    c = cls()
    assert c.value == 0
    assert c.add() == 1
    assert c.add(5) == 6
    assert c.add(-10) == -4
    assert c.value == -4
    assert cls(start=7).value == 7
    assert cls(-3).add(delta=3) == 0


def test_sharded_counter_semantics():
    c = ShardedCounter()
    assert c.value == 0
    assert c.add() is None
    c.add(5)
    c.add(delta=-2)
    assert c.value == 4
    assert c.shards >= 1 and c.shards & (c.shards - 1) == 0  # default: a power of two
    assert ShardedCounter(3).shards == 3
    assert ShardedCounter(shards=1).shards == 1
    assert "ShardedCounter(value=4" in repr(c)


@pytest.mark.parametrize("shards", [0, -1, 4097])
def test_sharded_counter_refuses_bad_shard_counts(shards):
    with pytest.raises(ValueError, match=f"shards must be between 1 and 4096, got {shards}"):
        ShardedCounter(shards)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_bad_input(cls):
    c = cls()
    with pytest.raises(TypeError):
        c.add("1")
    with pytest.raises(OverflowError):
        c.add(2**63)
    with pytest.raises(AttributeError):
        c.value = 3
    assert c.value == 0


@pytest.mark.parametrize("cls", RETURNING, ids=lambda c: c.__name__)
def test_repr(cls):
    assert repr(cls(41)) == f"{cls.__name__}(value=41)"


def test_classes_are_exported():
    assert {"MutexGuardedCounter", "AtomicCounter", "ShardedCounter"} <= set(dir(ftlab))


@pytest.mark.parametrize(("bug", "correct"), DETECTORS_ALL)
def test_concurrent_adds_are_exact(bug, correct):
    counter = counter_class(bug, correct)()

    def adder(i):
        add = counter.add
        for _ in range(ADDS):
            add(1)

    run_in_threads(THREADS, adder)
    assert counter.value == THREADS * ADDS, f"{THREADS * ADDS - counter.value} increments lost"


@pytest.mark.parametrize(("bug", "correct"), DETECTORS_RETURNING)
def test_concurrent_add_returns_are_distinct(bug, correct):
    """Every add(1) returns a different new value: together they are exactly 1..N."""
    counter = counter_class(bug, correct)()
    n = 5_000  # a twin spends RACE_WINDOW (20 µs) per add in its race window
    returned = run_in_threads(THREADS, lambda i: [counter.add(1) for _ in range(n)])
    seen = sorted(v for values in returned for v in values)
    # Compared outside the assert: pytest's diff of two 20 000-element lists took 10 s (20 s on a
    # busy machine) of this detector's time on the twin; the message names the duplicates instead.
    exact = seen == list(range(1, THREADS * n + 1))
    repeated = sorted(v for v, count in Counter(seen).items() if count > 1)
    assert exact, f"two adds returned the same value (lost update): {len(repeated)} values repeated, e.g. {repeated[:5]}"


@pytest.mark.parametrize(("bug", "correct"), DETECTORS_ALL)
def test_concurrent_value_never_goes_down_while_adding(bug, correct):
    counter = counter_class(bug, correct)()
    adders = THREADS - 1

    def work(i):
        if i == 0:  # the reader
            last, reads = 0, 0
            while reads < 20_000:
                value = counter.value
                assert value >= last, f".value went down from {last} to {value}"
                last, reads = value, reads + 1
            return
        for _ in range(ADDS // 2):
            counter.add(2)

    run_in_threads(THREADS, work)
    assert counter.value == adders * ADDS, f"{adders * ADDS - counter.value} increments lost"
