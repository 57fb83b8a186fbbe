"""EventBus (`src/py/event_bus.rs`): listeners guarded by the object's critical section.

Semantics (order, duplicates, `==` on unsubscribe, emit arguments and exceptions), listeners
that use the bus from inside `emit`, reference handling (cycles through the bus collected),
then the concurrency checks.

The detectors for `mutex_across_callback` (`@pytest.mark.detects`; the seeded
`MutexHeldEventBus` calls listeners while holding a Rust mutex) hang on the twin — a listener
that subscribes deadlocks its own thread, and a second thread waiting for the mutex deadlocks
the interpreter (it keeps the GIL on a GIL build, and stalls the collector's stop-the-world
pause on 3.13t). A hung interpreter cannot time itself out, so these run the workload in a
subprocess with a deadline: the test FAILS by name ("deadlock: ... did not finish") instead of
hanging the session.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref

import pytest
from threads import run_in_threads
from twins import implementation

import ftlab

EventBus = ftlab.EventBus
THREADS = 4


def test_subscribe_emit_in_order():
    bus = EventBus()
    calls = []
    assert bus.emit("e") == 0
    bus.subscribe("e", lambda *a, **k: calls.append(("first", a, k)))
    bus.subscribe("e", lambda *a, **k: calls.append(("second", a, k)))
    bus.subscribe("other", lambda: calls.append("other"))
    assert bus.emit("e", 1, 2, x=3) == 2
    assert calls == [("first", (1, 2), {"x": 3}), ("second", (1, 2), {"x": 3})]
    assert len(bus) == 3
    assert bus.events() == ["e", "other"]
    assert repr(bus) == "EventBus(subscriptions=3)"


def test_duplicates_and_unsubscribe_by_equality():
    class Listener:
        def __init__(self):
            self.calls = 0

        def on(self):
            self.calls += 1

    listener = Listener()
    bus = EventBus()
    bus.subscribe("e", listener.on)
    bus.subscribe("e", listener.on)  # a second subscription
    assert bus.emit("e") == 2 and listener.calls == 2
    assert bus.unsubscribe("e", listener.on)  # a fresh bound method: equal, not identical
    assert bus.listeners("e") == [listener.on]
    assert bus.unsubscribe("e", listener.on)
    assert not bus.unsubscribe("e", listener.on)
    assert not bus.unsubscribe("nothing", print)
    assert len(bus) == 0 and bus.events() == []


def test_listener_exception_propagates_and_stops_emit():
    bus = EventBus()
    calls = []

    def boom():
        raise ValueError("listener failed")

    bus.subscribe("e", boom)
    bus.subscribe("e", lambda: calls.append(1))
    with pytest.raises(ValueError, match="listener failed"):
        bus.emit("e")
    assert calls == []


def test_unsubscribe_equality_error_propagates():
    class BadEq:
        def __call__(self):
            pass

        def __eq__(self, other):
            raise RuntimeError("no comparing")

        __hash__ = object.__hash__

    bus = EventBus()
    bus.subscribe("e", BadEq())
    with pytest.raises(RuntimeError, match="no comparing"):
        bus.unsubscribe("e", print)
    assert len(bus) == 1


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1, print), TypeError, "event"),
        (("e", 42), TypeError, "^callback must be callable, got int$"),
    ],
)
def test_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        EventBus().subscribe(*args)


def test_listener_may_use_the_bus_during_emit():
    """Nothing is held while listeners run: a listener can subscribe, unsubscribe and emit."""
    bus = EventBus()
    seen = []

    def late():
        seen.append("late")

    def first():
        seen.append("first")
        bus.subscribe("e", late)  # takes effect from the next emit
        bus.unsubscribe("e", first)
        bus.emit("nested")

    bus.subscribe("e", first)
    bus.subscribe("nested", lambda: seen.append("nested"))
    assert bus.emit("e") == 1
    assert seen == ["first", "nested"]
    assert bus.emit("e") == 1
    assert seen == ["first", "nested", "late"]


def test_listener_del_may_use_the_bus():
    """A listener dropped by `unsubscribe` is released after the critical section, so its
    `__del__` may call back into the bus."""
    bus = EventBus()

    class Callback:
        def __call__(self):
            pass

        def __del__(self):
            bus.subscribe("from_del", print)

    bus.subscribe("e", Callback())
    assert bus.unsubscribe("e", bus.listeners("e")[0])
    gc.collect()
    assert bus.events() == ["from_del"]


@pytest.mark.thread_unsafe(reason="needs gc.collect() to run a full collection in this thread")
def test_cycle_through_the_bus_is_collected():
    class Owner:
        def __init__(self):
            self.bus = EventBus()
            self.bus.subscribe("e", self.on)

        def on(self):
            pass

    owner = Owner()
    ref = weakref.ref(owner)
    del owner
    gc.collect()
    assert ref() is None


def test_concurrent_subscribers_are_all_kept():
    """Threads subscribe and unsubscribe their own listeners while others emit: no
    subscription is lost or duplicated."""
    bus = EventBus()
    per_thread = 300

    def work(i):
        mine = [(lambda i=i, j=j: (i, j)) for j in range(per_thread)]
        for fn in mine:
            bus.subscribe(f"t{i % 2}", fn)
            bus.emit(f"t{(i + 1) % 2}")
        for fn in mine[::2]:
            assert bus.unsubscribe(f"t{i % 2}", fn), "a subscription went missing"
        return mine[1::2]

    kept = run_in_threads(THREADS, work)
    assert len(bus) == THREADS * per_thread // 2
    for event in ("t0", "t1"):
        expected = [fn for i, fns in enumerate(kept) if i % 2 == int(event[1]) for fn in fns]
        assert sorted(map(id, bus.listeners(event))) == sorted(map(id, expected))


def _run_bounded(cls, body: str, deadline: float) -> None:
    """Runs `body` (with `Bus` bound to `cls`) in a fresh interpreter; fails the test if it
    does not finish within `deadline` seconds (a deadlocked twin) or fails."""
    script = textwrap.dedent(
        f"""
        import importlib, threading, gc, sys
        Bus = getattr(importlib.import_module({cls.__module__!r}), {cls.__name__!r})
        """
    ) + textwrap.dedent(body)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=deadline
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"deadlock: {cls.__name__} did not finish in {deadline:.0f} s") from None
    assert done.returncode == 0, f"{cls.__name__} failed (exit {done.returncode}):\n{done.stderr[-2000:]}"


@pytest.mark.thread_unsafe(reason="runs the workload in a child interpreter")
@pytest.mark.detects("mutex_across_callback")
def test_listener_subscribing_during_emit_does_not_deadlock():
    """A listener that subscribes to the bus it is called from (a bus held under a Rust mutex
    while listeners run deadlocks right there)."""
    cls = implementation("mutex_across_callback", "EventBus")
    _run_bounded(
        cls,
        """
        bus = Bus()
        bus.subscribe("e", lambda: bus.subscribe("late", print))
        assert bus.emit("e") == 1
        assert bus.events() == ["e", "late"]
        """,
        deadline=10,
    )


@pytest.mark.thread_unsafe(reason="runs the workload in a child interpreter")
@pytest.mark.detects("mutex_across_callback")
def test_emit_racing_other_threads_does_not_deadlock():
    """One thread emits to listeners that run Python code (including a garbage collection,
    which is a stop-the-world pause on 3.13t) while other threads subscribe, unsubscribe and
    read; all must finish."""
    cls = implementation("mutex_across_callback", "EventBus")
    _run_bounded(
        cls,
        """
        bus = Bus()
        work = []
        bus.subscribe("e", lambda: work.append(sum(range(2000))))
        bus.subscribe("e", lambda: gc.collect(0))
        start = threading.Barrier(3)
        done = threading.Event()

        def emitter():
            start.wait()
            try:
                for _ in range(300):
                    bus.emit("e")
            finally:
                done.set()

        def mutator():
            # Runs for as long as the emitter does, so the two always overlap.
            start.wait()
            while not done.is_set():
                bus.subscribe("x", print)
                bus.unsubscribe("x", print)
                len(bus)

        threads = [threading.Thread(target=emitter)] + [threading.Thread(target=mutator) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(work) == 300, len(work)
        """,
        deadline=25,
    )
