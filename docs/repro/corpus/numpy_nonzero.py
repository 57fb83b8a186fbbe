"""numpy/numpy#28361 (PR #28361, backport #28385): np.nonzero races a concurrent write.

Affected: numpy 2.2.3 (cp313t wheel). Fixed: numpy 2.2.4 (the second pass re-checks the count and
raises RuntimeError "number of non-zero array elements changed during function execution").

np.nonzero(x) counts the non-zero elements, allocates the result, then walks x again to fill it in.
If another thread writes x between the two passes, the fill writes past the end of the result:
heap corruption, SIGSEGV/SIGABRT. Four threads released by a barrier: one assigns x[:] = True,
then x[:] = False, the others call np.nonzero(x) on the same array (so
the first pass may count 0 and the second find 100,000).

Measured: numpy 2.2.3 SIGSEGV 3/3 in 0.5 s; numpy 2.2.4 clean 3/3 (1.7-2.7 s; the RuntimeError was
never raised). 2.2.4 fixes the memory error only: a write that lowers the count between the passes
still gives a torn, zero-padded index array (this script does not check results). Not specific
to free threading: the GIL build (3.13.0, numpy 2.2.3) crashes too (2/2, 0.3 s), presumably
because nonzero releases the GIL around its loops.

Run: python docs/repro/corpus/numpy_nonzero.py  (exit 0 clean; a crash kills the process)
"""
import sys
import threading

import numpy as np

ROUNDS, N = 300, 4
print("numpy", np.__version__, "GIL", sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True, flush=True)
raised = 0
for r in range(ROUNDS):
    x = np.zeros(100_000, dtype=bool)
    b = threading.Barrier(N)

    def writer():
        b.wait()
        for _ in range(50):
            x[:] = True
            x[:] = False

    def reader():
        global raised
        b.wait()
        for _ in range(50):
            try:
                np.nonzero(x)
            except RuntimeError as e:  # the fixed release's answer to a concurrent write
                assert "changed during function execution" in str(e), e
                raised += 1

    ts = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(N - 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"clean: {ROUNDS} rounds, {raised} RuntimeError (detected concurrent write)")
