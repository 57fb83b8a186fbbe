"""Parallel work that releases the interpreter (src/py/parallel.rs).

* `word_count` agrees with `collections.Counter(text.split())` for every text, including every
  code point Python treats as whitespace (Rust's notion differs: U+001C..U+001F), in all four
  parallel/detach modes.
* `sum_of_squares` accepts float64 buffers (contiguous or not) and iterables, gives the same
  bits with and without rayon, and copies buffers so a concurrent writer cannot make it crash.
* The GIL-release proof: on a GIL build, while `word_count(..., detach=True)` runs, another
  Python thread keeps counting; with `detach=False` it (almost) stops. Measured as a ratio of
  the other thread's loop iterations, interleaved, never as absolute times.
"""

from __future__ import annotations

import array
import collections
import math
import struct
import sys
import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threads import run_in_threads, run_while

from ftlab import sum_of_squares, word_count

THREADS = 4
MODES = [dict(parallel=p, detach=d) for p in (False, True) for d in (False, True)]
# Every code point Python's str.isspace() accepts (all of them are below U+3001; checked below).
PY_WHITESPACE = [chr(c) for c in range(0x3001) if chr(c).isspace()]
NOT_WHITESPACE_LOOKALIKES = ["\u200b", "\u180e", "\ufeff", "\x1b", "\u2060"]


def gil_enabled() -> bool:
    return getattr(sys, "_is_gil_enabled", lambda: True)()


# --- word_count ----------------------------------------------------------------------------

texts = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6),
        st.sampled_from(PY_WHITESPACE + NOT_WHITESPACE_LOOKALIKES),
        st.sampled_from(["to", "be", "or", "not", "\u00e9t\u00e9", "\U0001f600"]),
    ),
    max_size=50,
).map("".join)


@given(texts)
@settings(deadline=None, max_examples=200)
def test_word_count_matches_counter_of_split(text):
    expected = collections.Counter(text.split())
    for mode in MODES:
        assert word_count(text, **mode) == expected, mode


def test_whitespace_set_is_pythons_exactly():
    every_char = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))  # no surrogates
    # The claim PY_WHITESPACE relies on: nothing above U+3000 is whitespace.
    assert [c for c in every_char if c.isspace()] == PY_WHITESPACE
    assert {"\x1c", "\x1d", "\x1e", "\x1f", "\x85"} <= set(PY_WHITESPACE)
    # Every code point, each between two letters: a code point Rust wrongly took for
    # whitespace would split a word, one it wrongly missed would merge two (~30 long words).
    glued = "a".join(every_char)
    expected = collections.Counter(glued.split())
    assert word_count(glued) == expected
    assert word_count(glued, parallel=True) == expected


def test_word_count_large_text_parallel_equals_sequential():
    text = "\u3000".join(f"w{i % 997} x\x1cy\x85" for i in range(200_000))
    expected = collections.Counter(text.split())
    assert word_count(text) == expected
    assert word_count(text, parallel=True) == expected


def test_word_count_edge_cases():
    assert word_count("") == {}
    assert word_count(" \t\n\x1f\u3000 ") == {}
    assert word_count("one") == {"one": 1}
    assert word_count("a\u200bb a\u200bb") == {"a\u200bb": 2}


def test_word_count_from_many_threads():
    text = " ".join(f"w{i % 101}" for i in range(50_000))
    expected = collections.Counter(text.split())
    results: list[bool] = []

    def run(i: int) -> None:
        for mode in MODES:
            results.append(word_count(text, **mode) == expected)

    run_in_threads(THREADS, run)
    assert results == [True] * (THREADS * len(MODES))


# --- sum_of_squares ------------------------------------------------------------------------


def test_sum_of_squares_inputs():
    data = [1.0, -2.0, 3.5]
    expected = 1 + 4 + 12.25
    arr = array.array("d", data)
    for mode in MODES:
        assert sum_of_squares(arr, **mode) == expected
        assert sum_of_squares(data, **mode) == expected
        assert sum_of_squares(tuple(data), **mode) == expected
        assert sum_of_squares((x for x in data), **mode) == expected
        assert sum_of_squares([1, 2, 3], **mode) == 14.0  # ints are real numbers too
        assert sum_of_squares(memoryview(arr), **mode) == expected
        assert sum_of_squares(memoryview(arr)[::2], **mode) == 1 + 12.25  # non-contiguous
        raw = bytearray(struct.pack("4d", 1, 2, 3, 4))
        assert sum_of_squares(memoryview(raw).cast("d"), **mode) == 30.0
        assert sum_of_squares(memoryview(raw).cast("d").cast("B").cast("d", (2, 2)), **mode) == 30.0
        assert sum_of_squares([], **mode) == 0.0
        assert sum_of_squares(array.array("d"), **mode) == 0.0
    assert math.isnan(sum_of_squares([float("nan"), 1.0]))
    assert sum_of_squares([float("inf")]) == math.inf


# Moderate values with fractional parts: rounding then depends on the association order.
@given(st.lists(st.floats(-1e3, 1e3), max_size=10_000))
@settings(deadline=None, max_examples=50)
def test_sum_of_squares_parallel_is_bit_identical(values):
    arr = array.array("d", values)
    seq = sum_of_squares(arr)
    for mode in MODES:
        got = sum_of_squares(arr, **mode)
        assert got == seq, mode
    assert math.isclose(seq, math.fsum(x * x for x in values), rel_tol=1e-12)


def test_sum_of_squares_exact_on_integers():
    values = array.array("d", range(-5000, 5001))
    exact = float(sum(i * i for i in range(-5000, 5001)))
    assert sum_of_squares(values) == exact
    assert sum_of_squares(values, parallel=True) == exact


def test_sum_of_squares_with_a_concurrent_writer_is_safe():
    """Two writer threads flip elements of two arrays between 1.0 and 2.0 while two reader
    threads (one array each) compute on them. The input is copied before detaching, so every
    result lies in [n·1, n·4] and nothing crashes.

    Writers only assign elements and each array is exported by one reader only: on 3.13t,
    CPython 3.13's `array` itself is not thread-safe for concurrent resizes or concurrent
    buffer exports (its export counter is a plain int), which is CPython's race, not ours."""
    n = 100_000
    arrays = [array.array("d", [1.0]) * n for _ in range(2)]
    results: list[float] = []

    def writer(offset: int) -> Callable[[threading.Barrier, threading.Event], None]:
        def write(barrier: threading.Barrier, stop: threading.Event) -> None:
            barrier.wait()
            value = 2.0
            while not stop.is_set():
                for arr in arrays:
                    for i in range(offset, n, 97):
                        arr[i] = value
                value = 3.0 - value

        return write

    def reader(arr: array.array) -> Callable[[threading.Barrier], None]:
        def read(barrier: threading.Barrier) -> None:
            barrier.wait()
            for i in range(40):
                results.append(sum_of_squares(arr, parallel=bool(i % 2)))

        return read

    run_while([writer(w) for w in range(2)], [reader(arr) for arr in arrays])
    assert len(results) == 40 * len(arrays)
    assert all(n * 1.0 <= r <= n * 4.0 for r in results)


# --- the GIL-release proof -----------------------------------------------------------------


def other_thread_progress(big_text: str, detach: bool) -> int:
    """Loop iterations another Python thread completes while word_count(big_text) runs."""
    stop = threading.Event()
    progress = [0]
    started = threading.Barrier(2)

    def spin() -> None:
        started.wait()
        n = 0
        while not stop.is_set():
            n += 1
            progress[0] = n

    spinner = threading.Thread(target=spin)
    spinner.start()
    started.wait()
    try:
        before = progress[0]
        word_count(big_text, detach=detach)
        return progress[0] - before
    finally:
        stop.set()
        spinner.join()


# About 0.3-0.4 s of counting on the 2-core CI machine: long against the few milliseconds of
# GIL hand-over around each call, during which the spinner runs even when the call is attached.
BIG_TEXT = "lorem ipsum dolor sit amet consectetur " * 800_000


@pytest.mark.thread_unsafe(reason="measures another thread's progress; timing ratio")
@pytest.mark.skipif(not gil_enabled(), reason="the GIL build (or PYTHON_GIL=1) only")
def test_detached_word_count_lets_other_threads_run_on_the_gil_build():
    # Interleaved, so machine load affects both sides alike.
    detached = attached = 0
    for _ in range(3):
        detached += other_thread_progress(BIG_TEXT, detach=True)
        attached += other_thread_progress(BIG_TEXT, detach=False)
    # Attached, the spinner only runs in the GIL hand-over slices at the edges of each call;
    # detached, it runs for the whole call (measured: 15-30x more iterations).
    assert detached > 5 * attached, (detached, attached)


@pytest.mark.thread_unsafe(reason="measures another thread's progress")
@pytest.mark.skipif(gil_enabled(), reason="free-threaded build with the GIL off only")
def test_other_threads_run_either_way_without_a_gil():
    assert other_thread_progress(BIG_TEXT, detach=True) > 0
    assert other_thread_progress(BIG_TEXT, detach=False) > 0
