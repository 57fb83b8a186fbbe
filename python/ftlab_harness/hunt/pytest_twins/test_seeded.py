"""The seeded bugs, tested the way pytest-run-parallel users test (see `ftlab_harness/hunt/pytest_compare.py`).

Two tests per bug:
  test_<bug>__unit    an ordinary unit test: each thread builds and checks its own object. This is
                      what a project gets from running its existing suite with --parallel-threads.
  test_<bug>__shared  a test written for the plugin: one fixture object shared by all threads,
                      each thread hammers it, then a barrier, then the invariant is asserted.
Both must pass on the correct classes; the question is which of them catch each broken twin.
"""

from __future__ import annotations

import threading

import pytest
from conftest import implementation

N = 2000


# ---- counters (lost_update, unsafe_shared_mut, non_unique_thread_slot): every add counts ---------


def _count_alone(counter) -> None:
    for _ in range(N):
        counter.add(1)
    assert counter.value == N


def _count_shared(counter, barrier, num_parallel_threads: int) -> None:
    for _ in range(N):
        counter.add(1)
    barrier.wait()
    assert counter.value == N * num_parallel_threads


# ---- lost_update: AtomicCounter ----------------------------------------------------------------


def test_lost_update__unit():
    _count_alone(implementation("lost_update", "AtomicCounter")(0))


@pytest.fixture
def atomic_counter():
    return implementation("lost_update", "AtomicCounter")(0)


def test_lost_update__shared(atomic_counter, barrier, num_parallel_threads):
    _count_shared(atomic_counter, barrier, num_parallel_threads)


# ---- unsafe_shared_mut: MutexGuardedCounter ------------------------------------------------------


def test_unsafe_shared_mut__unit():
    _count_alone(implementation("unsafe_shared_mut", "MutexGuardedCounter")(0))


@pytest.fixture
def mutex_counter():
    return implementation("unsafe_shared_mut", "MutexGuardedCounter")(0)


def test_unsafe_shared_mut__shared(mutex_counter, barrier, num_parallel_threads):
    _count_shared(mutex_counter, barrier, num_parallel_threads)


# ---- check_then_act: Bank -------------------------------------------------------------------------


def test_check_then_act__unit():
    import ftlab

    bank = implementation("check_then_act", "Bank")({"a": 100, "b": 0})
    bank.transfer("a", "b", 60)
    with pytest.raises(ftlab.OverdraftError):
        bank.transfer("a", "b", 60)
    assert bank.snapshot() == {"a": 40, "b": 60}


@pytest.fixture
def bank_for_overdraft():
    return implementation("check_then_act", "Bank")({"a": 1000, "b": 0})


def test_check_then_act__shared(bank_for_overdraft, barrier):
    import ftlab

    for _ in range(200):
        try:
            bank_for_overdraft.transfer("a", "b", 60)
        except ftlab.OverdraftError:
            pass
    barrier.wait()
    snap = bank_for_overdraft.snapshot()
    assert all(v >= 0 for v in snap.values()), snap
    assert sum(snap.values()) == 1000


# ---- lock_order_inversion: Bank -------------------------------------------------------------------


def test_lock_order_inversion__unit():
    bank = implementation("lock_order_inversion", "Bank")({"a": 100, "b": 100})
    for _ in range(N // 10):
        bank.transfer("a", "b", 1)
        bank.transfer("b", "a", 1)
    assert bank.snapshot() == {"a": 100, "b": 100}


@pytest.fixture
def bank_two_way():
    return implementation("lock_order_inversion", "Bank")({"a": 10**6, "b": 10**6})


def test_lock_order_inversion__shared(bank_two_way, barrier, thread_index):
    src, dst = ("a", "b") if thread_index % 2 == 0 else ("b", "a")
    for _ in range(N):
        bank_two_way.transfer(src, dst, 1)
    barrier.wait()
    assert bank_two_way.total() == 2 * 10**6


# ---- torn_multi_key_update: Registry --------------------------------------------------------------

KEYS = [f"k{i}" for i in range(8)]


def test_torn_multi_key_update__unit():
    registry = implementation("torn_multi_key_update", "Registry")()
    for gen in range(N // 10):
        registry.update_many({k: gen for k in KEYS})
        assert registry.get_many(KEYS) == [gen] * len(KEYS)


@pytest.fixture
def registry():
    reg = implementation("torn_multi_key_update", "Registry")()
    reg.update_many({k: 0 for k in KEYS})
    return reg


def test_torn_multi_key_update__shared(registry, barrier, thread_index):
    try:
        for gen in range(N):
            if thread_index % 2 == 0:
                registry.update_many({k: gen for k in KEYS})
            else:
                values = registry.get_many(KEYS)
                assert len(set(values)) == 1, values
    finally:
        barrier.wait()


# ---- relaxed_publication: PublishSlot -------------------------------------------------------------

PAYLOAD = list(range(256))


def test_relaxed_publication__unit():
    slot = implementation("relaxed_publication", "PublishSlot")()
    assert slot.try_get() is None
    slot.publish(PAYLOAD)
    assert slot.try_get() == PAYLOAD


@pytest.fixture
def slots():
    cls = implementation("relaxed_publication", "PublishSlot")
    return [cls() for _ in range(200)]


def test_relaxed_publication__shared(slots, barrier, thread_index):
    try:
        for slot in slots:
            if thread_index == 0:
                slot.publish(PAYLOAD)
            else:
                for _ in range(10_000):
                    got = slot.try_get()
                    if got is not None:
                        assert got == PAYLOAD
                        break
    finally:
        barrier.wait()


# ---- double_once_init: OnceResource ---------------------------------------------------------------


def test_double_once_init__unit():
    calls = []
    resource = implementation("double_once_init", "OnceResource")(lambda: calls.append(1) or object())
    first = resource.get()
    assert resource.get() is first
    assert resource.init_count == 1 and len(calls) == 1


@pytest.fixture
def once_resource():
    calls = []
    lock = threading.Lock()

    def init():
        with lock:
            calls.append(1)
        return object()

    return implementation("double_once_init", "OnceResource")(init), calls


def test_double_once_init__shared(once_resource, barrier):
    resource, calls = once_resource
    value = resource.get()
    barrier.wait()
    assert resource.get() is value
    assert len(calls) == 1
    assert resource.init_count == 1


# ---- queue_drop_or_duplicate: WorkQueue -----------------------------------------------------------


def test_queue_drop_or_duplicate__unit():
    queue = implementation("queue_drop_or_duplicate", "WorkQueue")(4)
    got = []
    for i in range(N // 10):
        queue.put(i)
        got.append(queue.get(timeout=1))
    assert got == list(range(N // 10))


@pytest.fixture
def work_queue():
    return implementation("queue_drop_or_duplicate", "WorkQueue")(8), [], threading.Lock()


def test_queue_drop_or_duplicate__shared(work_queue, barrier, thread_index, num_parallel_threads):
    queue, received, lock = work_queue
    if num_parallel_threads < 2:
        pytest.skip("needs a producer and a consumer thread")
    producers = num_parallel_threads // 2
    try:
        if thread_index < producers:
            for i in range(N):
                queue.put((thread_index, i), timeout=5)
        else:
            consumers = num_parallel_threads - producers
            share = N * producers // consumers + (1 if thread_index - producers < N * producers % consumers else 0)
            mine = [queue.get(timeout=5) for _ in range(share)]
            with lock:
                received.extend(mine)
    finally:
        barrier.wait()
    assert sorted(received) == sorted((p, i) for p in range(producers) for i in range(N))


# ---- mutex_across_callback: EventBus -------------------------------------------------------------


def test_mutex_across_callback__unit():
    bus = implementation("mutex_across_callback", "EventBus")()
    bus.subscribe("e", lambda: bus.subscribe("late", print))  # a listener that uses the bus
    assert bus.emit("e") == 1
    assert bus.events() == ["e", "late"]


@pytest.fixture
def event_bus():
    return implementation("mutex_across_callback", "EventBus")()


def test_mutex_across_callback__shared(event_bus, barrier, thread_index):
    event = f"t{thread_index}"
    event_bus.subscribe(event, lambda: sum(range(100)))
    try:
        for _ in range(N // 10):
            event_bus.emit(event)
            event_bus.subscribe("x", print)
            event_bus.unsubscribe("x", print)
    finally:
        barrier.wait()


# ---- lost_snapshot_update: SnapshotMap -----------------------------------------------------------


def test_lost_snapshot_update__unit():
    snap = implementation("lost_snapshot_update", "SnapshotMap")()
    for i in range(N // 10):
        snap.set(f"k{i}", i)
    assert len(snap) == N // 10


@pytest.fixture
def snapshot_map():
    return implementation("lost_snapshot_update", "SnapshotMap")()


def test_lost_snapshot_update__shared(snapshot_map, barrier, thread_index, num_parallel_threads):
    for i in range(N // 4):
        snapshot_map.set(f"t{thread_index}/{i}", i)
    barrier.wait()
    assert len(snapshot_map) == N // 4 * num_parallel_threads


# ---- lost_race_publishes: SnapshotMap -----------------------------------------------------------


def test_lost_race_publishes__unit():
    snap = implementation("lost_race_publishes", "SnapshotMap")()
    for i in range(N // 10):
        snap.set("k", i)
        assert snap.remove("k") and not snap.remove("k")
    assert snap.version == 2 * (N // 10)


@pytest.fixture
def snapshot_map_to_remove():
    return implementation("lost_race_publishes", "SnapshotMap")({f"k{i}": i for i in range(N // 4)})


def test_lost_race_publishes__shared(snapshot_map_to_remove, barrier):
    """Every thread removes every key (all threads race for each one): each key's removal is the
    one write that changes the map, however many threads try."""
    for i in range(N // 4):
        snapshot_map_to_remove.remove(f"k{i}")
    barrier.wait()
    assert len(snapshot_map_to_remove) == 0 and snapshot_map_to_remove.version == N // 4


# ---- non_unique_thread_slot: PerThreadCounter ----------------------------------------------------


def test_non_unique_thread_slot__unit():
    _count_alone(implementation("non_unique_thread_slot", "PerThreadCounter")())


@pytest.fixture
def per_thread_counter():
    return implementation("non_unique_thread_slot", "PerThreadCounter")()


def test_non_unique_thread_slot__shared(per_thread_counter, barrier, num_parallel_threads):
    _count_shared(per_thread_counter, barrier, num_parallel_threads)
