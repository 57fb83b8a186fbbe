"""The seed talk's claim: Rust word count is 2-4x faster than pure Python's `collections.Counter`.

One text (deterministic, generated from a seed) counted by ``collections.Counter(text.split())``
(the usual Python idiom; its counting loop is written in C), by a plain ``dict`` loop (the
naive pure-Python version), and by ``ftlab.word_count`` sequentially and with
``parallel=True`` (rayon, detached). The four are run interleaved, the ratio
``seconds(Counter) / seconds(case)`` is taken per repetition and the median reported. The
calibration's scaling at ``cores`` threads is measured in the same repetitions: it bounds what
the rayon version can gain from the machine at that moment. Results are checked to be equal
to Counter's once before timing (a wrong answer is an error record, not a speedup).
"""

from __future__ import annotations

import collections
import random
import time
from typing import Any, Callable, Dict, List

from . import harness
from .context import Context

NAME = "wordcount"
DESCRIPTION = "word count: Rust (sequential, rayon-parallel) vs collections.Counter"


def make_text(words: int, seed: int = 2024) -> str:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    # Zipf-ish: a few words are very common, most are rare (like natural text).
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    return " ".join(rng.choices(vocabulary, weights=weights, k=words))


def dict_loop(text: str) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(ctx: Context) -> List[dict]:
    missing = ctx.missing("word_count")
    if missing:
        why = ctx.ftlab_error or "this ftlab build has no ftlab.word_count"
        return [ctx.skipped(NAME, case, why) for case in ("rust_sequential", "rust_parallel")]
    ftlab: Any = ctx.ftlab
    words = 100_000 if ctx.quick else 1_000_000
    text = make_text(words)
    expected = collections.Counter(text.split())
    cases: Dict[str, Callable[[], Any]] = {
        "python_counter": lambda: collections.Counter(text.split()),
        "python_dict_loop": lambda: dict_loop(text),
        "rust_sequential": lambda: ftlab.word_count(text),
        "rust_parallel": lambda: ftlab.word_count(text, parallel=True),
    }
    records: List[dict] = []
    for name in ("rust_sequential", "rust_parallel"):
        try:
            got = cases[name]()
            if dict(got) != dict(expected):
                raise AssertionError(f"{len(got)} distinct words, Counter has {len(expected)}")
        except Exception as e:
            records.append(ctx.record(NAME, name, status="error", detail=f"{type(e).__name__}: {e}"))
            del cases[name]
    calibration = harness.calibration_case()
    harness.size(calibration, ctx.target_seconds)
    par = harness.cores()
    seconds: Dict[str, List[float]] = {k: [] for k in cases}
    calib: Dict[int, List[float]] = {1: [], par: []}
    ctx.say(f"{NAME}: {words} words, {len(cases)} cases x {ctx.reps} repetitions")
    for _rep in range(ctx.reps):
        for name, fn in cases.items():
            seconds[name].append(_timed(fn))
        for n in calib:
            calib[n].append(harness.measure(calibration, n).ops_per_s)
    calib_scaling = harness.median(harness.scaling(calib, par))
    base = seconds["python_counter"]
    for name, secs in seconds.items():
        records.append(ctx.record(
            NAME, name,
            status="ok",
            words=words,
            reps=len(secs),
            seconds=harness.median(secs),
            seconds_reps=[round(s, 6) for s in secs],
            speedup_vs_counter=harness.median([b / s for b, s in zip(base, secs)]),
            calibration_threads=par,
            calibration_scaling=calib_scaling,
        ))
    return records
