"""Minimal reproducer, outside ftlab-harness: `len(s)` sees a half-done `symmetric_difference_update`.

Found by `ftlab-harness zerocode 'builtins:set()'` (seed 15, round 449: `len()` read 63 while a
`symmetric_difference_update` of 8 new items was in flight on a set of 59). The update runs in
the set's critical section, but `len` is a lock-free relaxed read of `used`, so a reader sees
every intermediate size: python/cpython#129519 ("nogil __len__ and __eq__ break atomicity on
sets and dicts", open). A real CPython behaviour, not a harness false alarm.
Run: python3.13t set_len_bulk_update.py [seconds]; prints sizes no sequential order gives.
Measured here: sizes 41..47 in 3 s on 3.13.5t (GIL off); none on 3.13.0 (GIL).
"""

import sys
import threading

BASE = set(range(1000, 1040))  # 40 items
BULK = list(range(8))           # toggled in and out: the size is 40 or 48, never in between
shared = set(BASE)
stop = threading.Event()
seen: set = set()


def toggler() -> None:
    while not stop.is_set():
        shared.symmetric_difference_update(BULK)


def reader() -> None:
    while not stop.is_set():
        n = len(shared)
        if n not in (40, 48):
            seen.add(n)


threads = [threading.Thread(target=toggler), threading.Thread(target=reader)]
for t in threads:
    t.start()
stop.wait(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
stop.set()
for t in threads:
    t.join()
print("sizes no sequential order gives:", sorted(seen) or "none")
