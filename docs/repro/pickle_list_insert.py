"""Minimal reproducer, outside ftlab-harness: pickling a list while other threads insert into it.

On CPython 3.13.5t (free-threaded, GIL off) this dies with SIGSEGV within seconds; found by
`ftlab-harness zerocode 'builtins:list()'` (seed 3, round 515: `pickle()` racing `insert`).
The C pickler's fast path for exact lists (`batch_list_exact` in Modules/_pickle.c) reads items
with borrowed references while the list is resized under it: python/cpython#146533 and #149816
(fixed upstream by PR #150024, backported to 3.14 as #153719; the dict path is #146452). A real
CPython bug, not a harness false alarm. Run: python3.13t pickle_list_insert.py [seconds]
Measured here: SIGSEGV in 3 of 3 runs of 10 s (3.13.5t).
"""

import pickle
import sys
import threading

shared: list = list(range(8))
stop = threading.Event()


def inserter() -> None:
    while not stop.is_set():
        for i in range(64):
            shared.insert(0, i)
        del shared[:64]


def pickler() -> None:
    while not stop.is_set():
        pickle.dumps(shared, protocol=4)


threads = [threading.Thread(target=f) for f in (inserter, inserter, pickler, pickler)]
for t in threads:
    t.start()
stop.wait(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
stop.set()
for t in threads:
    t.join()
print("no crash")
