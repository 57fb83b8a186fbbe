"""numpy/numpy#27400 ("BUG: apply critical sections around populating the dispatch cache"):
the first concurrent calls of a ufunc for a new dtype combination race on its dispatch cache.

NOT REPRODUCED (kept as a record of the attempt; not in the corpus): all 2,744 first-time
combinations gave the same outcome in every thread on numpy 2.1.1 and on 2.1.2, 3 runs each
(20-27 s per run). The race is on the first use of a combination only, once per process.

Affected per upstream: numpy 2.1.1 (cp313t wheel). Fixed: numpy 2.1.2.

A ufunc caches, per combination of input dtypes, the loop that promotion chose. On 3.13t the
cache was filled without a lock: threads that call the same ufunc for the first time with the
same new dtypes insert concurrently. Eight threads released by a barrier call one ufunc on one
never-seen-before pair of dtypes; repeated over every (ufunc, dtype, dtype) combination.

Run: python docs/repro/corpus/numpy_dispatch_cache.py  (exit 0 clean; 1 on a wrong result or an
unexpected exception; a crash kills the process)
"""
import itertools
import sys
import threading

import numpy as np

N = 8
print("numpy", np.__version__, "GIL", sys._is_gil_enabled(), flush=True)
dtypes = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
          np.float16, np.float32, np.float64, np.complex64, np.complex128, np.bool_]
ufuncs = [np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.equal, np.less,
          np.logical_and, np.fmax, np.fmin, np.copysign, np.hypot, np.arctan2, np.power]
errors, combos = [], 0
for uf, d1, d2 in itertools.product(ufuncs, dtypes, dtypes):
    a, b = np.ones(4, dtype=d1), np.ones(4, dtype=d2)
    out = [None] * N
    bar = threading.Barrier(N)

    def work(k):
        bar.wait()
        try:
            out[k] = uf(a, b)
        except TypeError as e:  # no loop for this combination: by design, same for all threads
            out[k] = type(e)
        except Exception as e:  # anything else is the race
            out[k] = e

    ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    combos += 1
    try:
        expect = uf(a, b)
    except TypeError as e:
        expect = type(e)
    for o in out:
        same = (o is expect) if isinstance(expect, type) else (isinstance(o, np.ndarray) and o.dtype == expect.dtype and np.array_equal(o, expect, equal_nan=True))
        if not same:
            errors.append((uf.__name__, np.dtype(d1).name, np.dtype(d2).name, repr(o)[:120]))
for e in errors[:10]:
    print("WRONG", e)
print(f"{'clean' if not errors else 'WRONG'}: {combos} first-time combinations, {len(errors)} wrong outcomes")
sys.exit(1 if errors else 0)
