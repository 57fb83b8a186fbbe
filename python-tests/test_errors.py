"""Errors and panics: bad input is a one-line TypeError/ValueError, a Rust panic is a Python
exception (`pyo3_runtime.PanicException`, exported as `ftlab.PanicException`) in every context
(attached, inside `py.detach`, inside a rayon task), and the interpreter keeps working after it:
same thread, other threads, rayon's pool, and an uncaught panic exits like an exception (status
1 with a traceback), never with an abort signal.
"""

# The bad calls below are bad on purpose; the stubs reject them (mypy), the runtime must too.
# mypy: disable-error-code="arg-type, call-arg, dict-item, list-item"

from __future__ import annotations

import array
import os
import subprocess
import sys
import threading

import pytest
from threads import run_in_threads

import ftlab
from ftlab import FrozenMap, PanicException, Point, UnsyncCounter, sum_of_squares, trigger_panic, word_count

THREADS = 4
WHERE = ["attached", "detached", "rayon"]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: word_count(3), TypeError, "word_count: text must be str, not 'int'"),
        (lambda: word_count(b"bytes"), TypeError, "word_count: text must be str, not 'bytes'"),
        (lambda: word_count("a", parallel=1), TypeError, "parallel"),
        (lambda: word_count("a", "positional"), TypeError, "positional"),
        (lambda: word_count("\ud800"), UnicodeEncodeError, "surrogates not allowed"),
        (lambda: sum_of_squares(array.array("i", [1])), TypeError, "format 'i'"),
        (lambda: sum_of_squares(b"ab"), TypeError, "format 'B'"),
        (lambda: sum_of_squares(memoryview(bytearray(17))[1:].cast("d")), ValueError, "aligned"),
        (lambda: sum_of_squares("1.0"), TypeError, "not 'str'"),
        (lambda: sum_of_squares(3.0), TypeError, "not 'float'"),
        (lambda: sum_of_squares([1.0, "x"]), TypeError, "element 1 is 'str'"),
        (lambda: sum_of_squares([1.0], detach="yes"), TypeError, "detach"),
        (lambda: trigger_panic("nowhere"), ValueError, "'attached', 'detached' or 'rayon'"),
        (lambda: trigger_panic(1), TypeError, "where"),
        (lambda: Point("1", 2), TypeError, "x"),
        (lambda: Point(1), TypeError, "y"),
        (lambda: FrozenMap({1: "a"}), TypeError, "keys must be str, not 'int'"),
        (lambda: FrozenMap([("a", 1)]), TypeError, "expected a mapping"),
        (lambda: FrozenMap({"a": 1}).set(None, 2), TypeError, "keys must be str, not 'NoneType'"),
        (lambda: FrozenMap({"a": 1}).merge(5), TypeError, "expected a mapping"),
        (lambda: FrozenMap({"a": 1}).remove("b"), KeyError, "b"),
        (lambda: FrozenMap({"a": 1}).lookup_many("ab"), TypeError, "str"),
        (lambda: FrozenMap({"a": 1}).lookup_many(["a"], -1), OverflowError, ""),
        (lambda: UnsyncCounter("0"), TypeError, "start"),
        (lambda: UnsyncCounter(2**64), OverflowError, ""),
        (lambda: UnsyncCounter().add(1.5), TypeError, "delta"),
    ],
)
def test_bad_input_is_a_clear_python_error(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
    assert "\n" not in str(info.value), "error messages are one line"


def test_value_errors_are_value_errors():
    # UnicodeEncodeError is a ValueError: callers catching ValueError for bad text get it.
    with pytest.raises(ValueError):
        word_count("x\udfffy")


# --- panics --------------------------------------------------------------------------------


def test_panic_exception_is_exported_and_is_a_base_exception():
    assert PanicException.__module__ == "pyo3_runtime"
    assert PanicException.__name__ == "PanicException"
    assert issubclass(PanicException, BaseException)
    assert not issubclass(PanicException, Exception)  # `except Exception` does NOT catch it


@pytest.mark.parametrize("where", WHERE)
def test_panic_surfaces_as_panic_exception(where):
    with pytest.raises(PanicException, match=f"deliberate panic.*trigger_panic\\('{where}'\\)"):
        trigger_panic(where)
    # The interpreter, the thread and rayon's pool all still work.
    assert word_count("still works", parallel=True) == {"still": 1, "works": 1}
    assert sum_of_squares(array.array("d", [3.0] * 10_000), parallel=True) == 90_000.0


def test_panics_on_many_threads_at_once():
    caught: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        for j in range(5):
            where = WHERE[(i + j) % len(WHERE)]
            try:
                trigger_panic(where)
            except PanicException:
                with lock:
                    caught.append(where)
            assert word_count("a b a", parallel=True, detach=True) == {"a": 2, "b": 1}

    run_in_threads(THREADS, run)
    assert len(caught) == THREADS * 5


@pytest.mark.thread_unsafe(reason="spawns interpreters; one is enough")
@pytest.mark.parametrize("where", WHERE)
def test_uncaught_panic_exits_with_a_traceback_not_an_abort(where):
    code = f"import ftlab; ftlab.trigger_panic({where!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, RUST_BACKTRACE="0"),
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr)  # an abort would be -6 (SIGABRT)
    assert "pyo3_runtime.PanicException: deliberate panic" in proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr


def test_module_still_imports_cleanly_after_panics():
    with pytest.raises(PanicException):
        trigger_panic("rayon")
    assert ftlab.__version__
