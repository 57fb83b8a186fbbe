"""Deliberately broken pure-Python twins of the stress scenarios' targets.

Each twin has the API of the class a built-in scenario targets and breaks ONE promise, so that
`test_stress_scenarios.py` can show every invariant check of every scenario failing (a check that
cannot fail is a defect). The Rust seeded twins (`ftlab._seeded`, hunted by `ftlab-harness
hunt`) cover the ftlab patterns' races; these cover every remaining check, and the third-party
example (rpds-py) through `MutableRpds`.

Most twins break deterministically (every Nth call) rather than by racing, so the proof does not
depend on the interpreter's scheduling: they model the EFFECT a race would have.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time


class _Every:
    """Thread-safe call counter: `hit()` is True on every `n`th call."""

    def __init__(self, n: int) -> None:
        self._count = itertools.count(1)
        self._lock = threading.Lock()
        self.n = n

    def hit(self) -> bool:
        with self._lock:
            return next(self._count) % self.n == 0


# ---- counters (scenario: counter.*) ----------------------------------------------------------


class _Counter:
    def __init__(self, start: int = 0) -> None:
        self._value = start
        self._lock = threading.Lock()
        self._every = _Every(100)

    def _add(self, delta: int) -> int:
        with self._lock:
            self._value += delta
            return self._value

    def add(self, delta: int = 1) -> int:
        return self._add(delta)

    @property
    def value(self) -> int:
        with self._lock:
            return self._value


class LosesIncrements(_Counter):
    """Every 100th add is lost (but reported as if it landed): `counter_total`."""

    def add(self, delta: int = 1) -> int:
        if self._every.hit():
            return self.value + delta
        return self._add(delta)


class AddReturnsOldValue(_Counter):
    """add returns the value BEFORE the add: `own_increments_visible`."""

    def add(self, delta: int = 1) -> int:
        return self._add(delta) - delta


class ValueJitters(_Counter):
    """Every other `.value` read (per thread) is 1000 too low: `value_monotonic`."""

    def __init__(self, start: int = 0) -> None:
        super().__init__(start)
        self._local = threading.local()

    @property
    def value(self) -> int:
        flip = not getattr(self._local, "flip", False)
        self._local.flip = flip
        return super().value - (1000 if flip else 0)


# ---- bank (scenario: bank) --------------------------------------------------------------------


class _Bank:
    def __init__(self, accounts: dict) -> None:
        import ftlab

        self._overdraft = ftlab.OverdraftError
        self._balances = dict(accounts)
        self._lock = threading.Lock()
        self._every = _Every(50)

    def transfer(self, src: str, dst: str, amount: int) -> None:
        with self._lock:
            if self._balances[src] < amount:
                raise self._overdraft(f"{src} has {self._balances[src]}, needs {amount}")
            self._balances[src] -= amount
            self._balances[dst] += amount

    def balance(self, name: str) -> int:
        with self._lock:
            return self._balances[name]

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._balances)

    def total(self) -> int:
        with self._lock:
            return sum(self._balances.values())

    def accounts(self) -> list:
        return list(self._balances)


class LeakyBank(_Bank):
    """Every 50th transfer credits one unit less than it debits: `snapshot_total`, `total_conserved`,
    `balances_accounted`."""

    def transfer(self, src: str, dst: str, amount: int) -> None:
        super().transfer(src, dst, amount)
        if self._every.hit():
            with self._lock:
                self._balances[dst] -= 1


class OverdraftBank(_Bank):
    """Never refuses a transfer: balances go negative: `no_overdraft`."""

    def transfer(self, src: str, dst: str, amount: int) -> None:
        with self._lock:
            self._balances[src] -= amount
            self._balances[dst] += amount


class StaleBalanceBank(_Bank):
    """`balance()` answers from the opening balances: `balance_matches_snapshot`."""

    def __init__(self, accounts: dict) -> None:
        super().__init__(accounts)
        self._opening = dict(accounts)

    def balance(self, name: str) -> int:
        return self._opening[name]


class HidesAnAccountBank(_Bank):
    """`accounts()` leaves one account out: `accounts_listed`."""

    def accounts(self) -> list:
        return list(self._balances)[1:]


# ---- registry (scenario: registry) --------------------------------------------------------------


class _Registry:
    def __init__(self) -> None:
        self._data: dict = {}
        self._lock = threading.Lock()
        self._every = _Every(2)

    def get(self, key, default=None):
        with self._lock:
            return self._data.get(key, default)

    def set(self, key, value) -> None:
        with self._lock:
            self._data[key] = value

    def update_many(self, mapping) -> None:
        with self._lock:
            self._data.update(mapping)

    def get_many(self, keys) -> list:
        with self._lock:
            return [self._data.get(k) for k in keys]

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._data)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class TornGetManyRegistry(_Registry):
    """`get_many` serves its first key from the previous update: `multi_key_update_atomic`."""

    _prev: dict = {}

    def update_many(self, mapping) -> None:
        with self._lock:
            self._prev = {k: self._data.get(k) for k in mapping}
            self._data.update(mapping)

    def get_many(self, keys) -> list:
        values = super().get_many(keys)
        if keys and keys[0] in self._prev and self._prev[keys[0]] is not None:
            values[0] = self._prev[keys[0]]
        return values


class TornSnapshotRegistry(TornGetManyRegistry):
    """`snapshot()` is torn the same way (and get_many is fine): `snapshot_consistent`."""

    def get_many(self, keys) -> list:
        return _Registry.get_many(self, keys)

    def snapshot(self) -> dict:
        snap = super().snapshot()
        for k, v in list(self._prev.items())[:1]:
            if v is not None:
                snap[k] = v
        return snap


class StaleReadRegistry(_Registry):
    """Every other `get_many` answers (consistently) from an older generation: `no_stale_read`."""

    def __init__(self) -> None:
        super().__init__()
        self._history: collections.deque = collections.deque(maxlen=20)

    def update_many(self, mapping) -> None:
        with self._lock:
            self._data.update(mapping)
            self._history.append(dict(mapping))

    def get_many(self, keys) -> list:
        if self._every.hit() and len(self._history) > 10:
            old = self._history[0]
            if all(k in old for k in keys):
                return [old[k] for k in keys]
        return super().get_many(keys)


class ForgetfulRegistry(_Registry):
    """Every other single-key `set` is dropped: `read_own_write`."""

    def set(self, key, value) -> None:
        if not self._every.hit():
            super().set(key, value)


class LaggingRegistry(_Registry):
    """`update_many` is applied 10 calls late (an older write lands after newer ones):
    `final_is_a_last_write`."""

    def __init__(self) -> None:
        super().__init__()
        self._pending: collections.deque = collections.deque()

    def update_many(self, mapping) -> None:
        with self._lock:
            if not self._data:
                self._data.update(mapping)
                return
            self._pending.append(dict(mapping))
            if len(self._pending) > 10:
                self._data.update(self._pending.popleft())


class MiscountingRegistry(_Registry):
    """`len()` counts one key too many: `len_matches_snapshot`."""

    def __len__(self) -> int:
        return super().__len__() + 1


class IgnoresDefaultRegistry(_Registry):
    """`get(key, default)` returns None for a missing key: `get_default`."""

    def get(self, key, default=None):
        return super().get(key)


# ---- latch (scenario: latch) ----------------------------------------------------------------------


class _Latch:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()

    def set(self) -> bool:
        with self._lock:
            if self._event.is_set():
                return False
            self._event.set()
            return True

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout=None) -> bool:
        return self._event.wait(timeout)


class LateWakeLatch(_Latch):
    """A waiter that had to wait returns 0.3 s after the set (a lost wake-up caught by a timed
    wait): `wakeup_latency`."""

    def wait(self, timeout=None) -> bool:
        if self._event.is_set():
            return True
        ok = self._event.wait(timeout)
        if ok:
            time.sleep(0.3)
        return ok


class EveryoneWinsLatch(_Latch):
    """`set()` returns True every time: `set_once`."""

    def set(self) -> bool:
        self._event.set()
        return True


class SlowFlagLatch(_Latch):
    """`is_set` is False the first time it is read after the set: `set_visible`."""

    def __init__(self) -> None:
        super().__init__()
        self._reads = 0

    @property
    def is_set(self) -> bool:
        self._reads += 1
        return self._reads > 1 and self._event.is_set()


class ImpatientLatch(_Latch):
    """`wait()` returns True without waiting: `wait_implies_set`."""

    def wait(self, timeout=None) -> bool:
        return True


# ---- publish slot (scenario: publish_slot) --------------------------------------------------------


class _Slot:
    def __init__(self) -> None:
        self._value = None
        self._lock = threading.Lock()

    def publish(self, values) -> None:
        with self._lock:
            if self._value is not None:
                raise ValueError("already published")
            self._value = list(values)

    def try_get(self):
        v = self._value
        return None if v is None else list(v)


class TornSlot(_Slot):
    """`try_get()` returns the payload without its last item: `complete_publication`."""

    def try_get(self):
        v = super().try_get()
        return None if v is None else v[:-1]


class ChangingSlot(_Slot):
    """Each `try_get()` returns the payload with its last item bumped once more:
    `published_value_stable`."""

    def __init__(self) -> None:
        super().__init__()
        self._reads = itertools.count()

    def try_get(self):
        v = super().try_get()
        if v is None:
            return None
        n = next(self._reads)
        if n:
            v[-1] += n
        return v


class OverwritingSlot(_Slot):
    """`publish` never refuses: both racing publishers win: `single_assignment`."""

    def publish(self, values) -> None:
        with self._lock:
            self._value = list(values)


class RefusingSlot(_Slot):
    """`publish` raises ValueError and publishes nothing: `second_publish_rejected`."""

    def publish(self, values) -> None:
        raise ValueError("already published (not really)")


# ---- work queue (scenario: work_queue) -------------------------------------------------------------


class _Queue:
    def __init__(self, capacity: int) -> None:
        import ftlab

        self._closed_error = ftlab.QueueClosed
        self._items: collections.deque = collections.deque()
        self._capacity = capacity
        self._cond = threading.Condition()
        self._closed = False
        self._every = _Every(50)

    def _deadline(self, timeout):
        return None if timeout is None else time.monotonic() + timeout

    def _wait(self, deadline) -> None:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError("timed out")
        self._cond.wait(remaining)

    def put(self, item, timeout=None) -> None:
        deadline = self._deadline(timeout)
        with self._cond:
            while True:
                if self._closed:
                    raise self._closed_error("closed")
                if len(self._items) < self._capacity:
                    self._items.append(item)
                    self._cond.notify_all()
                    return
                self._wait(deadline)

    def get(self, timeout=None):
        deadline = self._deadline(timeout)
        with self._cond:
            while True:
                if self._items:
                    item = self._items.popleft()
                    self._cond.notify_all()
                    return item
                if self._closed:
                    raise self._closed_error("closed")
                self._wait(deadline)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)


class LateWakeQueue(_Queue):
    """A consumer that had to wait returns 0.3 s after the put: `wakeup_latency`."""

    def get(self, timeout=None):
        with self._cond:
            waited = not self._items
        item = super().get(timeout)
        if waited:
            time.sleep(0.3)
        return item


class DroppingQueue(_Queue):
    """Every 50th put is silently dropped: `delivered_at_least_once`."""

    def put(self, item, timeout=None) -> None:
        if not self._every.hit():
            super().put(item, timeout)


class DuplicatingQueue(_Queue):
    """Every 50th get leaves the item in the queue: `delivered_at_most_once`."""

    def get(self, timeout=None):
        item = super().get(timeout)
        if self._every.hit():
            with self._cond:
                self._items.appendleft(item)
        return item


class PhantomQueue(_Queue):
    """Every 50th put enqueues and then raises TimeoutError anyway: `no_phantom_items`."""

    def put(self, item, timeout=None) -> None:
        super().put(item, timeout)
        if self._every.hit():
            raise TimeoutError("timed out (but enqueued)")


class OverfullQueue(_Queue):
    """`len()` reports one more item than the capacity: `bounded`."""

    def __len__(self) -> int:
        return self._capacity + 1


class NoCloseQueue(_Queue):
    """`get` on a closed, drained queue times out instead of raising QueueClosed:
    `close_drains_then_raises`."""

    def get(self, timeout=None):
        if self._closed and not self._items:
            raise TimeoutError("timed out")
        return super().get(timeout)


class AcceptsAfterCloseQueue(_Queue):
    """`put` after `close()` succeeds: `put_after_close_rejected`."""

    def put(self, item, timeout=None) -> None:
        if self._closed:
            self._items.append(item)
            return
        super().put(item, timeout)


# ---- once resource (scenario: once_resource) ----------------------------------------------------


class _Once:
    def __init__(self, init) -> None:
        self._init = init
        self._lock = threading.Lock()
        self._done = False
        self._value = None
        self._count = 0

    def get(self):
        with self._lock:
            if not self._done:
                self._value = self._init()
                self._count += 1
                self._done = True
            return self._value

    @property
    def init_count(self) -> int:
        return self._count

    @property
    def is_initialized(self) -> bool:
        return self._done


class LateWakeResource(_Once):
    """A caller that found init running returns 0.3 s after it completed: `wakeup_latency`."""

    def get(self):
        waited = self._lock.locked() and not self._done
        value = super().get()
        if waited:
            time.sleep(0.3)
        return value


class WrongValueResource(_Once):
    """Returns something other than what init returned: `value`."""

    def get(self):
        return ("not", super().get())


class TwiceInitResource(_Once):
    """Runs `init` twice on first use (keeps the second result): `init_ran_once`, `init_count_one`."""

    def get(self):
        with self._lock:
            if not self._done:
                self._init()
                self._count += 1
        return super().get()


class PerThreadResource(_Once):
    """Caches per thread: each thread runs `init` and gets its own value:
    `same_value_for_everyone`, `init_ran_once`."""

    def __init__(self, init) -> None:
        super().__init__(init)
        self._local = threading.local()

    def get(self):
        if not hasattr(self._local, "value"):
            self._local.value = self._init()
            with self._lock:
                self._count += 1
                self._done = True
        return self._local.value


class NeverInitializedResource(_Once):
    """`is_initialized` stays False: `initialized_after_get`."""

    @property
    def is_initialized(self) -> bool:
        return False


class MiscountingResource(_Once):
    """`init_count` reports 0: `init_count_one`."""

    @property
    def init_count(self) -> int:
        return 0


# ---- persistent maps (scenarios: frozen_map, rpds.*) ----------------------------------------------


class MutableFrozenMap(dict):
    """A dict posing as a persistent map: set/remove/merge change it IN PLACE and return it:
    `old_version_unchanged`, `shared_version_stable`."""

    def set(self, key, value):
        self[key] = value
        return self

    def remove(self, key):
        del self[key]
        return self

    def merge(self, other):
        dict.update(self, other)
        return self

    def handle(self):
        return self


class WrongSetFrozenMap(dict):
    """Persistent (copies), but `set` stores the wrong value for every 10th key: `derived_version_correct`."""

    _every = _Every(10)

    def set(self, key, value):
        new = WrongSetFrozenMap(self)
        new[key] = ("wrong", value) if self._every.hit() else value
        return new

    def remove(self, key):
        new = WrongSetFrozenMap(self)
        del new[key]
        return new

    def merge(self, other):
        new = WrongSetFrozenMap(self)
        dict.update(new, other)
        return new

    def handle(self):
        return WrongSetFrozenMap(self)


class EmptyHandleFrozenMap(WrongSetFrozenMap):
    """Correct, except `handle()` returns an empty map: `handle_shares_data`."""

    _every = _Every(10**12)

    def handle(self):
        return EmptyHandleFrozenMap()


class _MutableHashTrieMap(dict):
    def insert(self, key, value):
        self[key] = value
        return self

    def remove(self, key):
        del self[key]
        return self

    def update(self, *others):
        for other in others:
            dict.update(self, other)
        return self


class _MutableList(list):
    def push_front(self, value):
        self.insert(0, value)
        return self

    @property
    def first(self):
        return self[0]

    @property
    def rest(self):
        return _MutableList(self[1:])


class MutableRpds:
    """rpds-py's API over mutable containers (a mutable dict posing as HashTrieMap, a list posing as
    List): `old_version_unchanged` and friends in `rpds.hash_trie_map` and `rpds.list`."""

    HashTrieMap = _MutableHashTrieMap
    List = _MutableList


class _WrongHashTrieMap(dict):
    """Persistent (copies), but every 10th `insert` stores a wrong value."""

    _every = _Every(10)

    def insert(self, key, value):
        new = _WrongHashTrieMap(self)
        new[key] = ("wrong", value) if self._every.hit() else value
        return new

    def remove(self, key):
        new = _WrongHashTrieMap(self)
        del new[key]
        return new

    def update(self, *others):
        new = _WrongHashTrieMap(self)
        for other in others:
            dict.update(new, other)
        return new


class _AppendingList(tuple):
    """Persistent (a tuple), but `push_front` appends at the END."""

    def push_front(self, value):
        return _AppendingList((*self, value))

    @property
    def first(self):
        return self[0]

    @property
    def rest(self):
        return _AppendingList(self[1:])


class WrongDerivedRpds:
    """rpds-py's API, immutable but deriving wrong versions: `derived_version_correct` in
    `rpds.hash_trie_map` and `rpds.list`."""

    HashTrieMap = _WrongHashTrieMap
    List = _AppendingList


# ---- point (scenario: point) --------------------------------------------------------------------


class _Point:
    __slots__ = ("_x", "_y")

    def __init__(self, x: float, y: float) -> None:
        object.__setattr__(self, "_x", float(x))
        object.__setattr__(self, "_y", float(y))

    x = property(lambda self: self._x)
    y = property(lambda self: self._y)

    def __eq__(self, other):
        return isinstance(other, _Point) and (self._x, self._y) == (other._x, other._y)

    def __hash__(self):
        return hash((self._x, self._y))

    def __reduce__(self):
        return (type(self), (self._x, self._y))


class MutablePoint:
    """A plain class: `x` and `y` can be assigned: `attributes_read_only`."""

    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = float(x), float(y)

    def __eq__(self, other):
        return isinstance(other, MutablePoint) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self):
        return hash((self.x, self.y))


class DriftingPoint(_Point):
    """`x` reads 0.5 too high every 100th time: `value_stable`."""

    _every = _Every(100)
    x = property(lambda self: self._x + (0.5 if DriftingPoint._every.hit() else 0.0))


class IdentityPoint(_Point):
    """Equality and hash by identity: `equality`."""

    __eq__ = object.__eq__
    __hash__ = object.__hash__


class UnstableHashPoint(_Point):
    """Hash changes on every call: `hash_stable`."""

    _counter = itertools.count()

    def __hash__(self):
        return next(UnstableHashPoint._counter)


class BadPicklePoint(_Point):
    """Unpickles with y shifted by one: `pickle_roundtrip`."""

    def __reduce__(self):
        return (type(self), (self._x, self._y + 1.0))


# ---- &mut self anti-pattern (scenario: anti_pattern) -------------------------------------------------


class WrongErrorCounter(_Counter):
    """Every 50th add raises ValueError instead of the borrow RuntimeError: `only_borrow_errors`."""

    _every2 = _Every(50)

    def add(self, delta: int = 1) -> int:
        if self._every2.hit():
            raise ValueError("not a borrow error")
        return self._add(delta)


class CorruptingCounter(_Counter):
    """Every 100th add counts twice, no error raised: `never_corrupts`."""

    def add(self, delta: int = 1) -> int:
        return self._add(2 * delta if self._every.hit() else delta)


# ---- parallel work (scenarios: parallel.*) ------------------------------------------------------------


class BrokenParallel:
    """ftlab's parallel functions, wrong in the parallel path and in panics:
    `word_count_correct`, `sum_of_squares_correct`, `panic_becomes_exception`."""

    @staticmethod
    def word_count(text, *, parallel=False, detach=True):
        counts = collections.Counter(text.split())
        if parallel:
            counts[next(iter(counts))] += 1
        return dict(counts)

    @staticmethod
    def sum_of_squares(data, *, parallel=False, detach=True):
        total = sum(x * x for x in data)
        return total * (1 + 1e-6) if parallel else total

    @staticmethod
    def trigger_panic(where):
        raise RuntimeError(f"a plain RuntimeError, not a PanicException ({where})")


class DeadlockingCounter(_Counter):
    """Takes two locks in an order that depends on the thread: two threads deadlock (a hang
    twin for the hunt's timeout detector)."""

    def __init__(self, start: int = 0) -> None:
        super().__init__(start)
        self._a, self._b = threading.Lock(), threading.Lock()
        self._order = threading.local()
        self._next = itertools.count()

    def add(self, delta: int = 1) -> int:
        if not hasattr(self._order, "flip"):
            self._order.flip = next(self._next) % 2 == 1
        first, second = (self._b, self._a) if self._order.flip else (self._a, self._b)
        with first:
            time.sleep(0)
            with second:
                return self._add(delta)


# ---- event bus (scenario: event_bus) ------------------------------------------------------------


class _EventBus:
    """Listeners per event behind a lock; listeners run with no lock held (like ftlab.EventBus)."""

    def __init__(self) -> None:
        self._subs: dict = {}
        self._lock = threading.Lock()
        self._every = _Every(7)

    def subscribe(self, event, callback) -> None:
        with self._lock:
            self._subs.setdefault(event, []).append(callback)

    def unsubscribe(self, event, callback) -> bool:
        with self._lock:
            listeners = self._subs.get(event, [])
            for i, listener in enumerate(listeners):
                if listener == callback:
                    del listeners[i]
                    if not listeners:
                        del self._subs[event]
                    return True
            return False

    def listeners(self, event) -> list:
        with self._lock:
            return list(self._subs.get(event, []))

    def emit(self, event, *args, **kwargs) -> int:
        listeners = self.listeners(event)
        for listener in listeners:
            listener(*args, **kwargs)
        return len(listeners)

    def events(self) -> list:
        with self._lock:
            return sorted(self._subs)

    def __len__(self) -> int:
        with self._lock:
            return sum(map(len, self._subs.values()))


class ForgetfulBus(_EventBus):
    """Every 7th subscription to a worker's own event is dropped: `own_listeners_exact`."""

    def subscribe(self, event, callback) -> None:
        if event.startswith("own/") and self._every.hit():
            return
        super().subscribe(event, callback)


class DoubleCallBus(_EventBus):
    """`emit` calls the first listener twice: `emit_calls_each_once`."""

    def emit(self, event, *args, **kwargs) -> int:
        listeners = self.listeners(event)
        for listener in listeners[:1] + listeners:
            listener(*args, **kwargs)
        return len(listeners)


class MiscountingBus(_EventBus):
    """`len()` counts one subscription too many: `subscriptions_total`."""

    def __len__(self) -> int:
        return super().__len__() + 1


# ---- snapshot map (scenario: snapshot) ----------------------------------------------------------


class _SnapshotMap:
    """A dict and a version behind a lock; `current()` is a dict copy (like SnapshotMap)."""

    def __init__(self, mapping=None) -> None:
        self._data = dict(mapping or {})
        self._version = 0
        self._lock = threading.Lock()
        self._every = _Every(2)
        self._prev: dict = {}
        self._history: collections.deque = collections.deque(maxlen=20)

    def get(self, key, default=None):
        with self._lock:
            return self._data.get(key, default)

    def get_many(self, keys) -> list:
        with self._lock:
            return [self._data.get(k) for k in keys]

    def current(self) -> dict:
        with self._lock:
            return dict(self._data)

    def set(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._version += 1

    def update(self, mapping) -> None:
        with self._lock:
            self._prev = {k: self._data.get(k) for k in mapping}
            self._data.update(mapping)
            self._history.append(dict(mapping))
            self._version += 1

    def remove(self, key) -> bool:
        with self._lock:
            if key not in self._data:
                return False
            del self._data[key]
            self._version += 1
            return True

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class TornGetManySnapshot(_SnapshotMap):
    """`get_many` serves its first key from the previous update: `multi_key_update_atomic`."""

    def get_many(self, keys) -> list:
        values = super().get_many(keys)
        if keys and self._prev.get(keys[0]) is not None:
            values[0] = self._prev[keys[0]]
        return values


class TornCurrentSnapshot(_SnapshotMap):
    """`current()` is torn the same way: `snapshot_consistent`."""

    def current(self) -> dict:
        snap = super().current()
        for k, v in list(self._prev.items())[:1]:
            if v is not None:
                snap[k] = v
        return snap


class StaleSnapshot(_SnapshotMap):
    """Every other `get_many` answers (consistently) from an older generation: `no_stale_read`."""

    def get_many(self, keys) -> list:
        if self._every.hit() and len(self._history) > 10:
            old = self._history[0]
            if all(k in old for k in keys):
                return [old[k] for k in keys]
        return super().get_many(keys)


class ForgetfulSnapshot(_SnapshotMap):
    """Every other single-key `set` is dropped (but counted): `read_own_write`."""

    def set(self, key, value) -> None:
        if self._every.hit():
            with self._lock:
                self._version += 1
            return
        super().set(key, value)


class PhantomRemoveSnapshot(_SnapshotMap):
    """Every other `remove` of an absent key still publishes a version (issue 24's
    `lost_race_publishes`, without the race): `version_counts_changes`."""

    def remove(self, key) -> bool:
        removed = super().remove(key)
        if not removed and self._every.hit():
            with self._lock:
                self._version += 1
        return removed


class UncountedSnapshot(_SnapshotMap):
    """Every other `update` is applied without a new version (a lost write's count):
    `no_lost_write`."""

    def update(self, mapping) -> None:
        super().update(mapping)
        if self._every.hit():
            with self._lock:
                self._version -= 1
