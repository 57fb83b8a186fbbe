"""Small pure-Python targets for the zero-code tests (importable by the isolated child).

`RacyCounter` loses updates (read, yield, write); `LockedCounter` is its correct twin;
`TwoLocks` deadlocks when `ab` races `ba` (lock-order inversion) but never alone;
`BusyFlag` raises RuntimeError only when two threads are inside `work` at once;
`Crasher` segfaults on `boom` (ctypes); `make_raises` is a factory that raises; `Gate.wait` blocks
until some call of `open` (so learning must exclude it: alone, on a fresh gate, it never returns).
"""

from __future__ import annotations

import ctypes
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
