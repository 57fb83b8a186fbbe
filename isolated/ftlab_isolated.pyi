"""Rust kernels that are safe in isolated sub-interpreters (own GIL) and on 3.13t.

All state is per module object (one per interpreter); immutable Rust data is shared
across interpreters through a process-wide Arc, never as a Python object.
"""

from collections.abc import Iterable
from typing import NoReturn, TypedDict

from typing_extensions import Buffer

__all__ = [
    "__version__",
    "PanicException",
    "word_count",
    "sum_of_squares",
    "counter_add",
    "counter_value",
    "interpreter_id",
    "shared_lookup",
    "shared_info",
    "live_module_states",
    "trigger_panic",
]

__version__: str

class PanicException(BaseException):
    """A Rust panic inside ftlab_isolated (one class per interpreter; a BaseException,
    like PyO3's PanicException, so `except Exception` does not swallow it)."""

class _SharedInfo(TypedDict):
    """What `shared_info()` returns (this class exists only in the stub)."""

    address: int
    strong_count: int
    build_count: int
    entries: int
    built_by_interpreter: int

def word_count(text: str, *, parallel: bool = False, detach: bool = True) -> dict[str, int]:
    """Count the words of `text`, split like `str.split()`: the same result as
    `collections.Counter(text.split())`, as a plain dict (ftlab's kernel). `parallel=True`
    counts chunks on rayon's pool. With `detach=True` (the default) the counting runs detached
    from the interpreter (its GIL released), so other threads of this interpreter run meanwhile."""

def sum_of_squares(data: Buffer | Iterable[float], *, parallel: bool = False, detach: bool = True) -> float:
    """Sum of x*x over `data`: a buffer of native float64 (`array('d')`, a memoryview of one,
    strided or not; copied while attached) or any iterable of real numbers (ftlab's kernel;
    `parallel=True` is bit-identical). With `detach=True` (the default) the sum runs detached
    from the interpreter. TypeError for a buffer of another format or other objects."""

def counter_add(delta: int = 1) -> int:
    """Add `delta` to this module object's counter (one per interpreter) and return the new
    value. Atomic, so threads of one interpreter on 3.13t never lose an update."""

def counter_value() -> int:
    """The current value of this module object's (this interpreter's) counter."""

def interpreter_id() -> int:
    """The ID of the interpreter that imported (executed) this module object; 0 for the main
    interpreter."""

def shared_lookup(word: str) -> int | None:
    """Frequency of `word` in the process-wide, immutable Rust lexicon (shared by every
    interpreter through one Arc), or None if absent. Words are 'w00000' .. 'w49999'."""

def shared_info() -> _SharedInfo:
    """Facts about the shared lexicon: 'address' (of the Arc'd data: the same in every
    interpreter), 'strong_count' (1 + number of live module states holding it),
    'build_count' (1: built once per process), 'entries', 'built_by_interpreter'."""

def live_module_states() -> int:
    """Number of initialised ftlab_isolated module states in the whole process (all
    interpreters). Falls back when a sub-interpreter is destroyed and its module freed."""

def trigger_panic(where: str) -> NoReturn:
    """Panic in Rust, `where` in {'attached', 'detached'}; raises this interpreter's
    ftlab_isolated.PanicException (never aborts). For tests."""
