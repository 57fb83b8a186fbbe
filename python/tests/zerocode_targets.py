"""Small pure-Python targets for the zero-code tests (importable by the isolated child).

`RacyCounter` loses updates (read, yield, write); `LockedCounter` is its correct twin;
`TwoLocks` deadlocks when `ab` races `ba` (lock-order inversion) but never alone;
`BusyFlag` raises RuntimeError only when two threads are inside `work` at once;
`Crasher` segfaults on `boom` (ctypes); `make_raises` is a factory that raises; `Gate.wait` blocks
until some call of `open` (so learning must exclude it: alone, on a fresh gate, it never returns).
"""

from __future__ import annotations

import ctypes
import functools
import threading
import time


class RacyCounter:
    def __init__(self) -> None:
        self.n = 0

    def add(self, d: int = 1) -> int:
        n = self.n
        time.sleep(0)  # a window, even under the GIL
        self.n = n + d
        return self.n

    @property
    def value(self) -> int:
        return self.n


class LockedCounter:
    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def add(self, d: int = 1) -> int:
        with self._lock:
            n = self._n
            time.sleep(0)
            self._n = n + d
            return self._n

    @property
    def value(self) -> int:
        with self._lock:
            return self._n


class TwoLocks:
    def __init__(self) -> None:
        self._a = threading.Lock()
        self._b = threading.Lock()

    def ab(self) -> None:
        with self._a:
            time.sleep(0.002)
            with self._b:
                pass

    def ba(self) -> None:
        with self._b:
            time.sleep(0.002)
            with self._a:
                pass


class BusyFlag:
    def __init__(self) -> None:
        self._busy = False

    def work(self) -> int:
        if self._busy:
            raise RuntimeError("re-entered")
        self._busy = True
        time.sleep(0.0005)
        self._busy = False
        return 1


class Crasher:
    def safe(self) -> int:
        return 1

    def boom(self) -> None:
        time.sleep(0.01)
        ctypes.string_at(0)


class Gate:
    def __init__(self) -> None:
        self._event = threading.Event()

    def open(self) -> None:
        self._event.set()

    def wait(self) -> bool:
        return self._event.wait()

    @property
    def is_open(self) -> bool:
        return self._event.is_set()


def make_raises() -> object:
    raise OSError("no device")


def shout(value: object) -> object:
    """A result normaliser: upper-cases strings."""
    return value.upper() if isinstance(value, str) else value


class TornIterBag:
    """A bag whose iteration, while an `add` is in flight, yields a value nobody added (-7): the
    broken twin of a composite operation (the impossible-value check must catch it)."""

    def __init__(self) -> None:
        self._items: list[int] = []
        self._adding = 0

    def add(self, x: int) -> None:
        self._adding += 1
        time.sleep(0)
        self._items.append(x)
        self._adding -= 1

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):  # noqa: ANN204 - a generator
        for x in list(self._items):
            yield -7 if self._adding else x


class SelfUpdatingMap:
    """`refresh` iterates its own dict while `put` adds keys: from this single (atomic-looking)
    call, "dictionary changed size during iteration" is a bug, not a by-design transient."""

    def __init__(self) -> None:
        self._d: dict[int, int] = {}

    def put(self, k: int) -> None:
        self._d[k % 64] = k  # a bounded dict: refresh stays cheap

    def refresh(self) -> int:
        total = 0
        for i, k in enumerate(self._d):
            if i == 1:
                time.sleep(0)  # the window: one yield mid-iteration
            total += k
        return total


class FileWriter:
    """Writes a file named after its argument into the current directory (as numpy's `tofile` does
    with a string from the value pool): the zero-code child must run in a scratch directory."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def dump(self, name: str) -> int:
        with open(str(name), "w") as f:
            f.write("x")
        with self._lock:
            self._n += 1
            return self._n


class Knobs:
    """A public method with a private, stack-dependent parameter (pydantic's `rebuild` has
    `_parent_namespace_depth`): the generated calls must leave `_depth` out."""

    def __init__(self) -> None:
        self.label = "a"

    def rebuild(self, force: bool = False, _depth: int = 2) -> int:
        return 1 if force else 0


class CrashWhenShared:
    """Segfaults only when two threads are inside `work` at once: a crash in a round, never alone."""

    def __init__(self) -> None:
        self._busy = False

    def work(self) -> int:
        if self._busy:
            ctypes.string_at(0)
        self._busy = True
        time.sleep(0.0005)
        self._busy = False
        return 1


class ExportGuard:
    """`work` raises BufferError when entered by two threads at once: a default by-design exception
    (a resize refused during an export), reported only with `--no-default-transients`."""

    def __init__(self) -> None:
        self._busy = False

    def work(self) -> int:
        if self._busy:
            raise BufferError("Existing exports of data: object cannot be re-sized")
        self._busy = True
        time.sleep(0.0005)
        self._busy = False
        return 1


class CondQueue:
    """A correct condition-variable queue (waits with a timeout, as `queue.Queue.get` does)."""

    def __init__(self) -> None:
        self._items: list[int] = []
        self._cv = threading.Condition()

    def put(self, x: int) -> None:
        with self._cv:
            self._items.append(x)
            self._notify()

    def _notify(self) -> None:
        self._cv.notify()

    def get(self, timeout: float | None = None) -> int:
        with self._cv:
            if not self._cv.wait_for(lambda: self._items, timeout):
                raise TimeoutError
            return self._items.pop(0)

    def __len__(self) -> int:
        with self._cv:
            return len(self._items)


class ForgetfulQueue(CondQueue):
    """Its broken twin: notifies only when the queue becomes non-empty, so a second waiter behind
    a second quick `put` sleeps until its timeout (the classic lost wake-up)."""

    def _notify(self) -> None:
        if len(self._items) == 1:
            self._cv.notify()


class SlowOnce:
    """Runs a 20 ms init once; concurrent callers wait for it (no timeout parameter, as
    `OnceResource.get`). `_notify` wakes them."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._state = "empty"
        self._value = 0

    def get(self) -> int:
        with self._cv:
            if self._state == "empty":
                self._state = "running"
                self._cv.release()
                try:
                    time.sleep(0.02)
                finally:
                    self._cv.acquire()
                self._state, self._value = "done", 42
                self._notify()
            while self._state != "done":
                self._cv.wait(1.0)  # a timed loop: a lost notification costs up to a second
            return self._value

    def _notify(self) -> None:
        self._cv.notify_all()


class ForgetfulOnce(SlowOnce):
    """Its broken twin: the finished init wakes nobody."""

    def _notify(self) -> None:
        pass


class SlowMethods:
    """Every method takes 40 ms: learning must stop at its cap, not after 150 sequences."""

    def __init__(self) -> None:
        self.n = 0

    def a(self) -> int:
        time.sleep(0.04)
        self.n += 1
        return self.n

    def b(self, k: int) -> int:
        time.sleep(0.04)
        return self.n + k

    def c(self) -> int:
        time.sleep(0.04)
        return self.n


class Pairs:
    """`put(pair)` accepts only a 2-tuple of ints: nothing discovery generates (a user's generator does)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[tuple[int, int]] = []

    def put(self, pair) -> int:  # noqa: ANN001 - untyped on purpose
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(type(x) is int for x in pair)):
            raise TypeError("a pair of ints")
        with self._lock:
            self._items.append(pair)
            return len(self._items)


def pair(rng) -> tuple[int, int]:  # noqa: ANN001
    return (rng.randrange(10), rng.randrange(10))


def _refresh_impl(self) -> int:  # noqa: ANN001
    total = 0
    for i, k in enumerate(self._d):
        if i == 1:
            time.sleep(0)
        total += k
    return total


class NativeLookingMap(SelfUpdatingMap):
    """The same iteration behind a callable that is not a Python function (as a C or Rust method
    would be): the harness takes such a call as atomic, so its "changed size during iteration" is
    a finding, not a by-design transient."""

    refresh = functools.partialmethod(_refresh_impl)
