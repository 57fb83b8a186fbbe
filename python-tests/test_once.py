"""OnceResource (`src/py/once.rs`, `src/core/once.rs`).

Semantics and error messages first (init is lazy, runs once, a failing init is retried, a
recursive get is an error, not a deadlock), then concurrent checks (>= 4 threads released
together by a `threading.Barrier`): under a race with a slow init, init runs exactly once and
every caller gets the same object. Those are the detectors for the seeded bug
`double_once_init` (see `twins.py` to run them against the twin).
"""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest
from threads import run_together
from twins import implementation

import ftlab

THREADS = 8


class CountingInit:
    """An init callable that counts its calls (under its own lock) and can be slow or fail."""

    def __init__(self, delay: float = 0.0, failures: int = 0, spin: int = 0):
        self.delay = delay
        self.spin = spin
        self.failures = failures
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> object:
        with self.lock:
            self.calls += 1
            call = self.calls
        for _ in range(self.spin):  # a few microseconds of work, without sleeping
            pass
        if self.delay:
            time.sleep(self.delay)
        if call <= self.failures:
            raise ConnectionError(f"init attempt {call} failed")
        return ("value", call, object())


# ---- semantics ----------------------------------------------------------------------------------


def test_init_is_lazy_and_runs_once():
    init = CountingInit()
    res = ftlab.OnceResource(init)
    assert init.calls == 0
    assert not res.is_initialized
    assert res.init_count == 0
    assert repr(res) == "OnceResource(is_initialized=False, init_count=0)"
    first = res.get()
    assert res.get() is first
    assert init.calls == 1
    assert res.init_count == 1
    assert res.is_initialized
    assert repr(res) == "OnceResource(is_initialized=True, init_count=1)"


def test_init_may_return_none():
    res = ftlab.OnceResource(lambda: None)
    assert res.get() is None
    assert res.is_initialized


def test_failing_init_propagates_and_next_call_retries():
    init = CountingInit(failures=1)
    res = ftlab.OnceResource(init)
    with pytest.raises(ConnectionError, match="init attempt 1 failed"):
        res.get()
    assert not res.is_initialized
    assert res.init_count == 1
    value = res.get()
    assert value[1] == 2
    assert res.get() is value
    assert res.init_count == 2
    assert init.calls == 2


def test_init_raising_base_exception_leaves_resource_usable():
    calls = []

    def init():
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return "ok"

    res = ftlab.OnceResource(init)
    with pytest.raises(KeyboardInterrupt):
        res.get()
    assert res.get() == "ok"
    assert res.init_count == 2


def test_recursive_get_from_init_is_an_error_not_a_deadlock():
    holder: list = []
    res = ftlab.OnceResource(lambda: holder[0].get())
    holder.append(res)
    with pytest.raises(RuntimeError, match=r"called from inside its own init"):
        res.get()
    assert not res.is_initialized
    assert res.init_count == 1


def test_reference_cycle_through_init_and_value_is_collected():
    class Marker:
        pass

    def make() -> weakref.ref:
        marker = Marker()
        res = None

        def init():
            return (res, marker)  # the value refers back to the resource, init does too

        res = ftlab.OnceResource(init)
        assert res.get()[0] is res
        return weakref.ref(marker)

    ref = make()
    gc.collect()
    assert ref() is None, "OnceResource cycle was not collected"


@pytest.mark.parametrize("bad", [3, None, "init"])
def test_init_must_be_callable(bad):
    with pytest.raises(TypeError, match="init must be callable, got"):
        ftlab.OnceResource(bad)


def test_init_is_required():
    with pytest.raises(TypeError):
        ftlab.OnceResource()  # type: ignore[call-arg]


# ---- concurrent ---------------------------------------------------------------------------------


@pytest.mark.detects("double_once_init")
def test_concurrent_slow_init_runs_exactly_once():
    """Detector for `double_once_init`: 8 racing callers, an init that takes 50 ms."""
    cls = implementation("double_once_init", "OnceResource")
    init = CountingInit(delay=0.05)
    res = cls(init)

    def caller(barrier):
        barrier.wait()
        return res.get()

    values = run_together([caller] * THREADS, return_exceptions=True)
    assert init.calls == 1, f"init ran {init.calls} times"
    assert res.init_count == 1
    assert all(v is values[0] for v in values), "callers got different objects"


class RendezvousInit(CountingInit):
    """A fast init (no sleep) that returns only once a second caller has reached the same
    resource (or after `patience` seconds), plus a few microseconds: every resource is then
    contended whatever the machine's load, instead of only when the scheduler happens to run
    two callers at the same moment (which a loaded machine rarely does)."""

    def __init__(self, patience: float = 0.005):
        super().__init__()
        self.arrivals: list[int] = []
        self.patience = patience

    def arrive(self) -> None:
        self.arrivals.append(1)  # list.append is atomic on every build

    def __call__(self) -> object:
        give_up = time.monotonic() + self.patience
        while len(self.arrivals) < 2 and time.monotonic() < give_up:
            pass
        linger = time.monotonic() + 0.0001  # let the second caller get into get()
        while time.monotonic() < linger:
            pass
        return super().__call__()


@pytest.mark.detects("double_once_init")
def test_concurrent_fast_init_many_resources():
    """Detector for `double_once_init` with a fast init (no sleep): 4 threads walk the same list
    of fresh resources; each init waits (at most 5 ms) until a second caller has arrived, so a
    check-then-init twin lets that caller run init too."""
    cls = implementation("double_once_init", "OnceResource")
    inits = [RendezvousInit() for _ in range(300)]
    resources = [cls(init) for init in inits]

    def caller(barrier):
        barrier.wait()
        got = []
        for init, res in zip(inits, resources):
            init.arrive()
            got.append(res.get())
        return got

    results = run_together([caller] * 4, return_exceptions=True)
    twice = [i for i, init in enumerate(inits) if init.calls != 1]
    assert not twice, f"init ran more than once for {len(twice)} of {len(inits)} resources"
    for i in range(len(resources)):
        assert all(r[i] is results[0][i] for r in results)


@pytest.mark.detects("double_once_init")
def test_concurrent_failed_init_is_retried_by_a_waiter():
    """The first init fails slowly while others wait; exactly one later call succeeds."""
    cls = implementation("double_once_init", "OnceResource")
    init = CountingInit(delay=0.03, failures=1)
    res = cls(init)

    def caller(barrier):
        barrier.wait()
        return res.get()

    results = run_together([caller] * THREADS, return_exceptions=True)
    errors = [r for r in results if isinstance(r, ConnectionError)]
    values = [r for r in results if not isinstance(r, Exception)]
    assert len(errors) <= 1
    assert values and all(v is values[0] for v in values)
    assert init.calls == 1 + len(errors) == res.init_count
