"""SnapshotMap (`src/py/snapshot.rs`): lock-free reads of frozen snapshots, serialised writers.

Semantics, bad input, snapshots that never change (`current()`), values released with the
last snapshot holding them, then the concurrency checks: readers racing multi-key writers never
see a mixed snapshot, and concurrent writers never lose one another's keys.

The writers check is the detector for `lost_snapshot_update` (`@pytest.mark.detects`; the
seeded `UnserializedSnapshotMap` builds each new snapshot from an unlocked read, so of two
concurrent `set`s one is lost). The racing-removes check is the detector for
`lost_race_publishes` (issue 24; the seeded `RepublishingSnapshotMap`'s `remove` publishes an
unchanged new version when another remover took the key between its check and its turn, so
`version` counts a change that never happened).
"""

from __future__ import annotations

import gc
import weakref
from types import MappingProxyType

import pytest
from threads import run_in_threads
from twins import implementation

import ftlab

SnapshotMap = ftlab.SnapshotMap
THREADS = 4


def test_get_set_remove_len_contains():
    m = SnapshotMap()
    assert len(m) == 0 and m.version == 0
    assert m.get("k") is None and m.get("k", 5) == 5 and m.get(1, "d") == "d"
    value = object()
    m.set("k", value)
    assert m.get("k") is value  # the very object
    assert "k" in m and "x" not in m and 1 not in m
    assert m.version == 1 and len(m) == 1
    assert m.remove("k") is True
    assert m.remove("k") is False  # absent: no new snapshot
    assert m.remove(3) is False
    assert m.version == 2 and len(m) == 0
    assert repr(m) == "SnapshotMap(len=0, version=2)"


def test_version_counts_only_writes_that_change_the_map():
    """`version` moves exactly when the map changes: a `set` of the very object already there,
    an `update` whose every entry is already there (or empty), a `remove` of an absent key
    publish nothing. "The same" is identity (`is`), never `==` (no Python code runs under the
    writer lock): an equal but distinct object is a change."""
    value, other = object(), object()
    m = SnapshotMap({"a": value})
    snap = m.current()
    m.set("a", value)
    m.update({"a": value})
    m.update({})
    assert m.remove("zz") is False
    assert m.version == 0 and m.current().shares_data_with(snap)  # nothing published
    m.set("a", other)
    assert m.version == 1 and m.get("a") is other
    m.update({"a": other, "b": value})  # one entry changes: one new version
    assert m.version == 2
    big = 10**30
    m.set("n", big)
    m.set("n", int(str(big)))  # equal, not the same object: a change
    assert m.version == 4
    assert m.remove("b") is True and m.remove("b") is False
    assert m.version == 5


def test_construct_update_get_many():
    m = SnapshotMap({"b": 2, "a": 1})
    m.update(MappingProxyType({"c": 3, "a": 10}))
    m.update(ftlab.FrozenMap({"d": 4}))
    assert m.get_many(["a", "b", "c", "d", "zz"]) == [10, 2, 3, 4, None]
    assert m.get_many(k for k in ["d"]) == [4]
    assert m.version == 2
    assert SnapshotMap(ftlab.FrozenMap({"x": 1})).get("x") == 1


def test_current_is_a_frozen_snapshot():
    m = SnapshotMap({"a": 1})
    snap = m.current()
    assert isinstance(snap, ftlab.FrozenMap)
    m.set("a", 2)
    m.set("b", 3)
    assert snap.to_dict() == {"a": 1}  # never changes
    assert m.current().to_dict() == {"a": 2, "b": 3}
    assert m.current().shares_data_with(m.current())


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda m: m.set(1, "v"), TypeError),
        (lambda m: m.update([("a", 1)]), TypeError),
        (lambda m: m.update({1: 1}), TypeError),
        (lambda m: m.get_many("ab"), TypeError),
        (lambda m: SnapshotMap(42), TypeError),
    ],
)
def test_bad_input(call, error):
    m = SnapshotMap({"a": 1})
    with pytest.raises(error):
        call(m)
    assert m.version == 0 and m.get("a") == 1


def test_replaced_values_are_released():
    class Value:
        pass

    m = SnapshotMap()
    v = Value()
    ref = weakref.ref(v)
    m.set("k", v)
    kept = m.current()
    del v
    m.set("k", None)
    gc.collect()
    assert ref() is not None  # `kept` still holds the old snapshot
    del kept
    gc.collect()
    assert ref() is None


def test_value_del_may_write_to_the_map():
    """The old snapshot is dropped after every lock is released, so a value's `__del__` may
    write to the same map."""
    m = SnapshotMap()

    class Value:
        def __del__(self):
            m.set("from_del", True)

    m.set("k", Value())
    m.set("k", 1)
    gc.collect()
    assert m.get("from_del") is True


def test_readers_never_see_a_mixed_snapshot():
    """One writer `update`s a group of keys to one generation at a time while readers check
    that `get_many` and `current()` never mix generations and never go back in time."""
    keys = [f"k{i}" for i in range(6)]
    m = SnapshotMap(dict.fromkeys(keys, 0))
    rounds = 3_000

    def work(i):
        if i == 0:
            for gen in range(1, rounds + 1):
                m.update(dict.fromkeys(keys, gen))
            return
        last = 0
        for _ in range(rounds):
            values = m.get_many(keys)
            assert len(set(values)) == 1, f"mixed snapshot {values}"
            assert values[0] >= last, f"went back from generation {last} to {values[0]}"
            last = values[0]
            snap = m.current().to_dict()
            assert len(set(snap.values())) == 1, f"mixed snapshot {snap}"

    run_in_threads(THREADS, work)
    assert m.get_many(keys) == [rounds] * len(keys)
    assert m.version == rounds


@pytest.mark.detects("lost_snapshot_update")
def test_concurrent_writers_lose_nothing():
    """Every thread `set`s its own keys while readers read: every key must be there at the
    end, and the version must count every write."""
    m = implementation("lost_snapshot_update", "SnapshotMap")()
    per_thread = 1_000

    def work(i):
        for j in range(per_thread):
            m.set(f"t{i}/{j}", j)
            assert m.get(f"t{i}/{j}") == j, f"thread {i} lost its own write t{i}/{j}"

    run_in_threads(THREADS, work)
    missing = THREADS * per_thread - len(m)
    assert missing == 0, f"{missing} of {THREADS * per_thread} writes lost"
    assert m.version == THREADS * per_thread


@pytest.mark.detects("lost_race_publishes")
def test_concurrent_removes_publish_one_version_per_key():
    """Issue 24's race: THREADS threads each `remove` every key of one map, in the same order,
    so they race for each key. Exactly one remove of each key succeeds, and `version` must
    count exactly those: a remove that returned False changed nothing, so it must not publish
    a version (no sequential order of the same calls explains one). Up to 5 sweeps of 10,000
    keys: the twin shows it in the first; the code before the fix (no widened race window)
    showed it in 17 of 20 single sweeps on 3.13t."""
    keys = [f"k{i}" for i in range(10_000)]
    for sweep in range(5):
        m = implementation("lost_race_publishes", "SnapshotMap")(dict.fromkeys(keys, 0))
        removed = run_in_threads(THREADS, lambda i: sum(m.remove(k) for k in keys))  # noqa: B023 - run now
        assert sum(removed) == len(keys) and len(m) == 0, f"{sum(removed)} removes of {len(keys)} keys succeeded"
        extra = m.version - len(keys)
        assert extra == 0, (f"sweep {sweep}: version {m.version} after {len(keys)} removals: {extra} remove(s) "
                            "that changed nothing published a version")
