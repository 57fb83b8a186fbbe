"""Type stubs for ftlab, the free-threading concurrency pattern library (PyO3 extension)."""

from typing import final

__version__: str

@final
class MutexGuardedCounter:
    """A counter guarded by a mutex: `add` is one read-modify-write under one lock."""

    def __new__(cls, start: int = 0) -> MutexGuardedCounter: ...
    def add(self, delta: int = 1) -> int:
        """Adds `delta` (default 1) and returns the new value."""
    @property
    def value(self) -> int:
        """The current value."""

@final
class AtomicCounter:
    """A lock-free counter: `add` is one atomic `fetch_add`."""

    def __new__(cls, start: int = 0) -> AtomicCounter: ...
    def add(self, delta: int = 1) -> int:
        """Adds `delta` (default 1) and returns the new value."""
    @property
    def value(self) -> int:
        """The current value."""
