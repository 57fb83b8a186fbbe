"""mrabarnett/mrab-regex#606: the compiled-pattern cache grows without the lock that guards its
eviction, so concurrent `regex.compile` calls raise `RuntimeError: dictionary changed size during
iteration`.

Affected: regex 2026.6.28 (cp313t wheel). Fixed: regex 2026.7.10 (the next release).

This race is in the package's Python layer (`regex._main._compile` / `_regex_core._shrink_cache`),
not in its C extension: when the module-global cache reaches 500 patterns, one thread snapshots
its keys under `_cache_lock` while others insert without the lock. Four threads released by a
barrier compile never-seen patterns, so the cache fills and is shrunk again and again.

Measured: 2026.6.28 errors 3/3 runs (5-9 per 32,000 compiles, ~8 s); 2026.7.10 clean 3/3. The GIL
build (3.13.0, 2026.6.28) is clean (2/2).

Run: python docs/repro/corpus/regex_cache_shrink.py  (exit 0 clean, 1 when compile raised)
"""
import sys
import threading

import regex

ROUNDS, N, PER = 40, 4, 200
print("regex", regex.__version__, "GIL", sys._is_gil_enabled(), flush=True)
errors = 0
for r in range(ROUNDS):
    b = threading.Barrier(N)

    def work(k):
        global errors
        b.wait()
        for i in range(PER):
            try:
                p = regex.compile(rf"item{r}_{k}_{i}(\d+)")
                if p.match(f"item{r}_{k}_{i}42").group(1) != "42":
                    errors += 1
            except RuntimeError as e:
                assert "changed size during iteration" in str(e), e
                errors += 1

    ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"{'clean' if not errors else 'WRONG'}: {ROUNDS * N * PER} compiles, {errors} errors")
sys.exit(1 if errors else 0)
