"""ftlab's benchmarks: ratios measured interleaved in one run, never absolute timings.

Run per interpreter (``ftlab-harness bench --label 3.13t --jsonl out/bench-3.13t.jsonl``); the
stress matrix (``ci/stress-matrix``) does that for every configuration and plots the records.

Rules every benchmark here keeps:

* Every figure is a *ratio* of two throughputs measured in the same process, interleaved
  (repetition 1 of every case, then repetition 2 of every case, ...), and the median of at
  least 5 repetitions. Absolute ops/s are recorded too but only to draw curves.
* Every group measures a *calibration* case alongside its own cases: pure-Python work on
  thread-local data. Its scaling at N threads is the parallelism the machine actually gave at
  that moment (1.0 on a GIL build, close to ``min(N, cores)`` on an idle free-threaded one,
  less when other processes compete for the cores). A pattern's scaling is only meaningful
  next to it.
* The core is stdlib-only, so it runs on every interpreter of the matrix (3.9 .. 3.13t); the
  plots live in ``report/`` and run in a separate venv with matplotlib.
* A benchmark whose ftlab class or function does not exist (yet) is skipped with a record
  saying so, never a crash.
"""
