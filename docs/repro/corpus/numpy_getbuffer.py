"""numpy/numpy#30667 (backport #30736): array_getbuffer is not thread-safe.

NOT REPRODUCED (kept as a record of the attempt; not in the corpus): clean on numpy 2.4.1 and on
2.4.2, 3 runs each, about 1 s per run. The race is what ThreadSanitizer reports; no crash or wrong
buffer was observed without it.

Affected per upstream: numpy 2.4.1 (cp313t wheel). Fixed: numpy 2.4.2 (critical sections around
the creation and replacement of the array's cached buffer-info list).

Exporting a buffer (`memoryview(a)`, `a.__buffer__(flags)`) builds a buffer-info record and
caches it on the array; the cache was read and replaced without a lock. Four threads released by a barrier call
`__buffer__` on one fresh array with alternating flags and read the memoryview back.

Run: python docs/repro/corpus/numpy_getbuffer.py  (exit 0 clean; a crash kills the process)
"""
import inspect
import sys
import threading

import numpy as np

ROUNDS, N = 300, 4
print("numpy", np.__version__, "GIL", sys._is_gil_enabled(), flush=True)
flags = [inspect.BufferFlags.STRIDED, inspect.BufferFlags.READ, inspect.BufferFlags.RECORDS_RO, inspect.BufferFlags.SIMPLE]
bad = 0
for r in range(ROUNDS):
    a = np.arange(1000)
    b = threading.Barrier(N)

    def work(k):
        global bad
        b.wait()
        for i in range(200):
            m = a.__buffer__(flags[(i + k) % len(flags)])
            if m.nbytes != 8000:
                bad += 1
            m.release()

    ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"{'clean' if not bad else 'WRONG'}: {ROUNDS} rounds, {bad} wrong buffer records")
sys.exit(1 if bad else 0)
