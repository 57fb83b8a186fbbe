"""mrabarnett/mrab-regex#604: compiling patterns in several threads aborts (setlocale is not
thread-safe).

Affected: regex 2026.5.9 (cp313t wheel). Fixed: regex 2026.6.28 ("Fixed in regex 2026.6.28" in
the issue thread).

Every first compile of a pattern asks for the preferred encoding with `setlocale`, which glibc
does not make thread-safe. The issue shows glibc aborting in `__mbsrtowcs_l` (SIGABRT, 3.14t);
here on 3.13.5t the symptoms are `UnicodeDecodeError: 'locale' codec can't decode byte ...:
decoding error` and `locale.Error: unsupported locale setting` raised by `compile`. Four threads released by a barrier compile never-seen patterns
(`IGNORECASE`) in a loop; 32,000 compiles per run.

Measured: 2026.5.9 locale errors in 3/3 runs (23-37 per run, ~10 s); 2026.6.28 none (5/5). The
GIL build (3.13.0, 2026.5.9) is clean (2/2).
Both releases also raise `RuntimeError: dictionary changed size during iteration` now and then
(5-9 per run): a separate race in the pure-Python pattern cache of `regex.regex`, not fixed by
2026.6.28 and not counted here.

Run: python docs/repro/corpus/regex_compile_setlocale.py  (exit 0 clean; a crash kills the process)
"""
import locale
import sys
import threading

import regex

ROUNDS, N, PER = 40, 4, 200
print("regex", regex.__version__, "GIL", sys._is_gil_enabled(), flush=True)
errors = other = 0
for r in range(ROUNDS):
    b = threading.Barrier(N)

    def work(k):
        global errors, other
        b.wait()
        for i in range(PER):
            try:
                p = regex.compile(rf"brand{r}_{k}_{i}([\w.]+)", regex.IGNORECASE)
                m = p.match(f"BRAND{r}_{k}_{i}x.y")
                if m is None or m.group(1) != "x.y":
                    errors += 1
            except (UnicodeError, locale.Error):  # the locale race
                errors += 1
            except RuntimeError as e:  # the pattern cache's own race, in both releases
                assert "changed size during iteration" in str(e), e
                other += 1

    ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"{'clean' if not errors else 'WRONG'}: {ROUNDS * N * PER} compiles, {errors} locale errors"
      f" ({other} 'dictionary changed size' from the pattern cache, not counted)")
sys.exit(1 if errors else 0)
