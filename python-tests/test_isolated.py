"""ftlab_isolated in the main interpreter: kernels, module state, shared data, errors, panics.

Mirrors `isolated/src/` (functions.rs, state.rs, shared.rs, capi.rs). Sub-interpreters are in
`test_subinterpreters.py`; these run on every interpreter of the matrix (3.9+).

Tests that need a counter of their own create a *fresh module object* (multi-phase init gives
each module object its own state), so they are independent of each other and safe under
pytest-run-parallel; only tests reading process-wide numbers are marked thread-unsafe.
"""

from __future__ import annotations

import array
import collections
import importlib.util
import math
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threads import run_in_threads

import ftlab_isolated

EXT = sys.modules["ftlab_isolated.ftlab_isolated"]  # the extension module inside the package
WORKERS = 8
# Characters around which str.split() and a naive split disagree: U+001C..U+001F are whitespace
# for Python but not for Unicode's White_Space; U+200B is whitespace for neither.
TRICKY = "ab c\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2003\u2028\u202f\u3000\u200bé中"


def fresh_module():
    """A new, independent module object of the extension (what a new interpreter would get)."""
    spec = importlib.util.spec_from_file_location(EXT.__name__, EXT.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- word_count ---------------------------------------------------------------------------------


@pytest.mark.parametrize("detach", [True, False])
@pytest.mark.parametrize("parallel", [False, True])
def test_word_count_matches_counter(detach, parallel):
    text = "the cat the hat\tthe\x1cend\u00a0é é\u200bx  \n"
    expected = collections.Counter(text.split())
    assert ftlab_isolated.word_count(text, parallel=parallel, detach=detach) == expected
    big = text * 20_000  # > 64 KiB: really split into chunks when parallel
    assert ftlab_isolated.word_count(big, parallel=parallel, detach=detach) == collections.Counter(big.split())
    assert ftlab_isolated.word_count("") == {}
    assert ftlab_isolated.word_count(" \t\x1f\u3000") == {}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(TRICKY), max_size=80))
def test_word_count_splits_exactly_like_str_split(text):
    assert ftlab_isolated.word_count(text) == collections.Counter(text.split())


def test_word_count_from_many_threads_is_correct():
    texts = [" ".join(f"w{j % (i + 2)}" for j in range(2000)) for i in range(WORKERS)]
    expected = [collections.Counter(t.split()) for t in texts]

    def work(i):
        for _ in range(5):
            assert ftlab_isolated.word_count(texts[i], detach=i % 2 == 0) == expected[i]

    run_in_threads(WORKERS, work)


# --- sum_of_squares -------------------------------------------------------------------------------


def reference_sum(values):
    return math.fsum(x * x for x in values)


@pytest.mark.parametrize("detach", [True, False])
@pytest.mark.parametrize("parallel", [False, True])
def test_sum_of_squares_buffers_and_sequences(detach, parallel):
    values = [i * 0.25 - 7.0 for i in range(10_001)]
    want = reference_sum(values)
    arr = array.array("d", values)
    for data in (arr, memoryview(arr), memoryview(arr.tobytes()).cast("d"), values, tuple(values),
                 (x for x in values)):
        got = ftlab_isolated.sum_of_squares(data, parallel=parallel, detach=detach)
        assert got == pytest.approx(want, rel=1e-12)
    # Sequential and parallel agree bit for bit (same summation tree in ftlab::core::kernels).
    assert ftlab_isolated.sum_of_squares(arr, parallel=True) == ftlab_isolated.sum_of_squares(arr)
    assert ftlab_isolated.sum_of_squares([1, 2, True]) == 6.0  # ints via __index__, like float()
    assert ftlab_isolated.sum_of_squares(array.array("d")) == 0.0
    assert ftlab_isolated.sum_of_squares([]) == 0.0


def test_sum_of_squares_reads_misaligned_and_strided_buffers():
    values = [1.5, -2.0, 3.25]
    raw = b"\x00" + array.array("d", values).tobytes()
    view = memoryview(raw)[1:].cast("d")  # 8-byte items starting at an odd address
    assert ftlab_isolated.sum_of_squares(view) == pytest.approx(reference_sum(values))
    strided = memoryview(array.array("d", [1.0, 100.0, 2.0, 100.0, 3.0]))[::2]  # 1, 2, 3
    assert ftlab_isolated.sum_of_squares(strided) == 14.0


@pytest.mark.parametrize(
    "data, exc, message",
    [
        (array.array("i", [1, 2]), TypeError, "needs float64 items (buffer format 'd'), got format 'i'"),
        (b"abcdefgh", TypeError, "got format 'B'"),
        (3, TypeError, "expected a float64 buffer or an iterable of floats, not int"),
        (["1.0"], TypeError, "expected floats, item 0 is str"),
        ([1.0, None], TypeError, "expected floats, item 1 is NoneType"),
    ],
)
def test_sum_of_squares_bad_input_is_one_clear_error(data, exc, message):
    with pytest.raises(exc, match=None) as info:
        ftlab_isolated.sum_of_squares(data)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_sum_of_squares_from_many_threads_is_correct():
    arrays = [array.array("d", (float(i + j % 7) for j in range(20_000))) for i in range(WORKERS)]
    expected = [reference_sum(a) for a in arrays]

    def work(i):
        for k in range(20):
            got = ftlab_isolated.sum_of_squares(arrays[i], detach=k % 2 == 0)
            assert got == pytest.approx(expected[i], rel=1e-12)

    run_in_threads(WORKERS, work)


# --- argument parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ftlab_isolated.word_count(), "word_count() missing required argument 'text'"),
        (lambda: ftlab_isolated.word_count("a", "b"), "word_count() takes 1 positional argument but 2 were given"),
        (lambda: ftlab_isolated.word_count("a", text="b"), "word_count() got multiple values for argument 'text'"),
        (lambda: ftlab_isolated.word_count("a", bogus=1), "unexpected keyword argument 'bogus'"),
        (lambda: ftlab_isolated.word_count(b"a"), "argument 'text' must be str, not bytes"),
        (lambda: ftlab_isolated.counter_add("1"), "argument 'delta' must be int, not str"),
        (lambda: ftlab_isolated.shared_lookup(1), "argument 'word' must be str, not int"),
        (lambda: ftlab_isolated.trigger_panic("nowhere"), "where must be 'attached' or 'detached'"),
    ],
)
def test_argument_errors_are_clear(call, message):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert message in str(info.value)


def test_signatures_are_introspectable():
    import inspect

    assert str(inspect.signature(ftlab_isolated.word_count)) == "(text, *, parallel=False, detach=True)"
    assert str(inspect.signature(ftlab_isolated.sum_of_squares)) == "(data, *, parallel=False, detach=True)"
    assert str(inspect.signature(ftlab_isolated.counter_add)) == "(delta=1)"
    # Positional parameters may be passed by keyword, as in ftlab.
    assert ftlab_isolated.word_count(text="a a", detach=False) == {"a": 2}
    assert ftlab_isolated.sum_of_squares(data=[3.0]) == 9.0


# --- module state --------------------------------------------------------------------------------


def test_each_module_object_has_its_own_counter():
    a, b = fresh_module(), fresh_module()
    assert a is not b and a.counter_value() == 0 and b.counter_value() == 0
    assert a.counter_add() == 1
    assert a.counter_add(41) == 42
    assert b.counter_value() == 0
    assert b.counter_add(-5) == -5
    assert a.counter_value() == 42
    # The shared Rust data is one and the same for both.
    assert a.shared_info()["address"] == b.shared_info()["address"] == ftlab_isolated.shared_info()["address"]


def test_counter_never_loses_an_update_under_threads():
    module = fresh_module()
    per_thread = 5_000

    def work(i):
        for _ in range(per_thread):
            module.counter_add()

    run_in_threads(WORKERS, work)
    assert module.counter_value() == WORKERS * per_thread


def test_counter_overflow_is_an_error_not_a_wrap():
    module = fresh_module()
    module.counter_add(2**63 - 1)
    with pytest.raises(OverflowError, match="would overflow"):
        module.counter_add(1)
    assert module.counter_value() == 2**63 - 1
    with pytest.raises(OverflowError, match="does not fit in 64 bits"):
        module.counter_add(2**64)


FREED_CHECK = """
import gc, importlib.util, json, sys
import ftlab_isolated
ext = sys.modules["ftlab_isolated.ftlab_isolated"]

def fresh_module():
    spec = importlib.util.spec_from_file_location(ext.__name__, ext.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

gc.collect()
before = [ftlab_isolated.live_module_states(), ftlab_isolated.shared_info()["strong_count"]]
modules = [fresh_module() for _ in range(5)]
during = [ftlab_isolated.live_module_states(), ftlab_isolated.shared_info()["strong_count"]]
del modules
gc.collect()  # a module object sits in a cycle (module -> dict -> function -> module)
after = [ftlab_isolated.live_module_states(), ftlab_isolated.shared_info()["strong_count"]]
print(json.dumps([before, during, after]))
"""


def test_module_state_is_freed_with_its_module_object():
    """Run in a fresh process that never started a thread: free-threaded 3.13 immortalizes
    objects that use deferred reference counting (module objects and functions among them)
    once a second thread has run, so in this pytest process a dropped module object would
    never be freed; 3.14 replaces that stopgap."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", FREED_CHECK], capture_output=True, text=True, check=True)
    before, during, after = json.loads(out.stdout)
    assert during == [before[0] + 5, before[1] + 5]
    assert after == before


def test_interpreter_id_of_main_is_zero():
    assert ftlab_isolated.interpreter_id() == 0


# --- shared immutable data -------------------------------------------------------------------------


def test_shared_lexicon_lookup():
    for i in (0, 42, 49_999):
        assert ftlab_isolated.shared_lookup(f"w{i:05d}") == (i * 2_654_435_761) % 1000
    assert ftlab_isolated.shared_lookup("w50000") is None
    assert ftlab_isolated.shared_lookup("") is None
    info = ftlab_isolated.shared_info()
    assert info["entries"] == 50_000
    assert info["build_count"] == 1
    assert info["built_by_interpreter"] >= 0


def test_shared_lexicon_reads_from_many_threads():
    def work(i):
        for j in range(i, 50_000, 997):
            assert ftlab_isolated.shared_lookup(f"w{j:05d}") == (j * 2_654_435_761) % 1000

    run_in_threads(WORKERS, work)


# --- panics ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["attached", "detached"])
def test_panic_becomes_panic_exception(where):
    with pytest.raises(ftlab_isolated.PanicException, match=f"deliberate panic \\({where}\\)"):
        ftlab_isolated.trigger_panic(where)
    assert issubclass(ftlab_isolated.PanicException, BaseException)
    assert not issubclass(ftlab_isolated.PanicException, Exception)
    # The module keeps working after a panic.
    assert ftlab_isolated.word_count("a a") == {"a": 2}


def test_each_module_object_has_its_own_panic_exception_class():
    module = fresh_module()
    assert module.PanicException is not ftlab_isolated.PanicException
    with pytest.raises(module.PanicException):
        module.trigger_panic("attached")


# --- the GIL on 3.13t --------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(sys, "_is_gil_enabled"), reason="no sys._is_gil_enabled before 3.13")
@pytest.mark.thread_unsafe(reason="3.13t enables the GIL transiently while any thread imports an extension")
def test_import_does_not_change_the_gil_state():
    import os
    import sysconfig

    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    forced = os.environ.get("PYTHON_GIL") == "1" or str(sys._xoptions.get("gil")) == "1"
    fresh_module()
    assert sys._is_gil_enabled() == (not free_threaded or forced)


# --- the same kernels as ftlab -------------------------------------------------------------------


def test_results_are_bit_identical_to_ftlab():
    """Both modules call ftlab::core's kernels, so their results agree exactly."""
    import ftlab

    if not hasattr(ftlab, "sum_of_squares") or not hasattr(ftlab, "word_count"):
        pytest.skip("this ftlab build has no sum_of_squares / word_count")
    arr = array.array("d", (i * 0.37 - 11.0 for i in range(30_000)))
    for parallel in (False, True):
        assert ftlab_isolated.sum_of_squares(arr, parallel=parallel) == ftlab.sum_of_squares(arr, parallel=parallel)
    text = "alpha beta\x1cgamma alpha\u3000beta " * 500
    assert ftlab_isolated.word_count(text) == ftlab.word_count(text)
