"""Type stubs for ftlab, the free-threading concurrency pattern library (PyO3 extension)."""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, SupportsFloat, SupportsIndex, final

from typing_extensions import Buffer

# The runtime `__all__` (PyO3 appends every `m.add*` name); stubtest checks the two agree.
__all__ = [
    "AtomicCounter",
    "Bank",
    "EventBus",
    "FrozenMap",
    "Latch",
    "MutexGuardedCounter",
    "OnceResource",
    "OverdraftError",
    "PerThreadCounter",
    "PanicException",
    "Point",
    "PublishSlot",
    "QueueClosed",
    "Registry",
    "ShardedCounter",
    "SnapshotMap",
    "UnsyncCounter",
    "WorkQueue",
    "__version__",
    "sum_of_squares",
    "trigger_panic",
    "_set_wait_slice",
    "word_count",
]

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

@final
class ShardedCounter:
    """A counter split into cache-line-padded atomic shards, one per thread (round-robin).

    `add` touches only the calling thread's shard, so adds from many threads do not contend;
    `value` sums every shard. Exact once the adding threads are done; a read racing with adds
    is not a snapshot (it never misses an add that finished before the read started).
    """

    def __new__(cls, shards: int | None = None) -> ShardedCounter:
        """Creates a counter at 0 with `shards` shards (default: the CPU count rounded up to a
        power of two). ValueError unless 1 <= shards <= 4096."""
    def add(self, delta: int = 1) -> None:
        """Adds `delta` (default 1) to the calling thread's shard. Returns None: the global value
        would need a sum over all shards, which is exactly the cost sharding avoids."""
    @property
    def value(self) -> int:
        """The sum of all shards."""
    @property
    def shards(self) -> int:
        """The number of shards."""

# --- Frozen values (src/py/frozen.rs) -------------------------------------------------------

@final
class Point:
    """A 2-D point with read-only float coordinates: hashable, comparable, picklable.

    `Point(x, y)`; `p.x`, `p.y`; setting or deleting an attribute raises `AttributeError`.
    Equal points hash equally (`Point(0.0, 1.0) == Point(-0.0, 1.0)` and their hashes agree).
    """

    def __new__(cls, x: float, y: float) -> Point: ...
    @property
    def x(self) -> float:
        """The x coordinate."""
    @property
    def y(self) -> float:
        """The y coordinate."""
    def translated(self, dx: float, dy: float) -> Point:
        """A new point moved by `(dx, dy)`; this one is unchanged."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[type[Point], tuple[float, float]]:
        """Pickle support: rebuilt as `Point(x, y)`."""

@final
class FrozenMap:
    """An immutable `str -> object` map sharing structure between versions.

    `set`, `remove` and `merge` return a NEW map (O(log n) new nodes, the rest shared) and never
    change this one, so a map can be read from any number of threads with no lock. Iteration is
    in sorted key order. `handle()` returns another Python object over the same shared data.
    """

    def __new__(cls, mapping: Mapping[str, object] | FrozenMap | None = None) -> FrozenMap: ...
    def set(self, key: str, value: object) -> FrozenMap:
        """A new map with `key` bound to `value`; this map is unchanged."""
    def remove(self, key: str) -> FrozenMap:
        """A new map without `key`; this map is unchanged. Raises KeyError if `key` is absent."""
    def merge(self, other: Mapping[str, object] | FrozenMap) -> FrozenMap:
        """A new map with the entries of both; `other`'s values win on common keys (like
        `dict | other`). `other` is a FrozenMap or a mapping with str keys. Neither changes."""
    def get(self, key: object, default: object = None) -> Any:
        """The value for `key`, or `default` (None) if absent."""
    def handle(self) -> FrozenMap:
        """A new Python object sharing this map's data (no copy). Give each thread its own handle
        to avoid contention on one object's reference count on free-threaded Python."""
    def shares_data_with(self, other: FrozenMap) -> bool:
        """True if `other` is a handle on (or a copy sharing) exactly the same data."""
    def lookup_many(self, keys: Sequence[str], repeat: int = 1, *, detach: bool = False) -> int:
        """Looks up every key of `keys` (a sequence of str), `repeat` times over, and returns the
        number of hits. Touches no value object: per-call Python overhead is the reference
        count of this map and the one-time conversion of `keys`. With `detach=True` the loop
        runs detached from the interpreter (on a GIL build, other threads run meanwhile)."""
    def keys(self) -> list[str]:
        """The keys, in sorted order."""
    def values(self) -> list[Any]:
        """The values, in sorted key order."""
    def items(self) -> list[tuple[str, Any]]:
        """The `(key, value)` pairs, in sorted key order."""
    def to_dict(self) -> dict[str, Any]:
        """Converts to a new, independent `dict`."""
    def __getitem__(self, key: object, /) -> Any: ...
    def __contains__(self, key: object, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]:
        """Iterates over a snapshot list of the keys (sorted). The map cannot change, so the
        snapshot is exact; a plain list iterator keeps iteration thread-safe for free."""
    def __eq__(self, other: object, /) -> bool:
        """Equal to another FrozenMap with the same keys and equal values (`is` or `==`, like
        dict). Comparing with anything else returns NotImplemented."""
    def __hash__(self) -> int:
        """Hash of the items (TypeError if a value is unhashable), consistent with `==`."""
    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, Any]]]:
        """Pickle support: rebuilt as `FrozenMap(dict)`."""

# --- Anti-pattern (src/py/anti_pattern.rs) ---------------------------------------------------

@final
class UnsyncCounter:
    """ANTI-PATTERN (on purpose): a counter with `&mut self` methods and no synchronization.

    Concurrent calls from several threads raise `RuntimeError("Already borrowed")` /
    `RuntimeError("Already mutably borrowed")` instead of waiting; the state is never
    corrupted. Use `MutexGuardedCounter` or `AtomicCounter` for shared counters.
    """

    def __new__(cls, start: int = 0) -> UnsyncCounter: ...
    def add(self, delta: int = 1) -> int:
        """Adds `delta` (default 1) and returns the new value. Holds an exclusive borrow of the
        object while it detaches for a moment: a concurrent call raises RuntimeError.
        OverflowError if the result does not fit a signed 64-bit integer."""
    @property
    def value(self) -> int:
        """The current value (a shared borrow: fails while an `add` is in progress)."""

# --- Parallel work and panics (src/py/parallel.rs) -------------------------------------------

class PanicException(BaseException):
    """A Rust panic surfaced as a Python exception (`pyo3_runtime.PanicException`)."""

def word_count(text: str, *, parallel: bool = False, detach: bool = True) -> dict[str, int]:
    """Counts the words of `text` exactly like `collections.Counter(text.split())`.

    `parallel=True` counts chunks on rayon's thread pool. `detach=True` (default) releases the
    interpreter while counting, so other Python threads run meanwhile even on a GIL build.
    Raises TypeError if `text` is not a str, UnicodeEncodeError (a ValueError) if it holds lone
    surrogates.
    """

def sum_of_squares(
    data: Buffer | Iterable[SupportsFloat | SupportsIndex],
    *,
    parallel: bool = False,
    detach: bool = True,
) -> float:
    """Σ x² over `data`: any buffer of float64 (`array('d')`, a memoryview of one, numpy float64
    arrays) or an iterable of real numbers.

    Buffers are copied before the interpreter is released (a concurrent writer could otherwise
    race with the read). `parallel=True` computes block sums on rayon's pool; the result is
    bit-identical to the sequential one. `detach=True` (default) releases the interpreter while
    computing. TypeError for anything else (with the offending format or element).
    """

def trigger_panic(where: Literal["attached", "detached", "rayon"]) -> None:
    """Panics on purpose, to show that a Rust panic becomes `pyo3_runtime.PanicException`
    (exported as `ftlab.PanicException`, a BaseException subclass) and the interpreter keeps
    working. `where` is "attached" (panic while attached), "detached" (inside `py.detach`) or
    "rayon" (inside a rayon task, itself run detached). ValueError for anything else.
    """

def _set_wait_slice(seconds: float) -> float:
    """Test hook: sets how long a blocked call (Latch.wait, WorkQueue.put/get, OnceResource.get)
    stays detached before re-checking for signals (default 0.05 s); returns the previous value.
    ValueError outside 0.001-60 s. The wake-up-latency detectors set a long slice so that a lost
    wake-up costs far more than any scheduling delay."""

# --- One-shot flag and publication (src/py/latch.rs) ------------------------------------------

@final
class Latch:
    """A one-shot flag: unset until the first `set()`, set forever after.

    `wait()` blocks (detached from the interpreter, never spinning) until the latch is set.
    Everything a thread did before `set()` is visible to a thread that saw it set.
    """

    def __new__(cls) -> Latch: ...
    def set(self) -> bool:
        """Sets the latch and wakes every waiter. Returns True if this call set it, False if it
        was already set."""
    @property
    def is_set(self) -> bool:
        """Whether the latch is set."""
    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until the latch is set or `timeout` seconds pass (None: no limit). Returns
        whether the latch is set. Releases the interpreter while waiting."""

@final
class PublishSlot:
    """Single-assignment publication of a list of ints.

    `publish(values)` succeeds once; any later call raises ValueError. `try_get()` never
    blocks: it returns None before publication and a full copy of the values after — a reader
    that sees the slot published sees all of it (Release/Acquire publication).
    """

    def __new__(cls) -> PublishSlot: ...
    def publish(self, values: Sequence[int]) -> None:
        """Publishes `values` (a list of ints). Raises ValueError if the slot is already
        published."""
    def try_get(self) -> list[int] | None:
        """The published values as a new list, or None if nothing is published yet."""
    @property
    def is_published(self) -> bool:
        """Whether the slot has been published."""

# --- Work queue (src/py/queue.rs) -------------------------------------------------------------

class QueueClosed(Exception):
    """Raised by WorkQueue.put on a closed queue and by WorkQueue.get on a closed, drained queue."""

@final
class WorkQueue:
    """A bounded multi-producer multi-consumer FIFO of Python objects that can be closed.

    `put` blocks while the queue is full, `get` while it is empty (both release the
    interpreter while blocked; TimeoutError if `timeout` seconds pass). After `close()`, `put`
    raises QueueClosed, `get` returns the remaining items and then raises QueueClosed, and
    every blocked caller wakes up. Every item put is returned by exactly one `get`.
    """

    def __new__(cls, capacity: int) -> WorkQueue: ...
    def put(self, item: object, timeout: float | None = None) -> None:
        """Appends `item`, blocking while the queue is full, at most `timeout` seconds (None: no
        limit). Raises QueueClosed if the queue is closed, TimeoutError on timeout."""
    def get(self, timeout: float | None = None) -> Any:
        """Removes and returns the oldest item, blocking while the queue is empty, at most
        `timeout` seconds (None: no limit). Raises QueueClosed once the queue is closed and
        drained, TimeoutError on timeout."""
    def close(self) -> None:
        """Closes the queue: later puts fail, gets drain what is left, blocked callers wake."""
    @property
    def closed(self) -> bool:
        """Whether the queue has been closed."""
    @property
    def capacity(self) -> int:
        """The maximum number of queued items."""
    def __len__(self) -> int:
        """The number of items queued right now."""

# --- Once-initialisation (src/py/once.rs) -----------------------------------------------------

@final
class OnceResource:
    """A value created on first use by calling `init()` exactly once, however many threads race.

    `get()` returns the value to everyone (the same object). If `init` raises, the exception
    propagates to that caller, nothing is stored, and the next `get()` calls `init` again.
    Callers that arrive while `init` runs wait (releasing the interpreter) for its result.
    """

    def __new__(cls, init: Callable[[], object]) -> OnceResource: ...
    def get(self) -> Any:
        """Returns the value, calling `init()` first if no call has succeeded yet. Concurrent
        callers wait for the running `init` instead of calling it again."""
    @property
    def init_count(self) -> int:
        """How many times `init` has been called (1 after any race, plus one per failed call)."""
    @property
    def is_initialized(self) -> bool:
        """Whether a call to `init` has succeeded."""

# --- Bank (src/py/bank.rs) ------------------------------------------------------------------

class OverdraftError(ValueError):
    """Raised by `Bank.transfer` when the source account holds less than the amount."""

@final
class Bank:
    """Accounts with one lock each; transfers between them conserve the total.

    `Bank({"alice": 100, "bob": 0})`. Safe to share between threads: a transfer locks its
    two accounts in one global order (so opposite transfers cannot deadlock) and checks and
    debits the source under the same acquisition (so no balance goes negative).
    """

    def __new__(cls, accounts: Mapping[str, int]) -> Bank:
        """Opens the accounts of `accounts` (`dict[str, int]`, names to opening balances)."""
    def transfer(self, src: str, dst: str, amount: int) -> None:
        """Moves `amount` from `src` to `dst`: both balances change or neither.

        Raises KeyError for an unknown account, ftlab.OverdraftError if `src` holds less
        than `amount`, ValueError if `amount < 0` or `src == dst`.
        """
    def balance(self, name: str) -> int:
        """The balance of account `name` (KeyError if there is none)."""
    def snapshot(self) -> dict[str, int]:
        """`{account: balance}` for every account, read atomically (all account locks held
        at once), so it always sums to the bank's total."""
    def total(self) -> int:
        """The sum of all balances, read atomically. Constant: transfers move money, never
        create or destroy it."""
    def accounts(self) -> list[str]:
        """The account names, in the order they were opened."""

# --- Registry (src/py/registry.rs) ----------------------------------------------------------

@final
class Registry:
    """A thread-safe `str` -> object map behind one reader-writer lock.

    Readers run in parallel; `update_many` is atomic with respect to `get_many` and
    `snapshot` (no reader ever sees half of a multi-key update).
    """

    def __new__(cls) -> Registry:
        """An empty registry."""
    def get(self, key: str, default: object = None) -> object:
        """The value for `key`, or `default` (None) if it is not set."""
    def set(self, key: str, value: object) -> None:
        """Sets `key` to `value`."""
    def update_many(self, mapping: Mapping[str, object]) -> None:
        """Sets every `key: value` of `mapping` at once: a concurrent `get_many` or
        `snapshot` sees all of them or none."""
    def get_many(self, keys: Iterable[str]) -> list[object]:
        """The values for `keys` (None where unset), all read under one read lock."""
    def snapshot(self) -> dict[str, object]:
        """A `dict` copy of every entry (sorted by key), read under one read lock."""
    def __len__(self) -> int:
        """The number of keys."""

# --- EventBus (src/py/event_bus.rs) ---------------------------------------------------------

@final
class EventBus:
    """Named events with listener callbacks, safe to use from many threads.

    `subscribe(event, callback)` adds a listener; `emit(event, *args, **kwargs)` calls the
    listeners subscribed when it starts, in order, with no lock held (a listener may subscribe,
    unsubscribe or emit on the same bus); `unsubscribe(event, callback)` removes the first
    listener equal to `callback`. State is guarded by the object's critical section.
    """

    def __new__(cls) -> EventBus:
        """A bus with no listeners."""
    def subscribe(self, event: str, callback: Callable[..., object]) -> None:
        """Adds `callback` as a listener of `event` (after the existing ones). The same callback
        may be subscribed more than once; it is then called once per subscription."""
    def unsubscribe(self, event: str, callback: Callable[..., object]) -> bool:
        """Removes the first listener of `event` equal to `callback` (`==`, so a freshly bound
        method matches); returns whether one was removed."""
    def emit(self, event: str, *args: object, **kwargs: object) -> int:
        """Calls every listener of `event` with `*args, **kwargs`, in subscription order, and
        returns how many were called. Listeners run with no lock held."""
    def listeners(self, event: str) -> list[Callable[..., object]]:
        """The listeners of `event` (a new list, in subscription order)."""
    def events(self) -> list[str]:
        """The events that have at least one listener, sorted."""
    def __len__(self) -> int:
        """The number of subscriptions over all events."""

# --- SnapshotMap (src/py/snapshot.rs) -------------------------------------------------------

@final
class SnapshotMap:
    """A read-mostly `str` -> object map whose readers take no lock (RCU style).

    Reads (`get`, `get_many`, `current`, `len`, `in`) use the current snapshot with no lock
    and no shared write; writes (`set`, `update`, `remove`) build a new frozen snapshot and
    swap it in (writers are serialised; `update` is atomic for readers). `version` counts
    exactly the writes that changed the map. `current()` returns the snapshot as a
    `FrozenMap` that never changes.
    """

    def __new__(cls, mapping: Mapping[str, object] | FrozenMap | None = None) -> SnapshotMap:
        """A map holding the entries of `mapping` (a dict, FrozenMap or any object with
        `.items()`; keys must be str), or an empty map."""
    def get(self, key: object, default: object = None) -> object:
        """The value for `key` in the current snapshot, or `default` (None). Takes no lock."""
    def get_many(self, keys: Iterable[str]) -> list[object]:
        """The values for `keys` (None where absent), all from ONE snapshot."""
    def current(self) -> FrozenMap:
        """The current snapshot as a `FrozenMap` (shares its data, no copy); it never
        changes, whatever writers do later."""
    @property
    def version(self) -> int:
        """How many writes changed the map to produce the current snapshot (a write that
        changes nothing publishes nothing and leaves it as it is)."""
    def set(self, key: str, value: object) -> None:
        """Sets `key` to `value` in a new snapshot, unless `key` already holds this very
        object (`is`): then nothing is published and `version` stays."""
    def update(self, mapping: Mapping[str, object] | FrozenMap) -> None:
        """Sets every `key: value` of `mapping` in ONE new snapshot: readers see all of
        them or none. If every key already holds its very object (`is`; an empty
        mapping included), nothing is published and `version` stays."""
    def remove(self, key: object) -> bool:
        """Removes `key` in a new snapshot; returns whether it was present. An absent key
        (even one another thread removed a moment ago) publishes nothing."""
    def __len__(self) -> int:
        """The number of keys in the current snapshot."""
    def __contains__(self, key: object, /) -> bool:
        """Whether `key` is in the current snapshot."""

# --- PerThreadCounter (src/py/per_thread.rs) ------------------------------------------------

@final
class PerThreadCounter:
    """A counter with one slot per thread, merged on demand.

    `add` writes only the calling thread's own slot (no atomic read-modify-write, no cache
    line shared with another writer); `value` sums every slot. Slots of threads that have
    exited are folded into the total.
    """

    def __new__(cls) -> PerThreadCounter:
        """A counter at 0."""
    def add(self, delta: int = 1) -> None:
        """Adds `delta` (default 1) to the calling thread's own slot (wrapping on 64-bit
        overflow). Returns None: the total is a merge, see `value`."""
    @property
    def value(self) -> int:
        """The merged total of every thread's slot. Exact once the adding threads are
        done; a read racing with adds is not a snapshot."""
    @property
    def slots(self) -> int:
        """The number of live slots: threads that have added and have not exited (slots
        of exited threads are folded into the total by `value`)."""
