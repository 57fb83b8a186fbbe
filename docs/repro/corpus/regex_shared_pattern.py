"""mrabarnett/mrab-regex#597: one compiled pattern used from several threads crashes.

Affected: regex 2026.2.19 (cp313t wheel; the reproducer hangs there, 3/3 at 60 s; 2025.11.3 and
2026.1.14 are affected too and mostly crash with SIGSEGV). Fixed: regex 2026.2.28 (bisected over
the cp313t wheels: 2026.2.19 affected, 2026.2.28, 2026.3.32, 2026.4.4 and 2026.8.31 clean).

The issue's report: one compiled `regex.Pattern` shared by threads, `findall` in a loop, SIGSEGV
inside mimalloc (heap corruption); the thread does not name the mechanism. Four threads released
by a barrier call `findall`/`search` on one shared pattern (a fresh pattern each round): on
2026.2.19 the process hangs with one thread stuck in C code (3/3 runs, killed at 60 s; with
`faulthandler` the stuck thread shows `<no Python frame>`); 2026.1.14 died with SIGSEGV 3/3 in
0.1-2 s, 2025.11.3 with SIGSEGV once and hung twice. The GIL build (3.13.0, regex 2026.2.19) is clean.

Run: timeout 60 python docs/repro/corpus/regex_shared_pattern.py  (exit 0 clean; a crash kills
the process; a hang is killed by the timeout, exit 124)
"""
import sys
import threading

import regex

ROUNDS, N = 200, 4
print("regex", regex.__version__, "GIL", sys._is_gil_enabled(), flush=True)
text = "hello world test string " * 4
expect = regex.compile(r"\w+").findall(text)
wrong = 0
for r in range(ROUNDS):
    pat = regex.compile(r"\w+(?=\s)" if r % 2 else r"\w+")
    exp = pat.findall(text)
    b = threading.Barrier(N)

    def work():
        global wrong
        b.wait()
        for _ in range(200):
            if pat.findall(text) != exp:
                wrong += 1
            pat.search(text)

    ts = [threading.Thread(target=work) for _ in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"{'clean' if not wrong else 'WRONG'}: {ROUNDS} rounds, {wrong} wrong findall results")
sys.exit(1 if wrong else 0)
