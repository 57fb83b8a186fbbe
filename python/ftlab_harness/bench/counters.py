"""Counters head to head: Python lock vs Rust mutex vs atomic vs sharded vs per-thread slots, 1 .. 2 x
cores threads.

All shared counters are one object made by the main thread and hammered by every worker. The
`per_thread_atomic_counter` case gives each thread its own counter (created in that thread): the
ceiling a counter call can reach when nothing at all is shared, which separates the cost of the
counter's own synchronisation from the cost of sharing one Python object (its reference count,
see `immutability.py`). The report divides each case by `mutex_counter` per repetition.
"""

from __future__ import annotations

import threading
from typing import List

from .context import CaseSpec, Context, scaling_group
from .patterns import _counter_add, _method_loop

NAME = "counters"
DESCRIPTION = "mutex vs sharded vs atomic counters (and a threading.Lock baseline)"


def _shared(make):
    """One counter made by `make(ftlab)` in the main thread, added to by every worker."""
    return _method_loop(make, _counter_add)


class LockedPythonCounter:
    """The pure-Python way: an int behind a threading.Lock."""

    __slots__ = ("lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def add(self, delta: int = 1) -> int:
        with self.lock:
            self.value += delta
            return self.value


def _per_thread_atomic(ftlab):
    def make_loop(index):
        return _counter_add(ftlab.AtomicCounter(), index)  # created here, in the worker: owned by this thread

    return make_loop


SPECS: List[CaseSpec] = [
    ("python_lock_counter", [], "int += under a threading.Lock (pure Python, shared)",
     _shared(lambda f: LockedPythonCounter())),
    ("mutex_counter", ["MutexGuardedCounter"], "MutexGuardedCounter.add (Rust mutex, shared)",
     _shared(lambda f: f.MutexGuardedCounter())),
    ("atomic_counter", ["AtomicCounter"], "AtomicCounter.add (one fetch_add, shared)",
     _shared(lambda f: f.AtomicCounter())),
    ("sharded_counter", ["ShardedCounter"], "ShardedCounter.add (per-shard padded atomics, shared)",
     _shared(lambda f: f.ShardedCounter())),
    ("per_thread_counter", ["PerThreadCounter"], "PerThreadCounter.add (a single-writer slot per thread, shared)",
     _shared(lambda f: f.PerThreadCounter())),
    ("per_thread_atomic_counter", ["AtomicCounter"], "AtomicCounter.add on a counter per thread (nothing shared)",
     _per_thread_atomic),
]


def run(ctx: Context) -> List[dict]:
    return scaling_group(ctx, NAME, SPECS)
