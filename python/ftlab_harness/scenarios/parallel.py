"""Parallel work (`src/py/parallel.rs`): Rust work that detaches (and fans out on rayon) gives the
same answers while other threads run Python code and other Rust calls at the same time.

`parallel.word_count`: workers count words in shared texts with `word_count(text, parallel=...,
detach=...)` (random mixes) or with `collections.Counter` in Python, and compare.
`parallel.sum_of_squares`: the same for `sum_of_squares` over shared `array('d')` buffers and
plain lists of floats (compared with `math.fsum`, relative tolerance 1e-9: rayon sums in a
different order).
`parallel.panic`: `trigger_panic(where)` in every context ("attached", "detached", "rayon") raises
PanicException in the caller, and the extension keeps working (word counts stay right).
Invariants: `word_count_correct`, `sum_of_squares_correct`, `panic_becomes_exception`.
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter

from ftlab_harness import Run, Scenario, Worker


def make_texts(seed: int, count: int, words: int) -> list[str]:
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 6))) for _ in range(500)]
    return [" ".join(rng.choice(vocab) for _ in range(words)) + rng.choice(["", "\n", "  "]) for _ in range(count)]


class WordCountAgrees(Scenario):
    """word_count: same result as collections.Counter while other threads run."""

    def setup(self, run: Run) -> None:
        self.texts = make_texts(run.seed, 6, self.params.get("words", 20000))
        self.expected = [dict(Counter(t.split())) for t in self.texts]

    def step(self, w: Worker) -> None:
        i = w.rng.randrange(len(self.texts))
        if w.index % 4 == 3:  # a Python-only thread, competing for the interpreter
            got = dict(Counter(self.texts[i].split()))
        else:
            parallel, detach = w.rng.random() < 0.5, w.rng.random() < 0.7
            got = w.run.target.word_count(self.texts[i], parallel=parallel, detach=detach)
        w.check(got == self.expected[i], "word_count_correct",
                lambda: f"text {i}: {len(got)} distinct words, expected {len(self.expected[i])}; e.g. "
                f"{[(k, got.get(k), v) for k, v in self.expected[i].items() if got.get(k) != v][:3]}")


class SumOfSquaresAgrees(Scenario):
    """sum_of_squares: same result as math.fsum for buffers and sequences, from many threads."""

    def setup(self, run: Run) -> None:
        rng = random.Random(run.seed)
        n = self.params.get("length", 50000)
        self.lists = [[rng.uniform(-1e3, 1e3) for _ in range(n)] for _ in range(3)]
        self.buffers = [array("d", xs) for xs in self.lists]
        self.expected = [math.fsum(x * x for x in xs) for xs in self.lists]

    def step(self, w: Worker) -> None:
        i = w.rng.randrange(len(self.lists))
        data = self.buffers[i] if w.rng.random() < 0.7 else self.lists[i]
        parallel, detach = w.rng.random() < 0.5, w.rng.random() < 0.7
        got = w.run.target.sum_of_squares(data, parallel=parallel, detach=detach)
        w.check(math.isclose(got, self.expected[i], rel_tol=1e-9), "sum_of_squares_correct",
                lambda: f"data {i} ({type(data).__name__}, parallel={parallel}, detach={detach}): {got!r} != "
                f"{self.expected[i]!r}")


class PanicIsAnException(Scenario):
    """trigger_panic raises PanicException in every context; the extension keeps working."""

    def setup(self, run: Run) -> None:
        self.text = make_texts(run.seed, 1, 2000)[0]
        self.expected = dict(Counter(self.text.split()))

    def thread_setup(self, w: Worker) -> None:
        w.panics = 0

    def step(self, w: Worker) -> None:
        if w.ops % 16 == 0:
            where = ("attached", "detached", "rayon")[(w.ops // 16) % 3]
            try:
                w.run.target.trigger_panic(where)
            except BaseException as e:
                if type(e).__name__ != "PanicException":
                    w.violation("panic_becomes_exception", f"trigger_panic({where!r}) raised {type(e).__name__}: {e}")
                w.panics += 1
            else:
                w.violation("panic_becomes_exception", f"trigger_panic({where!r}) returned normally")
        else:
            got = w.run.target.word_count(self.text, parallel=w.ops % 2 == 0)
            w.check(got == self.expected, "word_count_correct", "word_count wrong after a panic")

    def finish(self, run: Run) -> None:
        run.note("panics", sum(w.panics for w in run.workers))


SCENARIOS = [
    WordCountAgrees("parallel.word_count", target="ftlab", requires=["word_count"]),
    SumOfSquaresAgrees("parallel.sum_of_squares", target="ftlab", requires=["sum_of_squares"]),
    PanicIsAnException("parallel.panic", target="ftlab", requires=["trigger_panic", "word_count"]),
]
