"""Minimal reproducer, outside ftlab-harness: `deque.index(x, start)` misses an element that is
present in every state while another thread does `extendleft` + `popleft`.

Found by `ftlab-harness zerocode 'collections:deque()'` (seed 1, round 5: `index(2, 3)` raised
ValueError while `2` was in the deque in every sequential explanation). CPython 3.13.5t reads the
default `stop` (`Py_SIZE(deque)`) in the Argument Clinic wrapper before entering the critical
section: python/cpython#150750, fixed by PR #150779. A real CPython bug, not a harness false
alarm. Measured here: 51 ValueErrors in 5 s on 3.13.5t (GIL off), 0 in 3 s on 3.13.0 (GIL).
Run: python3.13t deque_index_stop.py [seconds]
"""
import collections, threading, sys
d = collections.deque(range(100, 140))
d.append(2)            # the needle, always at index >= 3
stop = threading.Event(); bad = []
def writer():
    while not stop.is_set():
        d.extendleft([7, 8, 9])
        for _ in range(3): d.popleft()
def reader():
    n = 0
    while not stop.is_set():
        try:
            d.index(2, 3)
        except ValueError as e:
            bad.append(repr(e)); 
        except RuntimeError as e:
            n += 1
    print("runtime errors", n)
ts = [threading.Thread(target=writer), threading.Thread(target=reader), threading.Thread(target=reader)]
for t in ts: t.start()
stop.wait(float(sys.argv[1]) if len(sys.argv) > 1 else 5); stop.set()
for t in ts: t.join()
print("ValueError (needle present in every state):", len(bad), bad[:2])
