"""Thread scaling of every ftlab pattern: throughput at 1 .. 2 x cores threads on one shared object.

Each case is the natural way to use the pattern: one object created by the main thread, every
worker calling it in a loop. Throughput counts loop iterations (one call, or one round trip for
`bank_transfer` and `work_queue_put_get`). Scaling = throughput(N) / throughput(1), next to the
calibration's scaling in the same run: on a GIL build both stay near 1; on 3.13t a pattern
whose scaling falls well below the calibration's is serialised by something (a lock, a
contended cache line, or the shared object's reference count — see `immutability.py`).
"""

from __future__ import annotations

from array import array
from typing import List

from .context import CaseSpec, Context, scaling_group

NAME = "patterns"
DESCRIPTION = "thread scaling of every pattern on one shared object, per interpreter"

SMALL_TEXT = " ".join(["the quick brown fox jumps over the lazy dog"] * 20)


def _method_loop(obj_factory, call):
    """Shared object built once (by the main thread); each worker calls `call(obj)` in a loop."""

    def factory(ftlab):
        obj = obj_factory(ftlab)

        def make_loop(index):
            return call(obj, index)

        return make_loop

    return factory


def _counter_add(obj, index):
    def loop(n):
        c = obj
        for _ in range(n):
            c.add(1)

    return loop


def _bank(ftlab):
    return ftlab.Bank({f"acct{i}": 10**12 for i in range(16)})


def _bank_transfer(bank, index):
    src, dst = f"acct{(2 * index) % 16}", f"acct{(2 * index + 1) % 16}"

    def loop(n):
        b = bank
        for _ in range(n):
            b.transfer(src, dst, 1)
            b.transfer(dst, src, 1)

    return loop


def _registry(ftlab):
    r = ftlab.Registry()
    r.update_many({f"key{i}": i for i in range(64)})
    return r


def _registry_get(reg, index):
    key = f"key{index % 64}"

    def loop(n):
        r = reg
        for _ in range(n):
            r.get(key)

    return loop


def _registry_set(reg, index):
    key = f"key{index % 64}"

    def loop(n):
        r = reg
        for i in range(n):
            r.set(key, i & 255)

    return loop


def _snapshot_map(ftlab):
    return ftlab.SnapshotMap({f"key{i}": i for i in range(64)})


def _snapshot_map_get(snap, index):
    key = f"key{index % 64}"

    def loop(n):
        m = snap
        for _ in range(n):
            m.get(key)

    return loop


def _read_mostly(obj, index):
    """`get` on every iteration; worker 0 also `set`s one key every 64 iterations (the same
    read/write mix for `Registry` and `SnapshotMap`)."""
    key = f"key{index % 64}"

    def loop(n):
        m = obj
        writer = index == 0
        for i in range(n):
            if writer and i & 63 == 0:
                m.set("key0", i & 255)
            m.get(key)

    return loop


def _event_bus(ftlab):
    bus = ftlab.EventBus()
    bus.subscribe("tick", int)  # a cheap builtin listener: measures emit's own cost
    return bus


def _event_bus_emit(bus, index):
    def loop(n):
        b = bus
        for _ in range(n):
            b.emit("tick")

    return loop


def _latch(ftlab):
    latch = ftlab.Latch()
    latch.set()
    return latch


def _latch_is_set(latch, index):
    def loop(n):
        la = latch
        for _ in range(n):
            la.is_set

    return loop


def _slot(ftlab):
    slot = ftlab.PublishSlot()
    slot.publish([1, 2, 3, 4])
    return slot


def _slot_try_get(slot, index):
    def loop(n):
        s = slot
        for _ in range(n):
            s.try_get()

    return loop


def _queue_put_get(queue, index):
    def loop(n):
        q = queue
        for i in range(n):
            q.put(i & 255)
            q.get()

    return loop


def _once(ftlab):
    once = ftlab.OnceResource(lambda: 42)
    once.get()
    return once


def _once_get(once, index):
    def loop(n):
        o = once
        for _ in range(n):
            o.get()

    return loop


def _point_attr(point, index):
    def loop(n):
        p = point
        for _ in range(n):
            p.x

    return loop


def _frozenmap_get(fmap, index):
    key = f"k{index % 16}"

    def loop(n):
        m = fmap
        for _ in range(n):
            m.get(key)

    return loop


def _word_count_small(ftlab):
    def make_loop(index):
        def loop(n):
            wc = ftlab.word_count
            for _ in range(n):
                wc(SMALL_TEXT)

        return loop

    return make_loop


def _sum_of_squares_small(ftlab):
    def make_loop(index):
        data = array("d", [float(i) for i in range(4096)])

        def loop(n):
            sos = ftlab.sum_of_squares
            for _ in range(n):
                sos(data)

        return loop

    return make_loop


SPECS: List[CaseSpec] = [
    ("mutex_counter_add", ["MutexGuardedCounter"], "MutexGuardedCounter.add(1) on one shared counter",
     _method_loop(lambda f: f.MutexGuardedCounter(), _counter_add)),
    ("atomic_counter_add", ["AtomicCounter"], "AtomicCounter.add(1) on one shared counter",
     _method_loop(lambda f: f.AtomicCounter(), _counter_add)),
    ("sharded_counter_add", ["ShardedCounter"], "ShardedCounter.add(1) on one shared counter",
     _method_loop(lambda f: f.ShardedCounter(), _counter_add)),
    ("bank_transfer", ["Bank"], "Bank.transfer there and back between a per-thread pair of accounts",
     _method_loop(_bank, _bank_transfer)),
    ("registry_get", ["Registry"], "Registry.get(key) under the read lock",
     _method_loop(_registry, _registry_get)),
    ("registry_set", ["Registry"], "Registry.set(key, value) under the write lock",
     _method_loop(_registry, _registry_set)),
    ("snapshot_map_get", ["SnapshotMap"], "SnapshotMap.get(key), lock-free snapshot read",
     _method_loop(_snapshot_map, _snapshot_map_get)),
    ("registry_read_mostly", ["Registry"], "Registry.get, worker 0 also sets 1 key per 64 gets",
     _method_loop(_registry, _read_mostly)),
    ("snapshot_map_read_mostly", ["SnapshotMap"], "SnapshotMap.get, worker 0 also sets 1 key per 64 gets",
     _method_loop(_snapshot_map, _read_mostly)),
    ("event_bus_emit", ["EventBus"], "EventBus.emit to one listener (critical section + call)",
     _method_loop(_event_bus, _event_bus_emit)),
    ("per_thread_counter_add", ["PerThreadCounter"], "PerThreadCounter.add(1) on one shared counter",
     _method_loop(lambda f: f.PerThreadCounter(), _counter_add)),
    ("latch_is_set", ["Latch"], "Latch.is_set on a set latch (one atomic load)",
     _method_loop(_latch, _latch_is_set)),
    ("publish_slot_try_get", ["PublishSlot"], "PublishSlot.try_get() of a published 4-int list",
     _method_loop(_slot, _slot_try_get)),
    ("work_queue_put_get", ["WorkQueue"], "WorkQueue.put then .get (bounded MPMC, capacity 1024)",
     _method_loop(lambda f: f.WorkQueue(1024), _queue_put_get)),
    ("once_resource_get", ["OnceResource"], "OnceResource.get() after initialisation",
     _method_loop(_once, _once_get)),
    ("point_attribute", ["Point"], "Point.x on one shared frozen Point",
     _method_loop(lambda f: f.Point(1.0, 2.0), _point_attr)),
    ("frozenmap_get", ["FrozenMap"], "FrozenMap.get(key) on one shared frozen map (small-int values)",
     _method_loop(lambda f: f.FrozenMap({f"k{i}": i for i in range(16)}), _frozenmap_get)),
    ("word_count_small", ["word_count"], "word_count() of a 180-word text (sequential, detached)",
     _word_count_small),
    ("sum_of_squares_4k", ["sum_of_squares"], "sum_of_squares() of a per-thread 4096-float array (detached)",
     _sum_of_squares_small),
]


def run(ctx: Context) -> List[dict]:
    return scaling_group(ctx, NAME, SPECS)
