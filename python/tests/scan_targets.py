"""A small module for the zero-code module scan test: one correct class, one racy, one that needs
an argument (not constructible with none: listed, not checked)."""

from __future__ import annotations

import threading
import time


class Locked:
    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def add(self) -> int:
        with self._lock:
            self._n += 1
            return self._n


class Racy:
    def __init__(self) -> None:
        self.n = 0

    def add(self) -> int:
        n = self.n
        time.sleep(0)
        self.n = n + 1
        return self.n


class NeedsArg:
    def __init__(self, size: int) -> None:
        self.size = size
