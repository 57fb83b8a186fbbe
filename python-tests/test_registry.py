"""Registry (`src/py/registry.rs`): a str -> object map whose multi-key updates are atomic.

Semantics, bad input, object identity, reference handling (replaced values dropped outside
the lock, so their `__del__` may use the registry; cycles through the registry collected),
then the concurrency check: writers `update_many` a group of keys to one generation while
readers, released together on a Barrier, check that `get_many` and `snapshot` never mix
generations and that `get` returns their own last `set`.

The concurrent check is the detector for `torn_multi_key_update` (`@pytest.mark.detects`, run
against the seeded `TornRegistry` by `ci/pytest-twins`, see `twins.py`): it sees mixed
generations there (3.13t, GIL off).
"""

from __future__ import annotations

import gc
import weakref
from types import MappingProxyType

import pytest

from threads import run_in_threads
from twins import implementation

import ftlab

Registry = ftlab.Registry
THREADS = 4
ROUNDS = 5_000  # each key update of the twin spends RACE_WINDOW (20 µs) in its race window
GROUP = [f"group/{i}" for i in range(8)]


def test_get_set_len():
    r = Registry()
    assert len(r) == 0
    assert r.get("k") is None
    assert r.get("k", 5) == 5
    assert r.get("k", default="d") == "d"
    value = object()
    r.set("k", value)
    assert r.get("k") is value  # the very object, not a copy
    assert r.get("k", 5) is value
    r.set("k", None)
    assert r.get("k", 5) is None  # a stored None is a value
    assert len(r) == 1
    assert repr(r) == f"{type(r).__name__}(len=1)"


def test_update_many_get_many_snapshot():
    r = Registry()
    r.update_many({"b": 2, "a": 1})
    r.update_many(MappingProxyType({"c": 3}))
    r.update_many({})
    assert r.get_many(["a", "b", "c", "zz"]) == [1, 2, 3, None]
    assert r.get_many(("a",)) == [1]
    assert r.get_many(k for k in ["c", "a"]) == [3, 1]
    assert r.get_many([]) == []
    snap = r.snapshot()
    assert snap == {"a": 1, "b": 2, "c": 3}
    assert list(snap) == ["a", "b", "c"]  # sorted by key
    snap["a"] = 99  # a copy: the registry is unaffected
    assert r.get("a") == 1
    assert len(r) == 3


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda r: r.set(1, "v"), TypeError, r"^key must be str, got int$"),
        (lambda r: r.get(None), TypeError, r"^key must be str, got NoneType$"),
        (lambda r: r.update_many({"a": 1, 2: 2}), TypeError, r"^keys must be str, got int$"),
        (lambda r: r.update_many([("a", 1)]), TypeError, r"^mapping must be a mapping, got list$"),
        (lambda r: r.get_many("ab"), TypeError, r"^keys must be an iterable of str, not a single str$"),
        (lambda r: r.get_many(5), TypeError, r"^keys must be an iterable of str, got int$"),
        (lambda r: r.get_many(["a", 5]), TypeError, r"^each key must be str, got int$"),
    ],
)
def test_bad_input(call, error, message):
    r = Registry()
    with pytest.raises(error, match=message):
        call(r)
    assert len(r) == 0  # a refused update_many changed nothing


def test_replaced_value_finalizer_may_use_the_registry():
    """Replaced values are dropped after the lock is released: a `__del__` that reads and
    writes the same registry must not deadlock."""
    r = Registry()
    seen = []

    class Finalizer:
        def __del__(self):
            seen.append(r.get("k"))
            r.set("from_del", len(seen))

    r.set("k", Finalizer())
    r.set("k", "replaced")
    r.update_many({"k": Finalizer()})
    r.update_many({"k": "again"})
    assert seen == ["replaced", "again"]
    assert r.get("from_del") == 2


@pytest.mark.thread_unsafe(reason="needs gc.collect() to run a full collection in this thread")
def test_cycle_through_registry_is_collected():
    class Holder:
        pass

    holder = Holder()
    holder.registry = Registry()
    holder.registry.set("holder", holder)  # holder -> registry -> holder
    alive = weakref.ref(holder)
    del holder
    gc.collect()
    assert alive() is None, "a reference cycle through the registry was not collected"


@pytest.mark.detects("torn_multi_key_update")
def test_concurrent_multi_key_updates_are_never_torn():
    r = implementation("torn_multi_key_update", "Registry")()
    r.update_many({k: (-1, 0) for k in GROUP})
    writers = THREADS // 2

    def work(i):
        own = f"own/{i}"
        last_seen: dict[int, int] = {}
        for seq in range(1, ROUNDS + 1):
            r.set(own, seq)
            assert r.get(own) == seq, "get did not return this thread's own last set"
            if i < writers:
                r.update_many({k: (i, seq) for k in GROUP})
                continue
            if seq % 4:
                values = r.get_many(GROUP)
            else:
                snapshot = r.snapshot()
                values = [snapshot[k] for k in GROUP]
            assert len(set(values)) == 1, f"torn read: one read saw generations {sorted(set(values))}"
            writer, wseq = values[0]
            assert wseq >= last_seen.get(writer, 0), "a reader went back in time"
            last_seen[writer] = wseq

    run_in_threads(THREADS, work)
    final = r.get_many(GROUP)
    assert len(set(final)) == 1, f"torn final state {sorted(set(final))}"
    assert final[0] in {(w, ROUNDS) for w in range(writers)}, f"final {final[0]} is no writer's last update"
    assert len(r) == len(GROUP) + THREADS, f"len() = {len(r)}"
